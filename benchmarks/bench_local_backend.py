"""Benchmark 1: the local backend end to end through the engine (60 posts) beside raw llama.cpp on the same
model, prompts and sampling settings: posts/s, output tokens/s and the engine's overhead (target < 10%).

Raw: the same chat requests sent straight to the very llama_cpp.Llama object the backend loaded, one after
another, each from a fresh thread with a no-op logits processor, which is how the backend calls it. Both
choices are the fast way on this machine (llama-cpp-python 0.3.36, 2 shared cores): calls made back to
back from one long-lived thread measured ~6x slower prompt evaluation (llama.cpp's own timings), and calls
without a logits processor were slower too. The baseline must be llama.cpp at its fastest.
Engine: the same calls run by `run_generation`
(store, parsing, progress, exports; cache off) at concurrency 1, as a local model runs. Same seeds, so both
decode the same tokens. The model is loaded and warmed first. This machine is shared and its speed drifts
by several times within minutes, so raw and engine alternate in chunks of `--chunk` calls (swapping which
goes first); each engine chunk is a whole run (store, exports), which counts against the engine.
CPU seconds are reported beside wall seconds, and the share of the engine's time spent outside the
backend's calls (its own overhead, measured from the store's per-call latencies). Prints JSON. Usage:
    python benchmarks/bench_local_backend.py [--posts 60] [--max-tokens 48] [--chunk 5]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.backends.base import GenerationOptions  # noqa: E402
from synth.backends.registry import create_backend  # noqa: E402
from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation  # noqa: E402
from synth.generate.store import CallRecord  # noqa: E402
from synth.topics.model import TopicSpec  # noqa: E402

REAL = pd.DataFrame(
    {
        "post_id": ["r1", "r2"],
        "platform": ["twitter", "twitter"],
        "text": ["Third espresso today and it is only 10am #coffee", "Train delayed again, 40 minutes #commute"],
        "topic": ["coffee", "trains"],
        "source": "real",
    }
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--chunk", type=int, default=5, help="calls per alternating raw/engine chunk")
    args = parser.parse_args()

    topics = (TopicSpec("coffee", "coffee", ("espresso",)), TopicSpec("trains", "trains", ("delay",)))
    config = GenerationConfig(
        models=(ModelConfig("local:smollm2", concurrency=1),), topics=topics, platforms=("twitter",),
        per_cell=args.posts // 2, strategy="platform-aware", use_cache=False,
        options=GenerationOptions(max_tokens=args.max_tokens, temperature=0.8),
    )
    plan = plan_run(config, REAL)
    backend = create_backend("local:smollm2")
    asyncio.run(backend.generate(plan.calls[0].request))  # load and warm the model outside the timings
    from synth.backends._local import _load  # the process-wide Llama the backend uses

    llama = _load(backend._model_path(), backend.n_ctx, backend.n_threads).llama  # type: ignore[attr-defined]
    from llama_cpp import LogitsProcessorList

    no_op = LogitsProcessorList([lambda input_ids, scores: scores])

    def raw_call(call: CallRecord) -> int:
        options = call.request.options
        response = llama.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in call.request.messages],
            max_tokens=options.max_tokens, temperature=options.temperature, top_p=options.top_p,
            seed=options.seed, stop=list(options.stop), logits_processor=no_op,
        )
        return int(response["usage"]["completion_tokens"])

    def raw_calls(calls: tuple[CallRecord, ...]) -> int:
        tokens = 0
        for call in calls:
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as fresh_thread:
                tokens += fresh_thread.submit(raw_call, call).result()
        return tokens

    raw = {"seconds": 0.0, "cpu": 0.0, "tokens": 0}
    engine = {"seconds": 0.0, "cpu": 0.0, "tokens": 0, "posts": 0, "refusals": 0, "backend_seconds": 0.0}
    chunks = [plan.calls[i:i + args.chunk] for i in range(0, len(plan.calls), args.chunk)]
    with tempfile.TemporaryDirectory() as tmp:
        for number, chunk in enumerate(chunks):
            for side in ("raw", "engine") if number % 2 == 0 else ("engine", "raw"):
                started, started_cpu = time.perf_counter(), time.process_time()
                if side == "raw":
                    raw["tokens"] += raw_calls(chunk)
                    raw["seconds"] += time.perf_counter() - started
                    raw["cpu"] += time.process_time() - started_cpu
                    continue
                chunk_plan = dataclasses.replace(plan, run_id=f"{plan.run_id}-{number}", calls=chunk)
                result = run_generation(
                    chunk_plan, Path(tmp) / f"run{number}", backends={"local:smollm2": backend},
                    cache_path=Path(tmp) / "cache.sqlite",
                )
                engine["seconds"] += time.perf_counter() - started
                engine["cpu"] += time.process_time() - started_cpu
                assert result.status == COMPLETED, result.progress
                engine["tokens"] += result.progress.output_tokens
                engine["posts"] += len(result.posts)
                engine["refusals"] += result.progress.refusals
                with sqlite3.connect(result.run_dir / "run.sqlite") as db:
                    engine["backend_seconds"] += db.execute("SELECT SUM(latency_s) FROM calls").fetchone()[0]

    raw_tps, engine_tps = raw["tokens"] / raw["seconds"], engine["tokens"] / engine["seconds"]
    calls = len(plan.calls)
    print(json.dumps({
        "benchmark": "local_backend",
        "model": "local:smollm2 (SmolLM2-135M-Instruct GGUF, llama-cpp-python)",
        "calls": calls,
        "chunk": args.chunk,
        "max_tokens": args.max_tokens,
        "raw_llama_cpp": {
            "seconds": round(raw["seconds"], 3), "cpu_seconds": round(raw["cpu"], 3), "output_tokens": raw["tokens"],
            "tokens_per_s": round(raw_tps, 2), "calls_per_s": round(calls / raw["seconds"], 3),
        },
        "engine": {
            "seconds": round(engine["seconds"], 3), "cpu_seconds": round(engine["cpu"], 3),
            "output_tokens": engine["tokens"], "tokens_per_s": round(engine_tps, 2), "posts": engine["posts"],
            "posts_per_s": round(engine["posts"] / engine["seconds"], 3), "refusals": engine["refusals"],
        },
        "same_tokens_decoded": raw["tokens"] == engine["tokens"],
        # The engine's own cost, free of the raw baseline's noise: time of engine runs (planning store,
        # scheduling, parsing, SQLite writes, exports) not spent waiting for the backend's answers.
        "engine_time_outside_backend_pct": round(
            100 * (1 - engine["backend_seconds"] / engine["seconds"]), 2
        ),
        "engine_overhead_pct": round(100 * (1 - engine_tps / raw_tps), 2),
        "engine_overhead_cpu_pct": round(100 * (engine["cpu"] / raw["cpu"] - 1), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_cores": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
