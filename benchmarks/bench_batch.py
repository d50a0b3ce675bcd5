"""Batch mode at scale: submit, poll and collect 10,000 calls against the loopback OpenAI Batch API fake. Prints JSON.

The plan is 2 topics x 2 platforms x 2,500 posts of `openai:gpt-4o-mini` (10,000 calls, one post each). Timed
apart: `plan_s` (planning, after one warm-up plan, and writing the calls to the run store), `submit_s`
(encoding the requests, the JSONL upload and the batch creation: one job, under OpenAI's 50,000-request
limit), `poll_collect_s` (polling until the job ends and writing all 10,000 results, one transaction per
call), `export_s` (posts.csv, parquet, manifest). The fake answers at once, so these are the client's
costs; a real batch takes up to 24 h at the provider. Also: the run store's size on disk, the JSONL bytes
uploaded, and the estimate at batch prices.

Usage: python benchmarks/bench_batch.py [--calls-per-cell 2500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.backends.registry import create_backend  # noqa: E402
from synth.generate import GenerationConfig, ModelConfig, plan_run  # noqa: E402
from synth.generate.batch import BatchJobs, PollSchedule, _submit_new, run_batches  # noqa: E402
from synth.generate.batch_apis import batch_api  # noqa: E402
from synth.generate.costs import load_prices  # noqa: E402
from synth.generate.runs import export_run  # noqa: E402
from synth.generate.store import RunStore  # noqa: E402
from synth.topics.model import TopicSpec  # noqa: E402
from tests.generate.fake_batch_servers import batch_server  # noqa: E402

REAL = pd.DataFrame({
    "post_id": ["r1", "r2", "r3", "r4"], "platform": ["twitter", "twitter", "reddit", "reddit"],
    "text": ["Third espresso today #coffee", "Train delayed again @railco",
             "Has anyone tried the new grinder? It clogs with dark roasts.", "My commute doubled this month."],
    "topic": ["t1", "t2", "t1", "t2"], "source": "real",
})
TOPICS = (TopicSpec("t1", "coffee", ("espresso",)), TopicSpec("t2", "trains", ("delay",)))


async def measure(per_cell: int, run_dir: Path) -> dict[str, object]:
    with batch_server() as fake:
        model = ModelConfig("openai:gpt-4o-mini", {"base_url": f"{fake.base_url}/v1"})
        config = GenerationConfig(models=(model,), topics=TOPICS, platforms=("twitter", "reddit"),
                                  per_cell=per_cell, k=2, batch=True, use_cache=False)
        plan_run(replace(config, per_cell=1), REAL)  # warm up: imports and style profiles are not per call
        start = time.perf_counter()
        plan = plan_run(config, REAL)
        store = RunStore.create(run_dir, plan.run_id, config.to_dict())
        store.add_calls(plan.calls)
        plan_s = time.perf_counter() - start
        backend = create_backend(model.spec, **model.settings)
        apis = {model.spec: batch_api(backend)}
        start = time.perf_counter()
        await _submit_new(store, BatchJobs(store), apis, None)
        submit_s = time.perf_counter() - start
        start = time.perf_counter()
        await run_batches(store, config, {model.spec: backend}, prices=load_prices(), poll=PollSchedule(first=0.5))
        poll_collect_s = time.perf_counter() - start
        await backend.aclose()
        totals = store.totals()
        store.close()
        start = time.perf_counter()
        files = export_run(run_dir)
        export_s = time.perf_counter() - start
        uploaded = sum(len(content) for name, content in fake.files.items()
                       if fake.batches and name == next(iter(fake.batches.values()))["input_file_id"])
    store_bytes = sum(path.stat().st_size for path in run_dir.glob("run.sqlite*"))
    return {
        "calls": len(plan.calls), "done": int(totals["done"]), "jobs": len(fake.batches), "polls": fake.polls,
        "plan_s": round(plan_s, 2), "submit_s": round(submit_s, 2), "poll_collect_s": round(poll_collect_s, 2),
        "export_s": round(export_s, 2), "jsonl_uploaded_mb": round(uploaded / 1e6, 2),
        "run_store_mb": round(store_bytes / 1e6, 2),
        "run_store_kb_per_call": round(store_bytes / 1e3 / len(plan.calls), 2),
        "estimate_usd_batch_prices": plan.estimate.cost_usd, "spent_usd": round(float(totals["cost_usd"]), 6),
        "files": sorted(files),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-cell", type=int, default=2500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SYNTH_CACHE_DIR"] = str(Path(folder) / "cache")
        figures = asyncio.run(measure(args.calls_per_cell, Path(folder) / "run"))
    print(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, **figures}, indent=2))


if __name__ == "__main__":
    main()
