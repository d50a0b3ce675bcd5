"""CSV/TSV: delimiters, encodings, quoting, and the bad inputs of each."""

from __future__ import annotations

import codecs

import pytest

from synth.errors import InputError
from synth.io import load_posts, read_file

CSV = "post_id,platform,text\n1,twitter,Hello world #news\n2,reddit,\"Quoted, with comma\"\n"


def test_plain_csv_loads_every_row_with_its_mapping(write) -> None:
    loaded = load_posts(write("posts.csv", CSV))
    assert loaded.posts["text"].tolist() == ["Hello world #news", "Quoted, with comma"]
    assert loaded.posts["platform"].tolist() == ["twitter", "reddit"]
    assert loaded.posts["post_id"].tolist() == ["1", "2"]
    assert loaded.report.delimiter == "," and loaded.report.encoding == "utf-8"
    assert loaded.report.mapping["text"] == "text" and loaded.report.mapping["platform"] == "platform"


@pytest.mark.parametrize(("name", "delimiter"), [("p.tsv", "\t"), ("p.csv", ";"), ("p.csv", "|"), ("p.txt", "\t")])
def test_delimiter_is_sniffed(write, name: str, delimiter: str) -> None:
    content = CSV.replace(",", delimiter).replace(f'"Quoted{delimiter} with comma"', '"Quoted, with comma"')
    raw = read_file(write(name, content))
    assert raw.parsed.delimiter == delimiter
    assert raw.parsed.table["text"].tolist() == ["Hello world #news", "Quoted, with comma"]


def test_quoted_fields_keep_embedded_newlines(write) -> None:
    loaded = load_posts(write("p.csv", 'text,platform\n"line one\nline two",twitter\n"a ""quote""",reddit\n'))
    assert loaded.posts["text"].tolist() == ["line one\nline two", 'a "quote"']
    assert loaded.report.dropped == {}


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (codecs.BOM_UTF8 + "text,platform\ncafé naïve,twitter\n".encode(), "utf-8-sig"),
        ("text,platform\ncafé naïve,twitter\n".encode("utf-16"), "utf-16"),
        ("text,platform\ncafé naïve,twitter\n".encode("utf-16-le"), "utf-16-le"),
        ("text,platform\ncafé naïve déjà vu à la française,twitter\n".encode("cp1252"), "cp1252"),
        ("text,platform\ncafé naïve déjà vu à la française,twitter\n".encode("latin-1"), "cp1252"),
        ("text,platform\nПривет как дела у тебя сегодня?,twitter\n".encode("cp1251"), "cp1251"),
    ],
)
def test_encodings_are_detected(write, encoded: bytes, encoding: str) -> None:
    loaded = load_posts(write("p.csv", encoded))
    expected = ("café naïve déjà vu à la française", "café naïve", "Привет как дела у тебя сегодня?")
    assert loaded.posts["text"].iloc[0] in expected
    assert loaded.report.encoding == encoding
    assert ("not UTF-8" in " ".join(loaded.report.notes)) == (not encoding.startswith("utf"))


def test_mixed_encodings_are_read_and_reported(write) -> None:
    content = "text,platform\ncafé in UTF-8,twitter\n".encode() + "naïve in cp1252,twitter\n".encode("cp1252")
    loaded = load_posts(write("mixed.csv", content))
    assert loaded.posts["text"].tolist() == ["café in UTF-8", "naïve in cp1252"]
    assert loaded.report.encoding == "utf-8+cp1252"
    assert any("mixed encodings" in note for note in loaded.report.notes)


def test_ragged_rows_are_dropped_and_reported(write) -> None:
    loaded = load_posts(write("p.csv", "text,platform\nfine,twitter\ntoo,many,fields\nalso fine,reddit\n"))
    assert loaded.posts["text"].tolist() == ["fine", "also fine"]
    assert loaded.report.dropped == {"malformed row": 1}
    assert "3 fields instead of 2" in loaded.report.examples["malformed row"][0]
    assert loaded.report.rows_read == 3


def test_unquoted_embedded_newline_is_reported_not_silently_merged(write) -> None:
    content = "id,text,platform\n1,first line\nsecond line,twitter\n2,ok,reddit\n3,b,x\n4,c,x\n"
    loaded = load_posts(write("p.csv", content))
    assert loaded.posts["text"].tolist() == ["ok", "b", "c"]
    assert loaded.report.dropped["malformed row"] == 2


def test_mostly_ragged_file_is_refused_with_the_fix(write) -> None:
    with pytest.raises(InputError, match=r"p.csv: 2 of 3 rows do not have the 2 fields.*Quote fields"):
        read_file(write("p.csv", "text,platform\na,b,c\nd,e,f\nok,twitter\n"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "p.csv: the file is empty"),
        (b"  \n\n ", "p.csv: the file is empty"),
        (b"text,platform\n", "p.csv: has a header line but no rows"),
        (bytes(range(256)) * 8, "p.csv: this is not a text file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "the contents are PNG"),
        (b"PAR1" + bytes(100), "Rename it to .parquet"),
    ],
)
def test_bad_delimited_files_get_a_clear_message(write, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_file(write("p.csv", content))
