"""Benchmark: what the hardening of issue 15 costs (the run lock, the store created in one transaction, atomic
exports, the answer checks): a 10,000-call run against a loopback OpenAI-compatible server that answers at once
(benchmarks/_loopback.py), through the real `openai` backend and the engine at concurrency 32. Prints JSON.

    python benchmarks/bench_hardening.py                       # this checkout only
    python benchmarks/bench_hardening.py --base /path/to/base  # also a checkout of the commit before, same run

With --base, each checkout runs in its own subprocess (PYTHONPATH set to it), alternating base/current `--rounds`
times, so both see the same machine load; the ratio is current calls per second over base calls per second.
Wall time swings with other load on a shared machine, so the process's CPU time per call is reported too (the
loopback server's threads included, the same in both checkouts).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALLS = 10_000
CONCURRENCY = 32
ROOT = Path(__file__).resolve().parents[1]


def measure() -> dict[str, float]:
    """One timed run in this process, with whatever `synth` is on sys.path (the checkout under test)."""
    import pandas as pd

    from benchmarks._loopback import loopback_server
    from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation
    from synth.topics.model import TopicSpec

    real = pd.DataFrame({"post_id": ["r1"], "platform": ["twitter"], "text": ["a real post"], "source": "real"})
    topics = tuple(TopicSpec(f"t{i}", f"topic {i}") for i in range(CALLS // 100))
    with tempfile.TemporaryDirectory() as tmp, loopback_server(0.0) as base_url:
        config = GenerationConfig(
            models=(ModelConfig("openai:loopback", {"base_url": base_url}, concurrency=CONCURRENCY),),
            topics=topics, platforms=("twitter",), per_cell=100, strategy="platform-aware",
        )
        plan = plan_run(config, real)
        assert len(plan.calls) == CALLS
        started, cpu_started = time.perf_counter(), time.process_time()
        result = run_generation(plan, Path(tmp) / "run", cache_path=Path(tmp) / "cache.sqlite")
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.status == COMPLETED and len(result.posts) == CALLS, result.progress
    return {"seconds": seconds, "calls_per_s": CALLS / seconds, "cpu_ms_per_call": 1000 * cpu_seconds / CALLS}


def run_checkout(checkout: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure"], cwd=checkout, env=env, capture_output=True,
        text=True, check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="a checkout of the commit before the hardening")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each checkout, alternating (default 2)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    checkouts = {"current": ROOT} | ({"base": args.base.resolve()} if args.base else {})
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    for _ in range(args.rounds):
        for name, checkout in reversed(checkouts.items()):  # base first in each round
            runs[name].append(run_checkout(checkout))
    report: dict[str, object] = {
        "benchmark": "hardening", "calls": CALLS, "concurrency": CONCURRENCY, "server_delay_s": 0.0,
        "rounds": args.rounds,
    }
    medians: dict[str, dict[str, float]] = {}
    for name, measured in runs.items():
        medians[name] = {key: statistics.median(run[key] for run in measured) for key in measured[0]}
        report[name] = {
            "calls_per_s_median": round(medians[name]["calls_per_s"], 1),
            "cpu_ms_per_call_median": round(medians[name]["cpu_ms_per_call"], 3),
            "calls_per_s_runs": [round(run["calls_per_s"], 1) for run in measured],
        }
    if args.base:
        report["calls_per_s_current_over_base"] = round(
            medians["current"]["calls_per_s"] / medians["base"]["calls_per_s"], 3
        )
        report["cpu_per_call_current_over_base"] = round(
            medians["current"]["cpu_ms_per_call"] / medians["base"]["cpu_ms_per_call"], 3
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
