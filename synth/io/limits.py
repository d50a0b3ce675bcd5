"""Limits that keep ingestion responsive, in one place (the Data page and the CLI state them)."""

from __future__ import annotations

# Same figure as server.maxUploadSize in .streamlit/config.toml, so the CLI and the app agree.
MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# Loads above this many rows are refused (not sampled: a silent sample would skew every later figure).
MAX_ROWS = 1_000_000
# A cell this long is not one post: usually an unclosed quote that swallowed the rest of the file.
MAX_TEXT_CHARS = 100_000
# Posts read by the language identifier per load: enough for a mix, cheap enough for every upload.
LANGUAGE_SAMPLE = 500
