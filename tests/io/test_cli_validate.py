"""`python -m synth validate`: the report on stdout and exit 0, or the error on stderr and exit 2."""

from __future__ import annotations

import json

from synth.cli import main


def test_validate_prints_the_report(write, capsys) -> None:
    path = write("posts.csv", "text\nhello there\n\"  \"\n")
    assert main(["validate", str(path), "--platform", "reddit"]) == 0
    out = capsys.readouterr().out
    assert "Read 2 rows from 1 file(s); kept 1 posts." in out
    assert "dropped 1: empty or non-text" in out
    assert "Posts per platform: reddit 1" in out


def test_validate_json_and_column_options(write, capsys) -> None:
    path = write("posts.csv", "a,b\nignore me please,the post\n")
    assert main(["validate", str(path), "--text-column", "b", "--platform", "x", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_kept"] == 1
    assert report["files"][0]["mapping"]["text"] == "b"


def test_validate_exits_2_with_the_error(write, capsys) -> None:
    path = write("posts.csv", "text\nhello\n")
    assert main(["validate", str(path)]) == 2
    assert "error: posts.csv: no platform column" in capsys.readouterr().err
