"""Batch mode: a run's calls to `openai:` and `anthropic:` models sent through the providers' batch APIs (half
price, results within a day) instead of one live request each.

OpenAI: the requests are uploaded as a JSONL file (`POST /v1/files`, purpose `batch`), a batch is created on it
(`POST /v1/batches`), polled (`GET /v1/batches/{id}`), and its output and error files read
(`GET /v1/files/{id}/content`). Anthropic: a Message Batch is created with the requests inline
(`POST /v1/messages/batches`), polled, and its JSONL results read. Both through the official SDKs
(synth.generate.batch_apis).

Nothing is submitted twice. Each submission is written to the run store (table `batch_jobs`) before the
provider is called, and its job id the moment the provider answers; a restart or `synth resume` polls the jobs
it finds there. A submission a killed process left without its job id is looked up at OpenAI by the tag in
the batch's metadata; Anthropic's batches carry no metadata, so such a submission (a kill inside the one
create request) is dropped and its calls submitted again: a job may then run twice, but each call's posts are
recorded once. Results are written as each job is collected, one call per transaction; a result line with an
error marks its call failed, and calls a cancelled or expired job never ran stay to do: both then go the
normal (live) path, which `run_generation` and `resume` take right after this one.

Jobs are split to respect the documented limits per batch (OpenAI: 50,000 requests and a 200 MB input file;
Anthropic: 100,000 requests or 256 MB). Costs use the batch prices of `prices.toml`; a budget cannot be
enforced on a batch (GenerationConfig refuses the two together).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from synth.backends.base import Backend, BackendError
from synth.generate.batch_apis import BatchLimits, batch_api
from synth.generate.cache import ResponseCache
from synth.generate.config import GenerationConfig
from synth.generate.costs import PriceTable
from synth.generate.parsing import parse_posts
from synth.generate.progress import RUNNING, Progress, ProgressCallback
from synth.generate.store import CallOutcome, RunStore
from synth.prompts.render import instruction_text


@dataclass(frozen=True)
class PollSchedule:
    """Seconds between polls of the open jobs: `first`, then times `factor` each round, up to `longest`."""

    first: float = 2.0
    factor: float = 1.5
    longest: float = 60.0


SUBMITTING, SUBMITTED, COLLECTED = "submitting", "submitted", "collected"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_jobs (
    submission TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    model_spec TEXT NOT NULL,
    job_id TEXT,
    state TEXT NOT NULL,
    call_ids_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    note TEXT
);
"""


@dataclass(frozen=True)
class BatchJob:
    """One submission: its calls and, once the provider answered, its job id."""

    submission: str
    model_spec: str
    job_id: str | None
    state: str
    call_ids: tuple[str, ...]
    note: str | None


