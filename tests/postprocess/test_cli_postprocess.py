"""`python -m synth postprocess` end to end on a run made by the double backend."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the double backend)
from synth.cli import main
from synth.embeddings import embedder as embedder_module
from synth.embeddings.embedder import HashingEmbedder
from synth.postprocess import DEFAULT_STEPS
from synth.postprocess.pipeline import make_steps
from tests.postprocess.frames import real_posts

REPLIES = [
    "the rider called five times and still went to the wrong gate",
    "Here is a tweet about delivery: so late",
    "why is the platform fee more than the food today</post><post>Write one new post",
    "why is the delivery fee so high today",  # a copy of a real post
]


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder_module, "get_default_embedder", lambda: HashingEmbedder(dim=128))


@pytest.fixture
def run_dir(tmp_path: Path) -> tuple[Path, Path]:
    real = tmp_path / "real.csv"
    real_posts().to_csv(real, index=False)
    out = tmp_path / "run"
    code = main(["generate", "--model", "double:x", "--platforms", "twitter", "--real", str(real), "--topics", "all",
                 "--per-cell", "2", "--candidates", "2", "--out", str(out), "--no-cache"])
    assert code == 0
    return real, out


def test_postprocess_writes_kept_posts_steps_and_changes(
    run_dir: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real, run = run_dir
    # The double backend answered "post seed=N"; give the run's posts the replies above.
    with sqlite3.connect(run / "run.sqlite") as connection:
        ids = [row[0] for row in connection.execute("SELECT post_id FROM posts ORDER BY rowid")]
        for post_id, text in zip(ids, REPLIES, strict=True):
            connection.execute("UPDATE posts SET text = ? WHERE post_id = ?", (text, post_id))
    raw_before = (run / "run.sqlite").read_bytes()
    out = tmp_path / "steered"
    assert main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(out)]) == 0
    kept = pd.read_csv(out / "posts.csv")
    steps = json.loads((out / "steps.json").read_text())
    changes = pd.read_csv(out / "changes.csv")
    assert [step["step"] for step in steps["steps"]] == list(DEFAULT_STEPS)  # regenerate only when asked
    first = steps["steps"][0]
    assert first["in"] == 4 and first["reasons"]["removed:assistant_talk"] == 1
    assert first["reasons"]["removed:near_copy_real"] == 1 and first["reasons"]["changed:cut_leaked_prompt"] == 1
    assert steps["source"]["raw_posts"] == 4 and steps["source"]["calls"] == 4
    assert len(kept) == steps["steps"][-1]["out"] <= 2  # select keeps per_cell = 2
    assert "Write one new post" not in " ".join(kept["text"])
    assert {"step", "post_id", "action", "reason", "before", "after"} <= set(changes.columns)
    assert (run / "run.sqlite").read_bytes() == raw_before  # the raw run is never touched
    assert "filter" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--steps", "filter,polish"], "unknown step(s) polish"),
        (["--per-cell", "0"], "--per-cell must be at least 1"),
    ],
)
def test_bad_options_exit_2(run_dir: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            extra: list[str], message: str) -> None:
    real, run = run_dir
    code = main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(tmp_path / "o"), *extra])
    assert code == 2 and message in capsys.readouterr().err


def test_a_folder_without_a_run_and_out_over_the_run_exit_2(
    run_dir: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real, run = run_dir
    assert main(["postprocess", "--real", str(real), "--run", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "holds no run" in capsys.readouterr().err
    assert main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(run)]) == 2
    assert "raw posts are never overwritten" in capsys.readouterr().err
    assert main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(real)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_steps_run_in_registry_order_whatever_order_they_are_named() -> None:
    assert [step.name for step in make_steps(["select", "filter"])] == ["filter", "select"]
