"""Parquet and Excel, and files whose extension lies."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from synth.errors import InputError
from synth.io import load_posts, read_file


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "Message": ["first post", "second post"], "Network": ["FB", "facebook"],
                         "likes": [3, 4]})


def test_parquet_keeps_types_and_maps_columns(write) -> None:
    buffer = io.BytesIO()
    _frame().to_parquet(buffer, index=False)
    loaded = load_posts(write("posts.parquet", buffer.getvalue()))
    assert loaded.report.format == "parquet"
    assert loaded.posts["text"].tolist() == ["first post", "second post"]
    assert loaded.posts["platform"].tolist() == ["facebook", "facebook"]
    assert loaded.posts["post_id"].tolist() == ["1", "2"]
    assert loaded.posts["engagement"].tolist() == [3, 4]


def test_excel_reads_first_non_empty_sheet(write) -> None:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Empty", index=False)
        _frame().to_excel(writer, sheet_name="Posts", index=False)
    loaded = load_posts(write("posts.xlsx", buffer.getvalue()))
    assert loaded.report.format == "xlsx"
    assert loaded.posts["text"].tolist() == ["first post", "second post"]
    assert loaded.posts["engagement"].tolist() == [3, 4]
    assert any("read sheet 'Posts'" in note for note in loaded.report.notes)


def test_numbers_in_the_text_column_are_non_text(write) -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"text": ["real words", 12345, None], "platform": ["x", "x", "x"]}).astype(
        {"text": object}).to_excel(buffer, index=False)
    loaded = load_posts(write("p.xlsx", buffer.getvalue()))
    assert loaded.posts["text"].tolist() == ["real words", "12345"]  # Excel gives strings for mixed columns
    assert loaded.report.dropped == {"empty or non-text": 1}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.parquet", b"text,platform\nhello,x\n", "not a valid .parquet file"),
        ("p.parquet", b"PAR1" + b"\x00" * 50, "cannot read this Parquet file"),
        ("p.xlsx", b"PK\x03\x04" + b"\x00" * 50, "cannot read this Excel workbook"),
        ("p.xlsx", b"text\nhello\n", "not a valid .xlsx file"),
        ("p.csv", b"PK\x03\x04" + b"\x00" * 50, "the contents are ZIP. Rename it to .xlsx"),
        ("p.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 50, r"unsupported file type \('.xls'\).*save it as .xlsx"),
        ("p.pdf", b"%PDF-1.4", r"unsupported file type \('.pdf'\)"),
        ("posts", b"text\nhello\n", r"unsupported file type \(no extension\)"),
    ],
)
def test_wrong_extensions_and_damaged_files(write, name: str, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_file(write(name, content))


def test_parquet_with_nested_columns_maps_without_crashing(write) -> None:
    frame = pd.DataFrame({"text": ["a post", "another"], "tags": [["x", "y"], []],
                          "meta": [{"likes": 1}, {"likes": 2}], "date": pd.to_datetime(["2024-01-01", None])})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    path = write("nested.parquet", buffer.getvalue())
    loaded = load_posts(path, platform="x")
    assert loaded.posts["text"].tolist() == ["a post", "another"]
    assert str(loaded.posts["created_at"].iloc[0]) == "2024-01-01 00:00:00+00:00"
    # A nested column chosen by mistake: lists are not text, and are not platform names.
    with pytest.raises(InputError, match="the text column 'tags' is empty on every row"):
        load_posts(path, text_column="tags", platform="x")
    with pytest.raises(InputError, match="no row is left after validation"):
        load_posts(path, platform_column="meta")
