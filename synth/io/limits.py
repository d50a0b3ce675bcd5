"""Limits that keep ingestion responsive, in one place (the Data page and the CLI state them)."""

from __future__ import annotations

# Same figure as server.maxUploadSize in .streamlit/config.toml, so the CLI and the app agree.
MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# Loads above this many rows are refused (not sampled: a silent sample would skew every later figure).
MAX_ROWS = 1_000_000
# An .xlsx is a zip archive: refuse, before parsing, one whose parts unpack to more than this in all, or
# a part that unpacks to more than MAX_ZIP_RATIO times its packed size (a "zip bomb": spreadsheet XML packs
# about 5-20 to 1; the POI library that reads Excel in Java refuses past 100 to 1 as well).
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 100
# Rows an Excel sheet can hold. A sheet may declare its size up to this because of formatting alone, so
# only a sheet declaring more (no Excel made it) is refused unread; the others are counted as they stream.
EXCEL_MAX_ROWS = 1_048_576
# A cell this long is not one post: usually an unclosed quote that swallowed the rest of the file.
MAX_TEXT_CHARS = 100_000
# Posts read by the language identifier per load: enough for a mix, cheap enough for every upload.
LANGUAGE_SAMPLE = 500
