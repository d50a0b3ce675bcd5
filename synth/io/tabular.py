"""Parquet and Excel (.xlsx): binary tables with their own types, read as they are."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from typing import IO, Any
from xml.parsers import expat

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synth.errors import InputError
from synth.io.delimited import too_many_rows, unique_column_names
from synth.io.limits import EXCEL_MAX_ROWS, MAX_ROWS, MAX_XLSX_UNPACKED_BYTES, MAX_ZIP_RATIO
from synth.io.parsed import Parsed


def read_parquet(data: bytes, name: str) -> Parsed:
    """Read a Parquet file (checking the row count from its footer before loading the rows).

    Raises:
        InputError: a damaged file, or one over MAX_ROWS rows.
    """
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        rows = parquet.metadata.num_rows
        if rows > MAX_ROWS:
            raise InputError(too_many_rows(name, rows))
        table = parquet.read()
    except InputError:
        raise
    except Exception as error:  # any failure of the parser on untrusted bytes is a bad file
        raise InputError(
            f"{name}: cannot read this Parquet file ({type(error).__name__}: {error}). It may be damaged or "
            "incomplete; write it again (e.g. pandas `df.to_parquet`)."
        ) from None
    return Parsed(table.to_pandas(), shape="table")


def read_excel(data: bytes, name: str) -> Parsed:
    """Read the first non-empty sheet of an .xlsx workbook; the report says which sheet was used.

    Untrusted workbooks are read defensively: the archive's unpacked sizes are checked before any parsing
    (`check_archive`), and rows are streamed (openpyxl's read-only mode) with the row limit applied as they
    come, so neither a zip bomb nor a sheet of millions of rows is ever held in memory whole.

    Raises:
        InputError: a damaged workbook or a zip bomb, one with no rows, or over MAX_ROWS rows.
    """
    check_archive(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not understand
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            sheets = list(workbook.sheetnames)
            found: tuple[str, tuple[list[Any], list[list[Any]]]] | None = None
            for sheet in sheets:
                content = _sheet_rows(workbook[sheet], name)
                if content is not None:
                    found = (sheet, content)
                    break
        finally:
            workbook.close()
    except InputError:
        raise
    except Exception as error:  # any failure of the parser on untrusted bytes is a bad file
        raise InputError(
            f"{name}: cannot read this Excel workbook ({type(error).__name__}: {error}). Open it in Excel or "
            "LibreOffice and save it again as .xlsx, or as .csv."
        ) from None
    if found is None:
        raise InputError(f"{name}: every sheet of the workbook is empty. Put the posts on the first sheet.")
    chosen, (header, rows) = found
    frame = pd.DataFrame(rows, columns=unique_column_names(header), dtype=object)
    for column in frame.columns:
        frame[column] = frame[column].map(lambda value: value if isinstance(value, str) else str(value),
                                          na_action="ignore")
    notes = [f"read sheet '{chosen}'" + (f" (first non-empty of {len(sheets)} sheets)" if len(sheets) > 1 else "")]
    return Parsed(frame, shape="table", notes=notes)


def check_archive(data: bytes, name: str) -> None:
    """Refuse a zip archive (an .xlsx) that would unpack to far more than it weighs, before parsing it.

    The sizes are those the archive declares; Python's zipfile never unpacks an entry past its declared
    size, so they bound what openpyxl can read.

    Then each sheet's rows are counted in one streaming pass of the XML (each row dropped once counted),
    which stops at the row limit: openpyxl itself scans a whole sheet that does not declare its size, keeping
    every row's node, before the first row is handed over.

    Raises:
        InputError: a damaged archive, an entry packed more than MAX_ZIP_RATIO to 1, more than
            MAX_XLSX_UNPACKED_BYTES in all, or a sheet with more than MAX_ROWS rows of data.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_sizes(entries, name)
            for entry in entries:
                if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                    with archive.open(entry) as part:
                        _check_row_count(part, name)
    except (zipfile.BadZipFile, ValueError, OSError, expat.ExpatError) as error:
        raise InputError(
            f"{name}: cannot read this Excel workbook ({type(error).__name__}: {error}). Open it in Excel or "
            "LibreOffice and save it again as .xlsx, or as .csv."
        ) from None


def _check_sizes(entries: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse an archive whose declared sizes make it a zip bomb (see `check_archive`)."""
    total = 0
    for entry in entries:
        total += entry.file_size
        # Tiny parts (styles, relations) pack well and hold no rows: only big parts are judged by ratio.
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1):
            raise InputError(
                f"{name}: part {entry.filename!r} would unpack from {entry.compress_size / 1e6:,.1f} MB to "
                f"{entry.file_size / 1e6:,.1f} MB ({entry.file_size // max(entry.compress_size, 1):,} to 1; a "
                f"spreadsheet packs at most about {MAX_ZIP_RATIO} to 1). It is a zip bomb or holds a huge "
                "run of repeated content; save the posts again as .csv or .xlsx from a spreadsheet program."
            )
    if total > MAX_XLSX_UNPACKED_BYTES:
        raise InputError(
            f"{name}: the workbook unpacks to {total / 1e9:,.1f} GB, over the {MAX_XLSX_UNPACKED_BYTES / 1e9:.1f} "
            "GB limit. Split it, or save it as .csv or Parquet."
        )


def _check_row_count(part: IO[bytes], name: str) -> None:
    """Count the rows holding data (a value or a text) in one worksheet's XML as it streams; refuse past
    MAX_ROWS (plus the header), or a sheet declaring more rows than Excel allows, without reading further.
    Expat's callbacks build no tree, so memory stays flat whatever the sheet's size."""
    counts = {"rows": 0, "filled": 0}

    def start(tag: str, attributes: dict[str, str]) -> None:
        local = tag.rpartition(" ")[2]
        if local == "row":
            counts["filled"] = 0
        elif local in ("v", "t"):
            counts["filled"] = 1
        elif local == "dimension":
            last_row = re.search(r"(\d+)$", attributes.get("ref", ""))
            if last_row and int(last_row.group(1)) > EXCEL_MAX_ROWS:
                raise InputError(too_many_rows(name, int(last_row.group(1)) - 1))

    def end(tag: str) -> None:
        if tag.rpartition(" ")[2] == "row":
            counts["rows"] += counts["filled"]
            if counts["rows"] > MAX_ROWS + 1:
                raise InputError(too_many_rows(name, counts["rows"] - 1, at_least=True))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.ParseFile(part)


def _sheet_rows(sheet: Any, name: str) -> tuple[list[Any], list[list[Any]]] | None:
    """The header and data rows of a read-only sheet, streamed; None when the sheet has no data row.

    Raises:
        InputError: the sheet streams more than MAX_ROWS data rows.
    """
    header: list[Any] | None = None
    rows: list[list[Any]] = []
    for values in sheet.iter_rows(values_only=True):
        if all(value is None for value in values):
            continue
        if header is None:
            header = list(values)
            continue
        rows.append(list(values))
        if len(rows) > MAX_ROWS:
            raise InputError(too_many_rows(name, len(rows), at_least=True))
    if header is None or not rows:
        return None
    width = max(len(header), *(len(row) for row in rows))
    header += [None] * (width - len(header))
    return header, [row + [None] * (width - len(row)) for row in rows]
