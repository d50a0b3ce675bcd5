"""The size and row limits: refused early, with a message that says how to split the file."""

from __future__ import annotations

import io

import pytest

from synth.errors import InputError
from synth.io import MAX_ROWS, MAX_UPLOAD_MB, load_posts, read_file
from synth.io import detect as detect_module


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing written
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(InputError, match=rf"huge.csv: 200.0 MB is over the {MAX_UPLOAD_MB} MB limit.*Split it"):
        read_file(path)


def test_uploads_over_the_limit_are_refused_from_bytes_and_streams(monkeypatch) -> None:
    monkeypatch.setattr(detect_module, "MAX_UPLOAD_BYTES", 1024)
    content = b"text\n" + b"a post\n" * 200
    with pytest.raises(InputError, match="big.csv: .* MB is over the"):
        read_file(content, name="big.csv")
    with pytest.raises(InputError, match="big.csv: .* MB is over the"):
        read_file(io.BytesIO(content), name="big.csv")


def test_a_million_and_one_tiny_rows_are_refused_with_the_limit() -> None:
    content = b"text\n" + b"ab\n" * (MAX_ROWS + 1)
    with pytest.raises(InputError, match=r"m.csv: 1,000,001 rows is over the limit of 1,000,000 rows.*sample"):
        read_file(content, name="m.csv")


def test_json_over_the_row_limit_is_refused(monkeypatch) -> None:
    from synth.io import jsonish

    monkeypatch.setattr(jsonish, "MAX_ROWS", 3)
    with pytest.raises(InputError, match="p.jsonl: 4 rows is over the limit of"):
        read_file(b'{"text": "a"}\n' * 4, name="p.jsonl")
    with pytest.raises(InputError, match="p.json: 4 rows is over the limit of"):
        read_file(b'[{"text": "a"}, {"text": "a"}, {"text": "a"}, {"text": "a"}]', name="p.json")


@pytest.mark.slow
def test_a_million_tiny_rows_load() -> None:
    content = b"text\n" + b"".join(b"p%d\n" % n for n in range(MAX_ROWS))
    loaded = load_posts(content, name="m.csv", platform="x")
    assert len(loaded.posts) == MAX_ROWS
    assert loaded.report.dropped == {}
