"""Which format a file is in, from its name and its first bytes, and reading it within the size limit."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from synth.errors import InputError
from synth.io.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

Source = str | Path | bytes | bytearray | BinaryIO

# Extension -> format family we parse it with.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
SUPPORTED = ", ".join(sorted(EXTENSIONS))

# Formats people often have that we do not read, and what to do instead.
_CONVERT_HINTS: dict[str, str] = {
    ".xls": "open it in Excel or LibreOffice and save it as .xlsx or .csv",
    ".ods": "save it as .xlsx or .csv",
    ".numbers": "export it from Numbers as .csv or .xlsx",
    ".zip": "unzip it and upload the files inside",
    ".gz": "decompress it (gunzip) and upload the file inside",
    ".pdf": "export the posts from their source as .csv or .json instead",
    ".docx": "copy the posts into a spreadsheet and save it as .csv",
    ".html": "export the posts as .csv or .json instead",
}

# First bytes of binary formats, to catch a file whose extension lies.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "parquet"),
    (b"PK\x03\x04", "zip"),  # .xlsx is a zip archive
    (b"\xd0\xcf\x11\xe0", "xls"),  # old Excel (OLE2)
    (b"\x1f\x8b", "gzip"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)
_REAL_EXTENSION = {
    "parquet": ".parquet",
    "zip": ".xlsx (if it is an Excel workbook) or unzip it",
    "xls": ".xls and save it as .xlsx",
}


def read_source(source: Source, name: str | None = None) -> tuple[bytes, str]:
    """Return the bytes of `source` and the name to use for it in messages, enforcing the size limit.

    Raises:
        InputError: the file does not exist, is larger than the upload limit, or is empty.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise InputError(f"{name}: no such file ({path}). Check the path.")
        _check_size(path.stat().st_size, name)
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        name = name or "upload"
        data = bytes(source)
    else:
        name = name or getattr(source, "name", None) or "upload"
        data = source.read(MAX_UPLOAD_BYTES + 1)
    _check_size(len(data), name)
    if not data.strip():
        raise InputError(f"{name}: the file is empty. Export the posts again and check that the file has rows.")
    return data, name


def _check_size(size: int, name: str) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise InputError(
            f"{name}: {size / 1024 / 1024:,.1f} MB is over the {MAX_UPLOAD_MB} MB limit per file. Split it into "
            "smaller files and upload them together (e.g. `split -l 200000` on a CSV, then copy the header line "
            "into each part), or save it as Parquet, which is several times smaller."
        )


def detect_format(data: bytes, name: str) -> str:
    """Return the format family (`csv`, `tsv`, `json`, `jsonl`, `parquet`, `xlsx`) for a file.

    The extension decides; the first bytes must agree with it, so a Parquet file renamed `.csv` or a
    picture renamed `.json` gets a message instead of a page of garbage.

    Raises:
        InputError: unsupported extension, or contents that do not match it.
    """
    extension = Path(name).suffix.lower()
    declared = EXTENSIONS.get(extension)
    if declared is None:
        hint = _CONVERT_HINTS.get(extension, "save it in one of those formats")
        shown = f"'{extension}'" if extension else "no extension"
        raise InputError(f"{name}: unsupported file type ({shown}). Supported: {SUPPORTED}; {hint}.")
    signature = next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)
    expected = {"parquet": "parquet", "xlsx": "zip"}.get(declared)
    if signature != expected:
        if signature in _REAL_EXTENSION:
            raise InputError(
                f"{name}: the name says {extension} but the contents are {signature.upper()}. "
                f"Rename it to {_REAL_EXTENSION[signature]}, or upload the right file."
            )
        if signature is not None:
            raise InputError(
                f"{name}: the name says {extension} but the contents are {signature.upper()}, not posts. "
                f"Upload the export of the posts itself ({SUPPORTED})."
            )
        if expected is not None:
            raise InputError(
                f"{name}: this is not a valid {extension} file (its first bytes are not a {declared} "
                "signature). Export it again, or rename it to its real extension (.csv, .json...)."
            )
    return declared

