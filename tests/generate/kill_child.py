"""A generation run against the fake provider that kills itself with SIGKILL at a chosen moment: just before
its N-th SQL statement (any connection: run store, response cache, manifest), or half-way through writing an
export file. The hardening tests drive kill points through a run with it.

Usage: python -m tests.generate.kill_child RUN_DIR BASE_URL PER_CELL KILL_AT_STATEMENT [--kill-in-export]
KILL_AT_STATEMENT 0 never kills at a statement. With --kill-in-export the run finishes and exports, then exports
again and is killed half-way through writing posts.csv.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from synth.generate import GenerationConfig, ModelConfig, export_run, plan_run, run_generation
from synth.generate import cache as cache_module
from synth.generate import store as store_module
from synth.topics.model import TopicSpec

TOPICS = (TopicSpec("t1", "coffee", ("espresso",)), TopicSpec("t2", "trains", ("delay",)))
PLATFORMS = ("twitter", "reddit")
REAL = pd.DataFrame(
    {
        "post_id": ["r1", "r2", "r3", "r4"],
        "platform": ["twitter", "twitter", "reddit", "reddit"],
        "text": ["espresso again #coffee", "train late again", "grinder advice?", "commute doubled"],
        "topic": ["t1", "t2", "t1", "t2"],
        "source": "real",
    }
)


def planned_posts(per_cell: int) -> int:
    return len(TOPICS) * len(PLATFORMS) * per_cell


def config(base_url: str, per_cell: int) -> GenerationConfig:
    return GenerationConfig(
        models=(ModelConfig("openai:fake-model", {"base_url": base_url, "max_retries": 0}, concurrency=4),),
        topics=TOPICS, platforms=PLATFORMS, per_cell=per_cell, strategy="platform-aware",
    )


def _kill_now() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm_statement_kill(kill_at: int) -> None:
    """Kill this process just before the `kill_at`-th SQL statement any store or cache connection runs."""
    count = 0
    original = store_module.connect

    def trace(statement: str) -> None:
        nonlocal count
        count += 1
        if count == kill_at:
            _kill_now()

    def connect(path: Path) -> sqlite3.Connection:
        connection = original(path)
        connection.set_trace_callback(trace)
        return connection

    store_module.connect = connect  # type: ignore[assignment]
    cache_module.connect = connect  # type: ignore[assignment]


def _arm_export_kill() -> None:
    """Kill this process half-way through the next write of a posts.csv (its first half is on disk)."""
    original = Path.write_bytes

    def write_bytes(self: Path, data: Any) -> int:
        if self.name.endswith(".csv") or "posts.csv" in self.name:
            with open(self, "wb") as handle:
                handle.write(bytes(data)[: len(data) // 2])
                handle.flush()
            _kill_now()
        return original(self, data)

    Path.write_bytes = write_bytes  # type: ignore[method-assign]


def main(run_dir: str, base_url: str, per_cell: int, kill_at: int, kill_in_export: bool) -> None:
    if kill_at:
        _arm_statement_kill(kill_at)
    run_generation(plan_run(config(base_url, per_cell), REAL), run_dir)
    if kill_in_export:
        _arm_export_kill()
        export_run(run_dir)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--kill-in-export" in sys.argv[5:])
