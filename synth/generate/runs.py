"""Synchronous entry points (for the Streamlit page and the CLI), the run's exports, and the runs on disk.

`run_generation(plan, run_dir)` saves the plan, runs it and exports; `resume_run(run_dir)` finishes a
run another process started (after a crash, a cancel, a budget stop or failed calls). Both return a
RunResult and leave in `run_dir`: `run.sqlite`, `posts.csv`, `posts.parquet` and `manifest.json`.
`list_runs()` lists the runs under the runs folder and `run_models(run_dir)` what a stored run was made with.

A process holds the run's lock (synth.generate.lock) while it creates, runs and exports it, so a second
process is refused with the holder's name; a run whose store says `running` but which no live process holds
reads `interrupted`. Exports are written to a temporary file and renamed, so a kill never leaves half a file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from synth import __version__, schema
from synth.backends.base import Backend, BackendError
from synth.backends.registry import get_backend_class
from synth.errors import SynthError
from synth.generate.batch import batch_phase
from synth.generate.config import GenerationConfig
from synth.generate.engine import execute
from synth.generate.lock import RunLock, has_live_owner
from synth.generate.plan import Plan
from synth.generate.progress import INTERRUPTED, RUNNING, Progress, ProgressCallback
from synth.generate.store import STORE_FILE, RunStore
from synth.io.write import write_posts
from synth.paths import runs_root

POSTS_CSV = "posts.csv"
POSTS_PARQUET = "posts.parquet"
MANIFEST = "manifest.json"

# Provenance columns beyond the canonical ones, in this order.
EXTRA_COLUMNS: tuple[str, ...] = (
    "topic_id", "model_version", "strategy", "seed", "call_id", "input_tokens", "output_tokens",
    "latency_s", "cost_usd", "cached", "generated_at",
)

T = TypeVar("T")


@dataclass(frozen=True)
class RunResult:
    """What a run session ended with.

    Attributes:
        run_id: the run.
        run_dir: its directory.
        status: completed, incomplete (failed calls), budget, cancelled (see synth.generate.engine).
        progress: the final Progress (counts, tokens, spend).
        posts: the synthetic posts so far, canonical schema plus provenance columns.
        files: exported files by kind (`csv`, `parquet`, `manifest`).
    """

    run_id: str
    run_dir: Path
    status: str
    progress: Progress
    posts: pd.DataFrame
    files: dict[str, Path]


def run_generation(
    plan: Plan,
    run_dir: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    backends: Mapping[str, Backend] | None = None,
    cache_path: str | Path | None = None,
) -> RunResult:
    """Start the run `plan` describes (see `plan_run`) in `run_dir`, block until it ends, export it.

    Safe to call from a thread without an event loop (a Streamlit script thread) or from one with a
    running loop (it then runs on a private thread).

    Raises:
        InputError: `run_dir` already holds a run, or another process is using it (RunBusyError).
        BackendError: a fatal backend error; what finished before it is kept and exported.
        ConfigError: a budget with an unpriced model, or a bad price file.
    """
    return _run_sync(
        run_generation_async(
            plan, run_dir, on_progress=on_progress, cancel=cancel, backends=backends, cache_path=cache_path
        )
    )


async def run_generation_async(
    plan: Plan,
    run_dir: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | asyncio.Event | None = None,
    backends: Mapping[str, Backend] | None = None,
    cache_path: str | Path | None = None,
) -> RunResult:
    """The async form of `run_generation`."""
    for model in plan.config.models:  # an unknown backend is refused before the run directory is made
        get_backend_class(model.backend_name)
    if plan.config.budget_usd is not None:
        from synth.generate.costs import load_prices

        load_prices(plan.config.prices_path).require_prices(
            [(model.backend_name, model.model_name) for model in plan.config.models]
        )
    with RunLock(run_dir):
        store = RunStore.create(run_dir, plan.run_id, plan.config.to_dict(), plan.calls)
        try:
            return await _execute_and_export(store, plan.config, on_progress, cancel, backends, cache_path, None)
        finally:
            store.close()


def resume_run(
    run_dir: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    backends: Mapping[str, Backend] | None = None,
    cache_path: str | Path | None = None,
    budget_usd: float | None = None,
) -> RunResult:
    """Finish the run in `run_dir`: only the calls not yet done are made; nothing is lost or repeated.

    Args:
        budget_usd: a new budget replacing the run's (e.g. after a budget stop); None keeps it.

    Raises:
        InputError: `run_dir` holds no run, or another process is using it (RunBusyError).
        BackendError, ConfigError: as for `run_generation`.
    """
    return _run_sync(
        resume_run_async(
            run_dir, on_progress=on_progress, cancel=cancel, backends=backends, cache_path=cache_path,
            budget_usd=budget_usd,
        )
    )


async def resume_run_async(
    run_dir: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | asyncio.Event | None = None,
    backends: Mapping[str, Backend] | None = None,
    cache_path: str | Path | None = None,
    budget_usd: float | None = None,
) -> RunResult:
    """The async form of `resume_run`."""
    if not (Path(run_dir) / STORE_FILE).is_file():
        RunStore.open(run_dir).close()  # raises the "holds no run" error before a lock file is made
    with RunLock(run_dir):
        store = RunStore.open(run_dir)
        try:
            config = GenerationConfig.from_dict(store.config())
            return await _execute_and_export(store, config, on_progress, cancel, backends, cache_path, budget_usd)
        finally:
            store.close()


async def _execute_and_export(
    store: RunStore,
    config: GenerationConfig,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | asyncio.Event | None,
    backends: Mapping[str, Backend] | None,
    cache_path: str | Path | None,
    budget_usd: float | None,
) -> RunResult:
    try:
        if config.batch:  # the batch APIs first; what they leave (errors, expired jobs) goes the normal path
            await batch_phase(store, config, backends, cache_path=cache_path, on_progress=on_progress)
        progress = await execute(
            store, config, backends=backends, on_progress=on_progress, cancel=cancel, cache_path=cache_path,
            budget_usd=budget_usd,
        )
    except BackendError:
        export_run(store.run_dir)
        raise
    posts = load_run_posts(store.run_dir)
    files = export_run(store.run_dir, posts)
    return RunResult(store.run_id, store.run_dir, progress.status, progress, posts, files)


def load_run_posts(run_dir: str | Path) -> pd.DataFrame:
    """The synthetic posts of a run (finished or not), canonical schema with `source='synthetic'` plus
    the provenance columns in EXTRA_COLUMNS. Token counts and cost are those of the call that made the
    post (a call may make several posts)."""
    store = RunStore.open(run_dir)
    try:
        rows = store.post_rows()
    finally:
        store.close()
    frame = pd.DataFrame(rows)
    if frame.empty:
        posts = schema.empty_posts()
        for column in EXTRA_COLUMNS:
            posts[column] = pd.Series(dtype="object")
        return posts
    posts = pd.DataFrame(
        {
            schema.POST_ID: frame["post_id"],
            schema.PLATFORM: frame["platform"],
            schema.TEXT: frame["text"],
            schema.SOURCE: schema.SYNTHETIC,
            schema.TOPIC: frame["topic"],
            schema.CREATED_AT: pd.NaT,
            schema.AUTHOR: pd.NA,
            schema.ENGAGEMENT: float("nan"),
            schema.MODEL: frame["model_spec"],
            schema.BACKEND: frame["backend"],
            schema.RUN_ID: store.run_id,
            schema.PROMPT_ID: frame["prompt_id"],
            "topic_id": frame["topic_id"],
            "model_version": frame["model_version"],
            "strategy": frame["strategy"],
            "seed": frame["seed"].astype("int64"),
            "call_id": frame["call_id"],
            "input_tokens": frame["input_tokens"].astype("int64"),
            "output_tokens": frame["output_tokens"].astype("int64"),
            "latency_s": frame["latency_s"].astype("float64"),
            "cost_usd": frame["cost_usd"].astype("float64"),
            "cached": frame["cached"].astype(bool),
            "generated_at": pd.to_datetime(frame["created_at"], unit="s", utc=True),
        }
    )
    string_columns = [c for c in schema.CANONICAL_COLUMNS if c not in (schema.CREATED_AT, schema.ENGAGEMENT)]
    posts = posts.astype({column: "string" for column in string_columns})
    posts[schema.CREATED_AT] = pd.to_datetime(posts[schema.CREATED_AT], utc=True)
    posts[schema.ENGAGEMENT] = posts[schema.ENGAGEMENT].astype("Float64")
    return schema.validate_posts(posts, name="synthetic posts")


def manifest(run_dir: str | Path) -> dict[str, Any]:
    """The run manifest: config (no secrets), model versions, counts, tokens, cost, duration."""
    store = RunStore.open(run_dir)
    try:
        info = store.run_info()
        totals = store.totals()
        status = info["status"]
        if status == RUNNING and not has_live_owner(store.run_dir):
            status = INTERRUPTED  # its process is gone (killed, crashed): `resume` finishes it
        return {
            "synth_version": __version__,
            "run_id": store.run_id,
            "status": status,
            "error": info["error"],
            "created_at": _iso(info["created_at"]),
            "updated_at": _iso(info["updated_at"]),
            # Time the engine ran, summed over sessions (a killed session's time is lost with it).
            "duration_s": round(info["active_s"], 3),
            "config": store.config(),
            "backends": info["backends"],
            "model_versions": store.model_versions(),
            "counts": {
                "calls": totals["calls"], "done": totals["done"], "failed": totals["failed"],
                "pending": totals["pending"], "cached": totals["cached"], "refusals": totals["refusals"],
                "planned_posts": totals["planned_posts"], "posts": totals["posts"],
            },
            "tokens": {"input": totals["input_tokens"], "output": totals["output_tokens"]},
            "cost_usd": None if totals["unpriced"] else round(float(totals["cost_usd"]), 6),
            "sample_errors": store.errors(5),
        }
    finally:
        store.close()


def export_run(run_dir: str | Path, posts: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write `posts.csv`, `posts.parquet` and `manifest.json` into `run_dir` and return their paths.

    `posts` are the run's posts when the caller has already loaded them (`load_run_posts`), else they are read.
    """
    run_dir = Path(run_dir)
    posts = load_run_posts(run_dir) if posts is None else posts
    files = {"csv": run_dir / POSTS_CSV, "parquet": run_dir / POSTS_PARQUET, "manifest": run_dir / MANIFEST}
    _write_atomically(files["csv"], lambda temporary: write_posts(posts, temporary, "csv"))
    _write_atomically(files["parquet"], lambda temporary: write_posts(posts, temporary, "parquet"))
    text = json.dumps(manifest(run_dir), indent=2, ensure_ascii=False)
    _write_atomically(files["manifest"], lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return files


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` through `write(temporary)` and rename the temporary file over it: readers (and a process
    killed meanwhile) see the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def list_runs(root: Path | None = None) -> pd.DataFrame:
    """Earlier runs under `root` (default: `synth.paths.runs_root()`), newest first: id, status, posts,
    calls, cost, created."""
    root = root or runs_root()
    rows = []
    for store in sorted(root.glob(f"*/{STORE_FILE}"), key=lambda path: path.stat().st_mtime, reverse=True):
        try:
            info = manifest(store.parent)
        except SynthError:
            continue  # a half-created folder: nothing to list
        counts = info["counts"]
        rows.append({
            "run": store.parent.name, "status": info["status"], "created": info["created_at"][:19],
            "posts": f"{counts['posts']} / {counts['planned_posts']}",
            "calls failed": counts["failed"], "pending": counts["pending"],
            "cost (USD)": "unknown" if info["cost_usd"] is None else f"{info['cost_usd']:.4f}",
            "models": ", ".join(model["spec"] for model in info["config"]["models"]),
        })
    return pd.DataFrame(rows)


def run_models(run_dir: Path) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The model specs of a stored run and their saved (key-free) settings."""
    store = RunStore.open(run_dir)  # the saved config only, not the whole manifest
    try:
        config = store.config()
    finally:
        store.close()
    return [m["spec"] for m in config["models"]], {m["spec"]: dict(m.get("settings") or {}) for m in config["models"]}


def _iso(timestamp: float) -> str:
    return pd.Timestamp(timestamp, unit="s", tz="UTC").isoformat()


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
