"""The async engine: run a plan's calls against the backends, writing each result as it arrives.

Each model gets `concurrency` workers pulling calls from its queue, behind its rate limits. A call is
answered from the response cache when an identical one (backend, model, request, seed) was made before;
otherwise the backend is called under a timeout (the SDKs do their own retries). A fatal BackendError
(bad key, bad request, unknown model) stops the whole run at once; other failures mark the call failed
(`resume` retries it). The budget is checked before each call against spend so far plus the worst-case
cost of the calls in flight (1.5x the estimated prompt tokens plus max_tokens), so the run stops cleanly
before going over.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.backends.base import Backend, BackendError, Completion
from synth.backends.fleet import FleetBackend
from synth.backends.registry import create_backend
from synth.errors import ConfigError
from synth.generate.cache import ResponseCache, default_cache_path
from synth.generate.config import GenerationConfig, ModelConfig
from synth.generate.costs import PriceTable, load_prices
from synth.generate.limits import RateLimiter
from synth.generate.parsing import parse_posts
from synth.generate.progress import (
    BUDGET,
    CANCELLED,
    COMPLETED,
    FAILED,
    INCOMPLETE,
    RUNNING,
    Progress,
    ProgressCallback,
)
from synth.generate.store import FAILED as FAILED_CALL
from synth.generate.store import CallOutcome, CallRecord, RunStore
from synth.prompts.render import instruction_text

LATEST_POSTS = 5
# The budget holds this multiple of a call's chars/4 prompt estimate (tokenizers count more tokens than
# chars/4 for emoji, URLs and non-English text), plus its max_tokens, while the call is in flight.
PROMPT_ESTIMATE_MARGIN = 1.5


@dataclass
class _State:
    """Counters of one engine session, read from the store once and then kept up to date in memory
    (single event-loop thread: no locking needed)."""

    store: RunStore
    budget_usd: float | None
    started: float = field(default_factory=time.monotonic)
    totals: dict[str, Any] = field(default_factory=dict)
    failed_before: set[str] = field(default_factory=set)
    reserved_usd: float = 0.0
    latest: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=LATEST_POSTS))
    status: str = RUNNING
    message: str = ""
    fatal: BackendError | None = None
    all_priced: bool = True

    def refresh(self) -> None:
        self.totals = self.store.totals()
        self.failed_before = {call.call_id for call in self.store.calls(status=FAILED_CALL)}

    @property
    def spent(self) -> float:
        return float(self.totals["cost_usd"])

    def count_success(self, call: CallRecord, outcome: CallOutcome) -> None:
        t = self.totals
        self._leave_unfinished(call)
        t["done"] += 1
        t["posts"] += len(outcome.posts)
        t["refusals"] += int(outcome.refusal)
        t["cached"] += int(outcome.cached)
        t["input_tokens"] += outcome.completion.input_tokens
        t["output_tokens"] += outcome.completion.output_tokens
        if outcome.cost_usd is None:
            t["unpriced"] += 1
        else:
            t["cost_usd"] += outcome.cost_usd

    def count_failure(self, call: CallRecord) -> None:
        if call.call_id not in self.failed_before:
            self._leave_unfinished(call)
            self.totals["failed"] += 1
            self.failed_before.add(call.call_id)

    def _leave_unfinished(self, call: CallRecord) -> None:
        if call.call_id in self.failed_before:
            self.failed_before.discard(call.call_id)
            self.totals["failed"] -= 1
        else:
            self.totals["pending"] -= 1

    def snapshot(self) -> Progress:
        t = self.totals
        spend = float(t["cost_usd"]) if self.all_priced and not t["unpriced"] else None
        return Progress(
            run_id=self.store.run_id, status=self.status, total_calls=int(t["calls"]), done_calls=int(t["done"]),
            failed_calls=int(t["failed"]), cached_calls=int(t["cached"]), planned_posts=int(t["planned_posts"]),
            posts=int(t["posts"]), refusals=int(t["refusals"]), input_tokens=int(t["input_tokens"]),
            output_tokens=int(t["output_tokens"]), spend_usd=spend,
            budget_usd=self.budget_usd, elapsed_s=time.monotonic() - self.started,
            latest_posts=tuple(self.latest), message=self.message,
        )


async def execute(
    store: RunStore,
    config: GenerationConfig,
    *,
    backends: Mapping[str, Backend] | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | asyncio.Event | None = None,
    cache_path: str | Path | None = None,
    budget_usd: float | None = None,
) -> Progress:
    """Run every unfinished call of the run in `store` and return the final progress.

    Args:
        store: the run's store, with its calls already planned.
        config: the run's config (models, limits, timeout, budget, prices).
        backends: ready backends by model spec (e.g. the page's cached local model); the others are
            created from the config and closed at the end.
        on_progress: called with a Progress after every call (in the engine's thread).
        cancel: set it to stop the run: calls in flight are abandoned and stay to do for `resume`.
        cache_path: the response cache file; `default_cache_path()` when None.
        budget_usd: overrides the config's budget (e.g. a larger one on resume).

    Raises:
        BackendError: a fatal backend error (bad key, bad request...), with the provider's message; the
            run is marked failed and everything finished before it is kept.
        ConfigError: a budget is set but a model has no price, or the price file is bad.
    """
    budget = budget_usd if budget_usd is not None else config.budget_usd
    prices = load_prices(config.prices_path)
    if budget is not None:
        prices.require_prices([(m.backend_name, m.model_name) for m in config.models])
    state = _State(store, budget)
    state.all_priced = all(prices.price(m.backend_name, m.model_name) is not None for m in config.models)
    state.refresh()
    pending = store.unfinished_calls()
    owned: list[Backend] = []
    ready: dict[str, Backend] = dict(backends or {})
    cache = ResponseCache(cache_path or default_cache_path()) if config.use_cache else None
    try:
        _open_backends(config, pending, ready, owned)
        _check_capabilities(pending, ready)
        store.set_backends({spec: backend.describe() for spec, backend in ready.items()})
        store.set_status(RUNNING)
        _notify(on_progress, state)
        await _run_workers(config, pending, ready, prices, cache, state, on_progress, cancel)
    finally:
        for backend in owned:
            await backend.aclose()
        if cache is not None:
            cache.close()
    state.refresh()
    _settle_status(state)
    store.set_status(state.status, state.message or None)
    store.add_active_time(time.monotonic() - state.started)
    _notify(on_progress, state)
    if state.fatal is not None:
        raise state.fatal
    return state.snapshot()


def _open_backends(
    config: GenerationConfig, pending: list[CallRecord], ready: dict[str, Backend], owned: list[Backend]
) -> None:
    """Create the backends the pending calls need and `ready` lacks; each one created joins `owned` at once, so
    the caller closes it even when a later one fails."""
    needed = {call.model_spec for call in pending}
    for model in config.models:
        if model.spec in needed and model.spec not in ready:
            ready[model.spec] = create_backend(model.spec, **model.settings)
            owned.append(ready[model.spec])


def _settle_status(state: _State) -> None:
    """The run's final status once the workers are done (a budget stop or a cancel is already set)."""
    if state.fatal is not None:
        state.status, state.message = FAILED, str(state.fatal)
    elif state.status == RUNNING:
        state.status = INCOMPLETE if state.totals["failed"] or state.totals["pending"] else COMPLETED
        if state.status == INCOMPLETE:
            state.message = f"{state.totals['failed']} call(s) failed; `synth resume` retries them"


async def _run_workers(
    config: GenerationConfig,
    pending: list[CallRecord],
    backends: Mapping[str, Backend],
    prices: PriceTable,
    cache: ResponseCache | None,
    state: _State,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | asyncio.Event | None,
) -> None:
    """Run the pending calls on each model's workers until they are done, a fatal error, the budget or a cancel
    stops them."""
    stop = asyncio.Event()
    budget_changed = asyncio.Condition()
    tasks: list[asyncio.Task[None]] = []
    for model in config.models:
        queue: deque[CallRecord] = deque(call for call in pending if call.model_spec == model.spec)
        if not queue:
            continue
        limiter = RateLimiter(model.requests_per_minute, model.tokens_per_minute)
        context = _WorkerContext(
            config, model, backends[model.spec], limiter, prices, cache, state, on_progress, stop, budget_changed
        )
        for _ in range(min(_worker_count(model, backends[model.spec]), len(queue))):
            tasks.append(asyncio.create_task(_worker(queue, context)))
    if tasks:
        await _wait_for_workers(tasks, state, stop, cancel)


def _worker_count(model: ModelConfig, backend: Backend) -> int:
    """A model's workers: its concurrency, on each server when it is a fleet (which caps each server at it)."""
    if isinstance(backend, FleetBackend):
        backend.per_endpoint = model.effective_concurrency()
        return model.effective_concurrency() * backend.endpoint_count
    return model.effective_concurrency()


async def _wait_for_workers(
    tasks: list[asyncio.Task[None]],
    state: _State,
    stop: asyncio.Event,
    cancel: threading.Event | asyncio.Event | None,
) -> None:
    """Wait until the workers finish or `stop` is set; then let them finish their calls in flight (budget stop)
    or abandon those at once (fatal error, cancel, a bug), and raise a worker's bug."""
    watcher = asyncio.create_task(_watch_cancel(cancel, state, stop))
    workers: asyncio.Future[list[None]] = asyncio.gather(*tasks)
    stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    await asyncio.wait({workers, stopper}, return_when=asyncio.FIRST_COMPLETED)
    bug = workers.done() and not workers.cancelled() and workers.exception() is not None
    if state.fatal is not None or state.status == CANCELLED or bug:
        for task in tasks:  # fatal error, cancel or a bug: abandon the calls in flight at once
            task.cancel()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()
    stopper.cancel()
    await asyncio.gather(watcher, stopper, return_exceptions=True)
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error  # a bug, not a backend failure: propagate


async def _watch_cancel(
    cancel: threading.Event | asyncio.Event | None, state: _State, stop: asyncio.Event
) -> None:
    """Poll `cancel` (set from another thread, e.g. the page's) and stop the run when it is set."""
    while not stop.is_set():
        if cancel is not None and cancel.is_set():
            state.status, state.message = CANCELLED, "cancelled; `synth resume` finishes the run"
            stop.set()
        await asyncio.sleep(0.05)


@dataclass
class _WorkerContext:
    config: GenerationConfig
    model: ModelConfig
    backend: Backend
    limiter: RateLimiter
    prices: PriceTable
    cache: ResponseCache | None
    state: _State
    on_progress: ProgressCallback | None
    stop: asyncio.Event
    budget_changed: asyncio.Condition


async def _worker(queue: deque[CallRecord], ctx: _WorkerContext) -> None:
    """One of a model's workers: runs calls from the model's queue until it is empty or the run stops."""
    while queue and not ctx.stop.is_set():
        call = queue.popleft()
        if not await _run_call(call, ctx):
            queue.appendleft(call)
            return


async def _run_call(call: CallRecord, ctx: _WorkerContext) -> bool:
    """One call's life: answered from the cache, or sent to the backend while its worst-case cost is held from
    the budget. False when the budget cannot cover it (the run stops; the call stays to do)."""
    cache_key = ResponseCache.key(call.backend, call.model, call.request) if ctx.cache else ""
    cached = ctx.cache.get(cache_key) if ctx.cache else None
    if cached is not None:
        _record(call, cached, 0.0, time.time(), 0.0, True, ctx)
        return True
    worst_case = _worst_case_cost(call, ctx.prices)
    if not await _reserve_budget(worst_case, ctx):
        return False
    try:
        await _call_backend(call, cache_key, ctx)
    finally:
        await _release_budget(worst_case, ctx)
    return True


async def _call_backend(call: CallRecord, cache_key: str, ctx: _WorkerContext) -> None:
    """Send one call behind the rate limits and under the timeout, and record its answer or failure; a fatal
    BackendError stops the run instead."""
    await ctx.limiter.acquire(call.est_input_tokens + call.request.options.max_tokens)
    started_wall, started = time.time(), time.perf_counter()
    try:
        async with asyncio.timeout(ctx.config.timeout_s):
            completion = await ctx.backend.generate(call.request)
    except BackendError as error:
        if error.fatal:
            ctx.state.fatal = error
            ctx.stop.set()
        else:
            _fail(call, str(error), time.perf_counter() - started, ctx)
        return
    except TimeoutError:
        _fail(call, f"timed out after {ctx.config.timeout_s:g} s", time.perf_counter() - started, ctx)
        return
    latency = time.perf_counter() - started
    cost = ctx.prices.cost(call.backend, call.model, completion.input_tokens, completion.output_tokens)
    _record(call, completion, latency, started_wall, cost, False, ctx)
    if ctx.cache is not None:
        ctx.cache.put(cache_key, completion)


def _record(
    call: CallRecord, completion: Completion, latency: float, started_at: float, cost: float | None,
    cached: bool, ctx: _WorkerContext,
) -> None:
    parsed = parse_posts(completion.text, n_expected=call.n_posts, instructions=instruction_text(call.request))
    kept = parsed.posts[: call.n_posts]
    outcome = CallOutcome(completion, kept, parsed.refusal, cost, latency, cached, started_at)
    ctx.state.store.record_success(call, outcome)
    ctx.state.count_success(call, outcome)
    for text in kept:
        ctx.state.latest.append(
            {"platform": call.platform, "topic": call.topic, "model": call.model_spec, "text": text}
        )
    _notify(ctx.on_progress, ctx.state)


def _fail(call: CallRecord, error: str, latency: float, ctx: _WorkerContext) -> None:
    ctx.state.store.record_failure(call, error, latency)
    ctx.state.count_failure(call)
    _notify(ctx.on_progress, ctx.state)


# The budget reservation: a call in flight holds its worst-case cost, so calls started together cannot go over.


def _worst_case_cost(call: CallRecord, prices: PriceTable) -> float:
    """The most `call` can cost: its prompt estimate with a margin, plus all its max_tokens (0 when unpriced)."""
    worst_case = prices.cost(
        call.backend, call.model, math.ceil(call.est_input_tokens * PROMPT_ESTIMATE_MARGIN),
        call.request.options.max_tokens,
    )
    return worst_case or 0.0


async def _reserve_budget(worst_case: float, ctx: _WorkerContext) -> bool:
    """Hold `worst_case` dollars of the budget for a call; False when the budget cannot cover it."""
    state = ctx.state
    if state.budget_usd is None:
        return True
    async with ctx.budget_changed:
        while True:
            if ctx.stop.is_set():
                return False
            spent = state.spent
            if spent + state.reserved_usd + worst_case <= state.budget_usd:
                state.reserved_usd += worst_case
                return True
            if state.reserved_usd <= 0:  # nothing in flight will free budget: stop cleanly
                if state.status == RUNNING:
                    state.status = BUDGET
                    state.message = (
                        f"stopped at ${spent:.4f} of the ${state.budget_usd:.4f} budget before a call that could "
                        f"cost up to ${worst_case:.4f}; resume with a larger --budget to finish"
                    )
                ctx.stop.set()
                return False
            await ctx.budget_changed.wait()


async def _release_budget(worst_case: float, ctx: _WorkerContext) -> None:
    """Give back what `_reserve_budget` held once the call's cost is counted, and wake the workers waiting."""
    if ctx.state.budget_usd is None:
        return
    async with ctx.budget_changed:
        ctx.state.reserved_usd -= worst_case
        ctx.budget_changed.notify_all()


def _notify(on_progress: ProgressCallback | None, state: _State) -> None:
    if on_progress is not None:
        on_progress(state.snapshot())


def _check_capabilities(pending: list[CallRecord], backends: Mapping[str, Backend]) -> None:
    """Refuse, before any call, prompts a model cannot take (chat messages to a base model...)."""
    for call in pending:
        backend = backends[call.model_spec]
        if call.request.messages and not backend.supports_chat:
            raise ConfigError(
                f"{call.model_spec} is a base model without chat: use the 'completion' prompt strategy for it "
                "(--strategy completion, or ModelConfig(strategy='completion'))"
            )
        if call.request.prompt is not None and not backend.supports_completion:
            raise ConfigError(
                f"{call.model_spec} takes chat messages only: use a chat prompt strategy for it, not 'completion'"
            )

