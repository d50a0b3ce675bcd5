"""Writing posts out as CSV, JSON Lines or Parquet (the exports every later step reuses)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from synth.errors import InputError

EXPORT_FORMATS = ("csv", "jsonl", "parquet")


def posts_to_bytes(posts: pd.DataFrame, file_format: str) -> bytes:
    """Serialise posts as `csv` (UTF-8, RFC 4180 quoting), `jsonl` (one object per line) or `parquet`.

    Raises:
        InputError: an unknown format.
    """
    if file_format == "csv":
        return posts.to_csv(index=False).encode("utf-8")
    if file_format == "jsonl":
        text = posts.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
        return (text or "").encode("utf-8")
    if file_format == "parquet":
        buffer = io.BytesIO()
        posts.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise InputError(f"unknown export format {file_format!r}; use one of {', '.join(EXPORT_FORMATS)}.")


def write_posts(posts: pd.DataFrame, path: str | Path, file_format: str | None = None) -> Path:
    """Write posts to `path`; the format comes from `file_format` or the extension (.csv, .jsonl, .parquet).

    Returns:
        The path written.

    Raises:
        InputError: the format cannot be told or is not supported.
    """
    path = Path(path)
    chosen = file_format or path.suffix.lower().lstrip(".")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(posts_to_bytes(posts, chosen))
    return path
