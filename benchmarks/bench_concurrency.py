"""Benchmark 2: 200 calls to an OpenAI-compatible endpoint answering after 200 ms, sequential vs the engine
at concurrency 16 (target: at least 10x). Both go through the real `openai` backend and the engine; the
server is a loopback stand-in (benchmarks/_loopback.py). Prints JSON."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._loopback import loopback_server  # noqa: E402
from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation  # noqa: E402
from synth.topics.model import TopicSpec  # noqa: E402

CALLS = 200
DELAY_S = 0.2
REAL = pd.DataFrame({"post_id": ["r1"], "platform": ["twitter"], "text": ["a real post"], "source": "real"})


def timed_run(base_url: str, concurrency: int, work: Path) -> dict[str, float]:
    topics = tuple(TopicSpec(f"t{i}", f"topic {i}") for i in range(CALLS // 10))
    config = GenerationConfig(
        models=(ModelConfig("openai:loopback", {"base_url": base_url}, concurrency=concurrency),),
        topics=topics, platforms=("twitter",), per_cell=10, strategy="platform-aware", use_cache=False,
    )
    plan = plan_run(config, REAL)
    assert len(plan.calls) == CALLS
    started = time.perf_counter()
    result = run_generation(plan, work / f"c{concurrency}", cache_path=work / "cache.sqlite")
    seconds = time.perf_counter() - started
    assert result.status == COMPLETED and len(result.posts) == CALLS, result.progress
    return {"seconds": round(seconds, 3), "calls_per_s": round(CALLS / seconds, 2)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, loopback_server(DELAY_S) as base_url:
        work = Path(tmp)
        sequential = timed_run(base_url, 1, work)
        concurrent = timed_run(base_url, 16, work)
    print(json.dumps({
        "benchmark": "concurrency",
        "calls": CALLS,
        "server_delay_s": DELAY_S,
        "sequential": sequential,
        "engine_concurrency_16": concurrent,
        "speedup": round(sequential["seconds"] / concurrent["seconds"], 2),
        "ideal_speedup": 16,
    }, indent=2))


if __name__ == "__main__":
    main()
