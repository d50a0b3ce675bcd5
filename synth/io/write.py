"""Writing posts out as CSV, JSON Lines or Parquet (the exports every later step reuses).

CSV is opened in spreadsheets, which run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula (`=HYPERLINK(...)`, `+cmd|...`): text columns written as CSV get a leading `'` on such
cells (OWASP's advice against CSV injection). JSON Lines and Parquet keep the text exactly.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from synth.errors import InputError

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
# First characters a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells that a spreadsheet would run as a formula start with `'`.

    Only text cells change: numbers (e.g. a negative count) stay numbers.
    """
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype):  # object columns count as text here too
            continue
        risky = pd.Series([isinstance(value, str) and value.startswith(FORMULA_STARTS) for value in values],
                          index=values.index, dtype=bool)
        if risky.any():
            frame[column] = values.astype(object)
            frame.loc[risky, column] = FORMULA_GUARD + values[risky].astype(str)
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Any table as UTF-8 CSV (RFC 4180: CRLF line ends, quoting) with formula-like text cells neutralised.

    CRLF line ends also make the writer quote a field holding a bare carriage return, which readers would
    otherwise take for the end of the row.
    """
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def posts_to_bytes(posts: pd.DataFrame, file_format: str) -> bytes:
    """Serialise posts as `csv` (UTF-8, RFC 4180 quoting, formulas neutralised), `jsonl` (one object per
    line) or `parquet`.

    Raises:
        InputError: an unknown format.
    """
    if file_format == "csv":
        return csv_bytes(posts)
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
