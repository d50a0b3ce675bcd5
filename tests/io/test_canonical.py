"""The canonical table: what is dropped and why, ids, dates, counts, and joining several files."""

from __future__ import annotations

import pandas as pd
import pytest

from synth.errors import InputError
from synth.io import MAX_TEXT_CHARS, load_files, load_posts
from synth.schema import CANONICAL_COLUMNS, validate_posts


def test_each_drop_reason_is_counted_once(write) -> None:
    long_text = "a" * (MAX_TEXT_CHARS + 1)
    content = (
        "id,text,platform\n"
        "1,kept post,twitter\n"
        "2,,twitter\n"           # empty
        "3,   ,twitter\n"        # blank
        "4,[removed],reddit\n"   # placeholder
        "1,kept post,twitter\n"  # the same record again
        "5,kept post,twitter\n"  # same text, another record: kept
        "6,hello,myspace\n"      # unknown platform
        f"7,{long_text},reddit\n"
    )
    loaded = load_posts(write("p.csv", content))
    report = loaded.report
    assert loaded.posts["post_id"].tolist() == ["1", "5"]
    assert report.dropped == {"empty or non-text": 3, "exact duplicate": 1, "unknown platform": 1,
                              f"over-long text (> {MAX_TEXT_CHARS:,} chars)": 1}
    assert report.examples["exact duplicate"] == ["row 5"]
    assert report.examples["unknown platform"] == ["myspace"]
    assert report.rows_read == 8 and report.rows_kept == 2
    assert report.platform_counts == {"twitter": 2}
    assert any("repeat the text of another post" in note for note in report.notes)


def test_canonical_columns_types_and_extras(write) -> None:
    content = "id,text,platform,date,score,kind\n9,a post,reddit,2024-02-03 04:05:06,12,comment\n"
    posts = load_posts(write("p.csv", content)).posts
    assert tuple(posts.columns[: len(CANONICAL_COLUMNS)]) == CANONICAL_COLUMNS
    assert posts["kind"].tolist() == ["comment"]  # unmapped columns are kept
    assert posts["source"].tolist() == ["real"]
    assert str(posts["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(posts["engagement"].dtype) == "Float64"
    assert posts["engagement"].tolist() == [12]
    validate_posts(posts)


def test_ids_are_generated_or_made_unique(write) -> None:
    posts = load_posts(write("my posts.csv", "text\none\ntwo\n"), platform="reddit").posts
    assert posts["post_id"].tolist() == ["my posts-1", "my posts-2"]
    loaded = load_posts(write("p.csv", "id,text\n7,one\n7,two\n,three\n"), platform="reddit")
    assert loaded.posts["post_id"].tolist() == ["7", "7#2", "p-3"]
    assert any("repeated id" in note for note in loaded.report.notes)


def test_dates_in_several_forms_and_unreadable_ones_reported(write) -> None:
    content = ("text,created_at\na,2024-01-01T10:00:00Z\nb,2024-01-01 11:00:00+01:00\nc,Jan 2 2024\n"
               "d,not a date\n")
    loaded = load_posts(write("p.csv", content), platform="x")
    dates = loaded.posts["created_at"].astype("str").tolist()
    assert dates[:3] == ["2024-01-01 10:00:00+00:00", "2024-01-01 10:00:00+00:00", "2024-01-02 00:00:00+00:00"]
    assert pd.isna(loaded.posts["created_at"].iloc[3])
    assert "1 value(s) of 'created_at' are not dates" in " ".join(loaded.report.notes)


def test_dates_outside_the_nanosecond_range_are_left_empty_and_reported(write) -> None:
    loaded = load_posts(write("p.csv", "text,created_at\na,3000-01-01\nb,2020-01-01\n"), platform="x")
    assert pd.isna(loaded.posts["created_at"].iloc[0])
    assert str(loaded.posts["created_at"].iloc[1]) == "2020-01-01 00:00:00+00:00"
    assert "dates outside 1677-2262" in " ".join(loaded.report.notes)


def test_epoch_milliseconds(write) -> None:
    posts = load_posts(write("p.csv", "text,timestamp\na,1700000000000\n"), platform="x").posts
    assert str(posts["created_at"].iloc[0]) == "2023-11-14 22:13:20+00:00"


def test_html_and_script_are_kept_verbatim_as_text(write) -> None:
    text = '<script>alert("x")</script><b>bold</b> &amp; [link](javascript:alert(1))'
    loaded = load_posts(write("p.csv", f'text,platform\n"{text.replace(chr(34), chr(34) * 2)}",x\n'))
    assert loaded.posts["text"].tolist() == [text]
    assert any("HTML-like tags; kept as plain text" in note for note in loaded.report.notes)


def test_all_empty_text_is_refused(write) -> None:
    with pytest.raises(InputError, match="p.csv: the text column 'text' is empty on every row"):
        load_posts(write("p.csv", "text,platform\n,x\n  ,x\n"))


def test_no_row_left_is_refused_with_the_reasons(write) -> None:
    with pytest.raises(InputError, match="p.csv: no row is left after validation \\(2 unknown platform\\)"):
        load_posts(write("p.csv", "text,platform\na,myspace\nb,friendster\n"))


def test_platform_column_blanks_take_the_chosen_platform(write) -> None:
    loaded = load_posts(write("p.csv", "text,platform\na,reddit\nb,\n"), platform="youtube")
    assert loaded.posts["platform"].tolist() == ["reddit", "youtube"]
    assert "1 blank(s) set to youtube" in loaded.report.platform_source


def test_load_files_joins_files_dedupes_and_keeps_ids_unique(write) -> None:
    a = write("a.csv", "id,text,platform\n1,same post,x\n2,only in a,x\n")
    b = write("b.jsonl", '{"id": "1", "text": "same post", "platform": "x"}\n'
                         '{"id": "2", "text": "different post, same id", "platform": "x"}\n')
    c = write("c.csv", "text\nno platform column here\n")
    posts, report = load_files([a, b, ("c.csv", c.read_bytes())], platform="reddit")
    assert posts["text"].tolist() == ["same post", "only in a", "different post, same id",
                                      "no platform column here"]
    assert posts["post_id"].tolist() == ["1", "a.csv:2", "b.jsonl:2", "c-1"]
    assert report.files[1].dropped == {"duplicate of a post in an earlier file": 1}
    assert report.platform_counts == {"reddit": 1, "twitter": 3}
    assert report.rows_read == 5 and report.rows_kept == 4
    assert report.files[1].platform_counts == {"twitter": 1}
    validate_posts(posts)
    text = report.to_text()
    assert "Read 5 rows from 3 file(s); kept 4 posts." in text
    assert "dropped 1: duplicate of a post in an earlier file" in text


def test_files_with_the_same_name_stay_apart(write, tmp_path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = tmp_path / "one" / "posts.csv"
    second = tmp_path / "two" / "posts.csv"
    first.write_text("id,text,platform\n1,a,x\n")
    second.write_text("id,text,platform\n1,b,x\n")
    posts, _ = load_files([first, second])
    assert posts["post_id"].tolist() == ["posts.csv:1", "posts.csv[2]:1"]


def test_language_mix_is_reported(write) -> None:
    content = "text\n" + "\n".join([f"This is English sentence number {n} about the weather today." for n in range(3)]
                                   + ["Ceci est une phrase française sur le temps qu'il fait."])
    _, report = load_files([write("p.csv", content)], platform="x")
    assert report.languages == {"en": 0.75, "fr": 0.25}
