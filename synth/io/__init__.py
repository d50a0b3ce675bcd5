"""Ingestion: any file of real posts in, one canonical table and an honest report out.

    >>> from synth.io import load_files
    >>> posts, report = load_files(["tweets.csv", "reddit.jsonl"], platform="twitter")  # doctest: +SKIP
    >>> print(report.to_text())  # doctest: +SKIP

Formats: CSV/TSV, JSON, JSON Lines, Parquet, Excel (.xlsx), and platform exports (X/Twitter API v1.1/v2,
Reddit dumps, Telegram Desktop, YouTube comments, CrowdTangle, Meta Content Library). Every problem a user
can fix raises synth.errors.InputError naming the file and the fix. Limits: see synth.io.limits.
"""

from __future__ import annotations

from synth.io.canonical import as_synthetic
from synth.io.limits import MAX_ROWS, MAX_TEXT_CHARS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from synth.io.loader import LoadedFile, RawFile, combine, load_files, load_posts, load_posts_file, read_file
from synth.io.mapping import ROLES, ColumnMapping
from synth.io.validation import FileReport, IngestReport, platform_stats
from synth.io.write import EXPORT_FORMATS, posts_to_bytes, write_posts

__all__ = [
    "as_synthetic",
    "EXPORT_FORMATS",
    "MAX_ROWS",
    "MAX_TEXT_CHARS",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_MB",
    "ROLES",
    "ColumnMapping",
    "FileReport",
    "IngestReport",
    "LoadedFile",
    "RawFile",
    "combine",
    "load_files",
    "load_posts",
    "load_posts_file",
    "platform_stats",
    "posts_to_bytes",
    "read_file",
    "write_posts",
]
