"""Benchmark 3: a 500-call run (test-double backend, 10 ms per call, concurrency 4) is killed with SIGKILL
half-way; time how long `resume` takes to finish it, and count duplicates and lost posts. Prints JSON."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tests.generate.doubles  # noqa: E402,F401  (registers the `double` backend)
from synth.generate import COMPLETED, resume_run  # noqa: E402

PER_CELL = 125  # 2 topics x 2 platforms x 125 = 500 calls, one post each
PLANNED = 500
DELAY_S = 0.01


def done_calls(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls WHERE status = 'done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SYNTH_CACHE_DIR": str(Path(tmp) / "cache")}
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.generate.crash_child", str(run_dir), str(PER_CELL), str(DELAY_S), "4"],
            cwd=ROOT, env=env,
        )
        while done_calls(run_dir / "run.sqlite") < PLANNED // 2:
            if child.poll() is not None:
                raise SystemExit(f"the child run ended before it could be killed (exit {child.returncode})")
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        done_at_kill = done_calls(run_dir / "run.sqlite")
        os.environ["SYNTH_CACHE_DIR"] = env["SYNTH_CACHE_DIR"]
        started = time.perf_counter()
        result = resume_run(run_dir)
        seconds = time.perf_counter() - started
        with sqlite3.connect(run_dir / "run.sqlite") as db:
            stored_posts = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
            distinct_texts = db.execute("SELECT COUNT(DISTINCT text) FROM posts").fetchone()[0]
            max_attempts = db.execute("SELECT MAX(attempts) FROM calls").fetchone()[0]
    posts = result.posts
    print(json.dumps({
        "benchmark": "resume_after_sigkill",
        "planned_calls": PLANNED,
        "backend_delay_s": DELAY_S,
        "calls_done_when_killed": done_at_kill,
        "calls_made_by_resume": PLANNED - done_at_kill,
        "resume_seconds": round(seconds, 3),
        "status": result.status,
        "posts": len(posts),
        "duplicate_post_ids": int(posts["post_id"].duplicated().sum()),
        "duplicate_calls": int(posts["call_id"].duplicated().sum()),
        "duplicate_texts": int(stored_posts - distinct_texts),  # each call's text carries its unique seed
        "lost_posts": PLANNED - len(posts),
        "max_attempts_per_call": max_attempts,
        "completed": result.status == COMPLETED,
    }, indent=2))


if __name__ == "__main__":
    main()
