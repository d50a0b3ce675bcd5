"""Hostile files are refused quickly, with a clear message, before they can take the memory or the time of
the machine: zip-bomb workbooks, sheets of too many rows, and a CSV cell larger than a parser block. The
files are built by each test with streaming writes (tests/io/hostile.py), never committed."""

from __future__ import annotations

from pathlib import Path

import pytest

import synth.io.tabular as tabular
from synth.errors import InputError
from synth.io import MAX_ROWS, load_posts
from tests.io.hostile import huge_cell_xlsx, many_rows_xlsx, row_xml, single_cell_csv, whitespace_xlsx, write_xlsx

MB = 1 << 20


def test_a_workbook_whose_one_cell_unpacks_a_thousand_times_is_refused_unread(tmp_path: Path) -> None:
    path = huge_cell_xlsx(tmp_path / "cell.xlsx", 40 * MB)
    assert path.stat().st_size < MB / 4
    with pytest.raises(InputError, match=r"cell\.xlsx: part 'xl/worksheets/sheet1\.xml' would unpack .* zip bomb"):
        load_posts(path)


def test_a_workbook_of_whitespace_is_refused_unread(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="zip bomb"):
        load_posts(whitespace_xlsx(tmp_path / "air.xlsx", 40 * MB))


def test_the_unpacked_size_of_the_whole_workbook_is_limited(tmp_path: Path, monkeypatch) -> None:
    path = many_rows_xlsx(tmp_path / "big.xlsx", 20_000)  # ordinary rows, a few MB unpacked
    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED_BYTES", MB)
    with pytest.raises(InputError, match=r"unpacks to .* GB, over the .* GB limit"):
        load_posts(path)


def test_a_sheet_declaring_more_rows_than_excel_allows_is_refused_before_its_rows_are_read(tmp_path: Path) -> None:
    # Broken XML right after the first row: a reader that parsed the sheet would fail on it instead.
    path = write_xlsx(tmp_path / "rows.xlsx", [row_xml(1, ["text", "platform"]), row_xml(2, ["a", "twitter"]),
                                               "<row><c>broken"], dimension="A1:B5000001")
    with pytest.raises(InputError, match=f"rows.xlsx: 5,000,000 rows is over the limit of {MAX_ROWS:,} rows"):
        load_posts(path)


def test_rows_are_counted_as_they_stream_and_reading_stops_at_the_limit(tmp_path: Path, monkeypatch) -> None:
    # No <dimension>, and broken XML after the rows: only a reader that stops at the limit gets the row
    # message; one that parses the whole sheet first fails on the broken tail.
    path = many_rows_xlsx(tmp_path / "stream.xlsx", 20_000, declare=False, tail="<row><c>broken")
    monkeypatch.setattr(tabular, "MAX_ROWS", 50)
    with pytest.raises(InputError, match=r"stream.xlsx: at least 51 rows is over the limit"):
        load_posts(path)


def test_a_sheet_within_the_limits_still_loads(tmp_path: Path) -> None:
    loaded = load_posts(many_rows_xlsx(tmp_path / "fine.xlsx", 300))
    assert len(loaded.posts) == 300 and loaded.posts["text"].iloc[0] == "post number 2"


def test_a_csv_cell_larger_than_a_parser_block_is_reported_as_an_over_long_row(tmp_path: Path) -> None:
    loaded = load_posts(single_cell_csv(tmp_path / "one.csv", 12 * MB))  # over two 4 MB blocks
    assert loaded.posts["text"].tolist() == ["an ordinary post"]
    assert any("over-long" in reason for reason in loaded.report.dropped)