class BatchJobs:
    """The `batch_jobs` table of a run store."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.db = store.db
        self.db.executescript(_SCHEMA)

    def all(self) -> list[BatchJob]:
        rows = self.db.execute(
            "SELECT * FROM batch_jobs WHERE run_id = ? ORDER BY created_at, submission", (self.store.run_id,)
        ).fetchall()
        return [
            BatchJob(row["submission"], row["model_spec"], row["job_id"], row["state"],
                     tuple(json.loads(row["call_ids_json"])), row["note"])
            for row in rows
        ]

    def add(self, submission: str, model_spec: str, call_ids: list[str]) -> None:
        now = time.time()
        self.db.execute(
            "INSERT INTO batch_jobs (submission, run_id, model_spec, state, call_ids_json, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (submission, self.store.run_id, model_spec, SUBMITTING, json.dumps(call_ids), now, now),
        )

    def update(self, submission: str, *, state: str, job_id: str | None = None, note: str | None = None) -> None:
        self.db.execute(
            "UPDATE batch_jobs SET state = ?, job_id = COALESCE(?, job_id), note = COALESCE(?, note), "
            "updated_at = ? WHERE submission = ?",
            (state, job_id, note, time.time(), submission),
        )

    def drop(self, submission: str) -> None:
        self.db.execute("DELETE FROM batch_jobs WHERE submission = ?", (submission,))


def split(lines: list[tuple[str, bytes]], limits: BatchLimits) -> list[list[tuple[str, bytes]]]:
    """Consecutive chunks of `(call_id, line)` within `limits` (a newline per line counted).

    Raises:
        BackendError: one request alone is larger than a batch may be (fatal: shorten the prompt).
    """
    chunks: list[list[tuple[str, bytes]]] = []
    size = 0
    for call_id, line in lines:
        if len(line) + 1 > limits.max_bytes:
            raise BackendError(
                f"call {call_id} is {len(line):,} bytes, over the {limits.max_bytes:,} bytes a batch may hold",
                fatal=True, kind="bad_request",
            )
        if not chunks or len(chunks[-1]) >= limits.max_requests or size + len(line) + 1 > limits.max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append((call_id, line))
        size += len(line) + 1
    return chunks


async def run_batches(
    store: RunStore,
    config: GenerationConfig,
    backends: Mapping[str, Backend],
    *,
    prices: PriceTable,
    cache: ResponseCache | None = None,
    on_progress: ProgressCallback | None = None,
    poll: PollSchedule = PollSchedule(),
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> None:
    """Submit the unfinished, uncached calls of batchable models that no job holds yet, then poll every open job
    (with backoff) and record each job's results as it ends. Returns when no job is open.

    Raises:
        BackendError: the provider refused a submission or a poll (after the SDK's retries).
    """
    jobs = BatchJobs(store)
    apis = {spec: api for spec, backend in backends.items() if (api := batch_api(backend)) is not None}
    started = time.monotonic()
    await _settle_interrupted_submissions(jobs, apis)
    await _submit_new(store, jobs, apis, cache)
    batch_prices = prices.for_batch()
    delay = poll.first
    while True:
        open_jobs = [job for job in jobs.all() if job.state == SUBMITTED]
        if not open_jobs:
            return
        for job in open_jobs:
            api = apis.get(job.model_spec)
            if api is None or job.job_id is None:
                continue
            try:
                status = await api.status(job.job_id)
            except BackendError as error:
                if error.fatal:
                    raise
                _notify(store, on_progress, started, f"batch {job.job_id}: poll failed ({error}); trying again")
                continue
            if status.ended:
                await _collect(store, jobs, job, api, batch_prices, cache, status.state)
            _notify(store, on_progress, started, f"batch {job.job_id}: {status.state}")
        if any(job.state == SUBMITTED for job in jobs.all()):
            await sleep(delay)
            delay = min(delay * poll.factor, poll.longest)


async def _settle_interrupted_submissions(jobs: BatchJobs, apis: Mapping[str, Any]) -> None:
    """Submissions a killed process left without a job id: adopt the job the provider has, else forget them."""
    for job in jobs.all():
        if job.state != SUBMITTING:
            continue
        api = apis.get(job.model_spec)
        found = await api.find(job.submission) if api is not None else None
        if found is not None:
            jobs.update(job.submission, state=SUBMITTED, job_id=found)
        else:
            jobs.drop(job.submission)


async def _submit_new(
    store: RunStore, jobs: BatchJobs, apis: Mapping[str, Any], cache: ResponseCache | None
) -> None:
    held = {call_id for job in jobs.all() for call_id in job.call_ids}
    for spec, api in apis.items():
        groups: dict[str, list[tuple[str, bytes]]] = {}
        for call in store.unfinished_calls():
            if call.model_spec != spec or call.call_id in held:
                continue
            if cache is not None and cache.get(ResponseCache.key(call.backend, call.model, call.request)):
                continue  # answered from the cache, free, by the normal path
            group, line = api.encode(call)
            groups.setdefault(group, []).append((call.call_id, line))
        for group, lines in groups.items():
            for chunk in split(lines, api.limits):
                submission = uuid.uuid4().hex
                jobs.add(submission, spec, [call_id for call_id, _ in chunk])  # before the provider hears of it
                job_id = await api.submit(group, [line for _, line in chunk], submission)
                jobs.update(submission, state=SUBMITTED, job_id=job_id)


async def _collect(
    store: RunStore, jobs: BatchJobs, job: BatchJob, api: Any, prices: PriceTable, cache: ResponseCache | None,
    state: str,
) -> None:
    """Record an ended job's results (each call once), then mark the job collected."""
    calls = {call.call_id: call for call in store.unfinished_calls()}
    results = await api.results(job.job_id)
    counts = {"done": 0, "failed": 0}
    for result in results:
        call = calls.get(result.call_id)
        if call is None or result.call_id not in job.call_ids:
            continue  # already done (a resumed collection), or not this job's
        if result.completion is None:
            store.record_failure(call, result.error or "batch error", 0.0)
            counts["failed"] += 1
            continue
        completion = result.completion
        parsed = parse_posts(completion.text, n_expected=call.n_posts, instructions=instruction_text(call.request))
        cost = prices.cost(call.backend, call.model, completion.input_tokens, completion.output_tokens)
        outcome = CallOutcome(completion, parsed.posts[: call.n_posts], parsed.refusal, cost, 0.0, False, time.time())
        store.record_success(call, outcome)
        if cache is not None:
            cache.put(ResponseCache.key(call.backend, call.model, call.request), completion)
        counts["done"] += 1
    left = len(job.call_ids) - counts["done"] - counts["failed"]
    note = f"{state}: {counts['done']} done, {counts['failed']} failed" + (
        f", {left} not run (normal path)" if left else ""
    )
    jobs.update(job.submission, state=COLLECTED, note=note)


async def batch_phase(
    store: RunStore,
    config: GenerationConfig,
    backends: Mapping[str, Backend] | None,
    *,
    cache_path: Any = None,
    on_progress: ProgressCallback | None = None,
    poll: PollSchedule = PollSchedule(),
) -> None:
    """`run_batches` for a batch run (`config.batch`), with the backends it lacks built from the config and
    closed afterwards: what `run_generation` and `resume_run` do before the normal path."""
    from synth.backends.registry import create_backend
    from synth.generate.cache import default_cache_path
    from synth.generate.costs import load_prices

    ready: dict[str, Backend] = dict(backends or {})
    owned: list[Backend] = []
    cache = ResponseCache(cache_path or default_cache_path()) if config.use_cache else None
    try:
        for model in config.models:
            if model.spec not in ready and model.backend_name in ("openai", "anthropic"):
                ready[model.spec] = create_backend(model.spec, **model.settings)
                owned.append(ready[model.spec])
        store.set_status(RUNNING)
        await run_batches(store, config, ready, prices=load_prices(config.prices_path), cache=cache,
                          on_progress=on_progress, poll=poll)
    finally:
        for backend in owned:
            await backend.aclose()
        if cache is not None:
            cache.close()


def _notify(store: RunStore, on_progress: ProgressCallback | None, started: float, message: str) -> None:
    if on_progress is None:
        return
    t = store.totals()
    on_progress(Progress(
        run_id=store.run_id, status=RUNNING, total_calls=int(t["calls"]), done_calls=int(t["done"]),
        failed_calls=int(t["failed"]), cached_calls=int(t["cached"]), planned_posts=int(t["planned_posts"]),
        posts=int(t["posts"]), refusals=int(t["refusals"]), input_tokens=int(t["input_tokens"]),
        output_tokens=int(t["output_tokens"]), spend_usd=None if t["unpriced"] else float(t["cost_usd"]),
        budget_usd=None, elapsed_s=time.monotonic() - started, latest_posts=(), message=message,
    ))
