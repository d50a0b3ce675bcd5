"""Benchmark 1: the local backend end to end through the engine (60 posts) beside raw llama.cpp on the same
model, prompts and sampling settings: posts/s, output tokens/s and the engine's overhead (target < 10%).

Raw: a separate Python process loads the same GGUF with llama_cpp.Llama (same settings as the backend)
and sends the same chat requests one after another (no synth code on the path). It calls llama from one
worker thread, as the backend does: on this 2-core machine, llama-cpp-python 0.3.36 called from the main
thread (n_threads_batch=2) measured about 4x slower, which would flatter the engine. Engine: the same plan run by
`run_generation` (store, parsing, progress, exports; cache off) at concurrency 1, as a local model runs.
Same seeds, so both decode the same tokens. Both load and warm the model before timing. The machine may
be shared, so raw and engine alternate for `--rounds` rounds and the sums are compared; CPU seconds are
reported beside wall seconds. Prints JSON. Usage:
    python benchmarks/bench_local_backend.py [--posts 60] [--max-tokens 48] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
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
from synth.store import request_to_json  # noqa: E402
from synth.topics import TopicSpec  # noqa: E402

REAL = pd.DataFrame(
    {
        "post_id": ["r1", "r2"],
        "platform": ["twitter", "twitter"],
        "text": ["Third espresso today and it is only 10am #coffee", "Train delayed again, 40 minutes #commute"],
        "topic": ["coffee", "trains"],
        "source": "real",
    }
)


def raw_child(model_path: str, n_ctx: int, requests_file: str) -> None:
    """Child mode: plain llama-cpp-python on the requests, timed; prints JSON."""
    from llama_cpp import Llama

    requests = json.loads(Path(requests_file).read_text(encoding="utf-8"))
    llama = Llama(model_path=model_path, n_ctx=n_ctx, verbose=False)

    def call(request: dict) -> int:
        options = request["options"]
        response = llama.create_chat_completion(
            messages=request["messages"], max_tokens=options["max_tokens"], temperature=options["temperature"],
            top_p=options["top_p"], seed=options["seed"], stop=options["stop"],
        )
        return int(response["usage"]["completion_tokens"])

    def call_all() -> int:
        return sum(call(request) for request in requests)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(call, requests[0]).result()  # warm
        started, started_cpu = time.perf_counter(), time.process_time()
        tokens = worker.submit(call_all).result()
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - started_cpu,
                      "tokens": tokens}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--raw-child", nargs=3, metavar=("MODEL_PATH", "N_CTX", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_child:
        raw_child(args.raw_child[0], int(args.raw_child[1]), args.raw_child[2])
        return

    topics = (TopicSpec("coffee", "coffee", ("espresso",)), TopicSpec("trains", "trains", ("delay",)))
    config = GenerationConfig(
        models=(ModelConfig("local:smollm2", concurrency=1),), topics=topics, platforms=("twitter",),
        per_cell=args.posts // 2, strategy="platform-aware", use_cache=False,
        options=GenerationOptions(max_tokens=args.max_tokens, temperature=0.8),
    )
    plan = plan_run(config, REAL)
    backend = create_backend("local:smollm2")
    asyncio.run(backend.generate(plan.calls[0].request))  # load and warm the model outside the timings
    model_path = str(backend._model_path())  # type: ignore[attr-defined]

    raw = {"seconds": 0.0, "cpu": 0.0, "tokens": 0}
    engine = {"seconds": 0.0, "cpu": 0.0, "tokens": 0, "posts": 0, "refusals": 0}
    with tempfile.TemporaryDirectory() as tmp:
        requests_file = Path(tmp) / "requests.json"
        requests_file.write_text("[" + ",".join(request_to_json(c.request) for c in plan.calls) + "]")
        for number in range(args.rounds):
            child = subprocess.run(
                [sys.executable, __file__, "--raw-child", model_path, str(backend.n_ctx),  # type: ignore[attr-defined]
                 str(requests_file)],
                capture_output=True, text=True, check=True,
            )
            for key, value in json.loads(child.stdout).items():
                raw[key] += value
            started, started_cpu = time.perf_counter(), time.process_time()
            result = run_generation(
                plan, Path(tmp) / f"run{number}", backends={"local:smollm2": backend},
                cache_path=Path(tmp) / "cache.sqlite",
            )
            engine["seconds"] += time.perf_counter() - started
            engine["cpu"] += time.process_time() - started_cpu
            assert result.status == COMPLETED, result.progress
            engine["tokens"] += result.progress.output_tokens
            engine["posts"] += len(result.posts)
            engine["refusals"] += result.progress.refusals

    raw_tps, engine_tps = raw["tokens"] / raw["seconds"], engine["tokens"] / engine["seconds"]
    calls = len(plan.calls) * args.rounds
    print(json.dumps({
        "benchmark": "local_backend",
        "model": "local:smollm2 (SmolLM2-135M-Instruct GGUF, llama-cpp-python)",
        "posts_per_round": len(plan.calls),
        "rounds": args.rounds,
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
        "engine_overhead_pct": round(100 * (1 - engine_tps / raw_tps), 2),
        "engine_overhead_cpu_pct": round(100 * (engine["cpu"] / raw["cpu"] - 1), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_cores": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
