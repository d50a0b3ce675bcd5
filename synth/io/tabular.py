"""Parquet and Excel (.xlsx): binary tables with their own types, read as they are."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synth.errors import InputError
from synth.io.delimited import too_many_rows
from synth.io.limits import MAX_ROWS
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

    Raises:
        InputError: a damaged workbook, one with no rows, or over MAX_ROWS rows.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not understand
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl", dtype=object)
    except Exception as error:  # any failure of the parser on untrusted bytes is a bad file
        raise InputError(
            f"{name}: cannot read this Excel workbook ({type(error).__name__}: {error}). Open it in Excel or "
            "LibreOffice and save it again as .xlsx, or as .csv."
        ) from None
    filled = [(sheet, frame) for sheet, frame in sheets.items() if not frame.dropna(how="all").empty]
    if not filled:
        raise InputError(f"{name}: every sheet of the workbook is empty. Put the posts on the first sheet.")
    sheet, frame = filled[0]
    if len(frame) > MAX_ROWS:
        raise InputError(too_many_rows(name, len(frame)))
    frame.columns = [str(column).strip() for column in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda value: value if isinstance(value, str) else str(value),
                                              na_action="ignore")
    notes = [f"read sheet '{sheet}'" + (f" (first non-empty of {len(sheets)} sheets)" if len(sheets) > 1 else "")]
    return Parsed(frame.dropna(how="all"), shape="table", notes=notes)
