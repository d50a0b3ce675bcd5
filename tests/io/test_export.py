"""Exports round-trip: what write_posts writes, load_posts reads back the same."""

from __future__ import annotations

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
