"""Run a generation in this process until killed: the crash test's and the resume benchmark's child.

Usage: python -m tests.generate.crash_child RUN_DIR PER_CELL DELAY_S [CONCURRENCY]
"""

from __future__ import annotations

import sys

import pandas as pd

import tests.generate.doubles  # noqa: F401  (registers the `double` backend)
from synth.generate import GenerationConfig, ModelConfig, plan_run, run_generation
from synth.topics.model import TopicSpec

TOPICS = (TopicSpec("t1", "coffee", ("espresso",)), TopicSpec("t2", "trains", ("delay",)))
REAL = pd.DataFrame(
    {
        "post_id": ["r1", "r2", "r3", "r4"],
        "platform": ["twitter", "twitter", "reddit", "reddit"],
        "text": ["espresso again #coffee", "train late again", "grinder advice?", "commute doubled"],
        "topic": ["t1", "t2", "t1", "t2"],
        "source": "real",
    }
)


def main(run_dir: str, per_cell: int, delay_s: float, concurrency: int = 4) -> None:
    config = GenerationConfig(
        models=(ModelConfig("double:echo", {"delay_s": delay_s}, concurrency=concurrency),),
        topics=TOPICS, platforms=("twitter", "reddit"), per_cell=per_cell, strategy="platform-aware",
    )
    run_generation(plan_run(config, REAL), run_dir)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *(int(a) for a in sys.argv[4:5]))
