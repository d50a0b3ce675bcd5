"""Kill a run with SIGKILL mid-way, resume it: exactly the planned posts, none twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth.generate import COMPLETED, resume_run
from tests.conftest import ROOT


def done_calls(run_dir: Path) -> int:
    path = run_dir / "run.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls WHERE status = 'done'").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    per_cell, planned = 15, 60  # 2 topics x 2 platforms x 15
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.generate.crash_child", str(run_dir), str(per_cell), "0.05", "4"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while done_calls(run_dir) < 15:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child made no progress"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    killed_at = done_calls(run_dir)
    assert 15 <= killed_at < planned  # killed mid-run, calls were in flight

    result = resume_run(run_dir)

    assert result.status == COMPLETED
    posts = result.posts
    assert len(posts) == planned
    assert posts["post_id"].is_unique and posts["call_id"].is_unique
    assert posts.groupby(["topic", "platform"]).size().tolist() == [per_cell] * 4
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        # Every call ran to completion exactly once (the killed in-flight calls were never recorded).
        assert db.execute("SELECT MAX(attempts), MIN(attempts) FROM calls").fetchone() == (1, 1)
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == planned
