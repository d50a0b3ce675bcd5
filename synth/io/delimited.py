"""CSV and TSV: encoding detected, delimiter sniffed, parsed by pyarrow's multi-threaded CSV reader."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv

from synth.errors import InputError
from synth.io.encoding import decode_text
from synth.io.limits import MAX_ROWS
from synth.io.parsed import Parsed, shorten

_DELIMITERS = (",", "\t", ";", "|")
# What each of pyarrow's reader threads parses at once; a row longer than this makes the file read whole.
BLOCK_BYTES = 4 << 20
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def read_delimited(data: bytes, name: str, *, tab_separated: bool = False) -> Parsed:
    """Parse a CSV/TSV file into a table of strings.

    Quoted fields may hold delimiters and newlines. Rows with the wrong number of fields are skipped and
    counted (the report shows them); when most rows are wrong the file is refused, since its layout was
    guessed wrong.

    Raises:
        InputError: not text, no header, most rows malformed, or more than MAX_ROWS rows.
    """
    text, encoding, notes = decode_text(data, name)
    delimiter = sniff_delimiter(text, tab_separated=tab_separated)
    header = _read_header(text, delimiter, name)
    # pyarrow reads UTF-8 bytes; reuse the original bytes when they already are.
    payload = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else text.encode("utf-8")
    bad_rows: list[str] = []

    def skip_bad_row(row: pa_csv.InvalidRow) -> str:
        bad_rows.append(f"{row.actual_columns} fields instead of {row.expected_columns}: {shorten(row.text)}")
        return "skip"

    def parse(block_size: int) -> pa.Table:
        return pa_csv.read_csv(
            io.BytesIO(payload),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=block_size),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=skip_bad_row
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        try:
            table = parse(BLOCK_BYTES)
        except pa.ArrowInvalid as error:
            # A row longer than a block (one huge cell, or an unclosed quote) cannot be split between the
            # reader's threads: read the file as one block, so the row is read and reported as over-long.
            if "straddling" not in str(error) and "straddles" not in str(error):
                raise
            bad_rows.clear()
            table = parse(len(payload) + 1)
    except (pa.ArrowInvalid, pa.ArrowException) as error:
        raise InputError(
            f"{name}: cannot be read as {_DELIMITER_NAMES[delimiter]}-separated text ({error}). "
            "Check that it is a CSV export with a header row and properly quoted fields."
        ) from None
    if table.num_rows > MAX_ROWS:
        raise InputError(too_many_rows(name, table.num_rows))
    if bad_rows and len(bad_rows) > table.num_rows:
        raise InputError(
            f"{name}: {len(bad_rows):,} of {len(bad_rows) + table.num_rows:,} rows do not have the "
            f"{len(header)} fields of the header line ({_DELIMITER_NAMES[delimiter]}-separated), e.g. "
            f"{bad_rows[0]}. Quote fields that contain the delimiter or line breaks (re-export from a "
            "spreadsheet program), or fix the header line."
        )
    if table.num_rows == 0:
        raise InputError(f"{name}: has a header line but no rows of posts. Export it again with its rows.")
    return Parsed(
        table=table.to_pandas(),
        encoding=encoding,
        delimiter=delimiter,
        malformed=len(bad_rows),
        malformed_examples=bad_rows[:5],
        notes=notes,
    )


def sniff_delimiter(text: str, *, tab_separated: bool = False) -> str:
    """The delimiter of a delimited text: the candidate most frequent on the header line (tab for .tsv)."""
    first_line = text[: text.find("\n")] if "\n" in text else text
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    if tab_separated and counts["\t"]:
        return "\t"
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:65_536], delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        return "\t" if tab_separated else ","


def _read_header(text: str, delimiter: str, name: str) -> list[str]:
    try:
        raw = next(csv.reader(io.StringIO(text[:1_000_000]), delimiter=delimiter))
    except (StopIteration, csv.Error) as error:
        raise InputError(f"{name}: no header line could be read ({error}). Add a header row.") from None
    return unique_column_names(raw)


def unique_column_names(raw: Sequence[object]) -> list[str]:
    """Column names from a header row: blank ones named `column_N`, repeated ones numbered `name_2`..."""
    names = [str(column).strip() if column is not None else "" for column in raw]
    names = [column or f"column_{index + 1}" for index, column in enumerate(names)]
    seen: dict[str, int] = {}
    unique = []
    for column in names:
        seen[column] = seen.get(column, 0) + 1
        unique.append(column if seen[column] == 1 else f"{column}_{seen[column]}")
    return unique


def too_many_rows(name: str, rows: int, *, at_least: bool = False) -> str:
    """The message refusing a file over the row limit (shared by every format); `at_least` when reading
    stopped at `rows`, before the end of the file."""
    counted = f"at least {rows:,}" if at_least else f"{rows:,}"
    return (
        f"{name}: {counted} rows is over the limit of {MAX_ROWS:,} rows per file, which keeps the app "
        "responsive. Split the file, or take a random sample (e.g. pandas `df.sample(n=500_000)`), and upload that."
    )

