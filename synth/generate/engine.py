"""The async engine: run a plan's calls against the backends, writing each result as it arrives.

Each model gets `concurrency` workers pulling calls from its queue, behind its rate limits. A call is
answered from the response cache when an identical one (backend, model, request, seed) was made before;
otherwise the backend is called under a timeout (the SDKs do their own retries). A fatal BackendError
(bad key, bad request, unknown model) stops the whole run at once; other failures mark the call failed
(`resume` retries it). The budget is checked before each call against spend so far plus the worst-case
cost of the calls in flight (the prompt's UTF-8 bytes as tokens, a bound for any tokenizer and script, plus
max_tokens), held in integer micro-dollars so that releasing them always returns to exactly zero; the run
stops cleanly before going over.

An answer that yields no usable post (a refusal, nothing, posts over the platform's length limit even when
cut to their whole sentences, or usage above the max_tokens asked for) is not a post: its tokens and cost are
counted, and the call is asked again, up to ANSWER_ATTEMPTS times in a session, after which it is marked failed
with the reason (`resume` tries it again). The run ends `incomplete` whenever it holds fewer posts than planned.
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
from synth.generate.costs import PriceTable, load_prices, max_input_tokens
from synth.generate.limits import RateLimiter
from synth.generate.parsing import parse_posts
from synth.generate.plan import request_texts
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
from synth.platforms import get_platform
from synth.prompts.render import instruction_text
from synth.text import trim_to_sentences

LATEST_POSTS = 5
# Answers a call may get in one session before it is marked failed for giving no usable post.
ANSWER_ATTEMPTS = 3
MICRO = 1_000_000  # budget reservations are held in integer micro-dollars
REFUSED = "the model refused"


@dataclass
class _State:
    """Counters of one engine session, read from the store once and then kept up to date in memory
    (single event-loop thread: no locking needed)."""

    store: RunStore
    budget_usd: float | None
    started: float = field(default_factory=time.monotonic)
    totals: dict[str, Any] = field(default_factory=dict)
    failed_before: set[str] = field(default_factory=set)
    reserved_micro_usd: int = 0
    in_flight_reserved: int = 0
    answer_attempts: dict[str, int] = field(default_factory=dict)
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

    def count_discarded(self, completion: Completion, cost: float | None) -> None:
        """An answer with no usable post: its tokens and cost count, the call stays to do."""
        self.totals["input_tokens"] += completion.input_tokens
        self.totals["output_tokens"] += completion.output_tokens
        self.totals["cost_usd"] += cost or 0.0

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
        t = state.totals
        short = int(t["planned_posts"]) - int(t["posts"])
        state.status = INCOMPLETE if t["failed"] or t["pending"] or short > 0 else COMPLETED
        if t["failed"] or t["pending"]:
            state.message = f"{t['failed']} call(s) failed; `synth resume` retries them"
        elif short > 0:
            state.message = (
                f"{t['posts']} of {t['planned_posts']} planned posts: some answers held fewer posts than asked "
                "for (see n_kept in the cost log)"
            )


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
        backend = backends[model.spec]
        context = _WorkerContext(
            config, model, backend, limiter, prices, cache, state, on_progress, stop, budget_changed,
            endpoint=str(backend.describe().get("base_url") or ""),
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
    # asyncio.wait, never gather: a gathered future left unawaited after a cancel or a fatal error is logged
    # at exit as "_GatheringFuture exception was never retrieved", with a long traceback.
    watcher = asyncio.create_task(_watch_cancel(cancel, state, stop))
    stopper: asyncio.Task[Any] = asyncio.create_task(stop.wait())
    try:
        remaining: set[asyncio.Task[Any]] = set(tasks)
        while remaining and not stop.is_set():
            finished, remaining = await asyncio.wait(remaining | {stopper}, return_when=asyncio.FIRST_COMPLETED)
            remaining.discard(stopper)
            if any(not task.cancelled() and task.exception() is not None for task in finished if task in tasks):
                break  # a bug in a worker
        bug = any(task.done() and not task.cancelled() and task.exception() is not None for task in tasks)
        if state.fatal is not None or state.status == CANCELLED or bug:
            for task in tasks:  # fatal error, cancel or a bug: abandon the calls in flight at once
                task.cancel()
        stop.set()
        await asyncio.wait(tasks)
    finally:  # also when this coroutine is itself cancelled (Ctrl-C without a handler)
        for task in (*tasks, watcher, stopper):
            task.cancel()
        await asyncio.wait([*tasks, watcher, stopper])
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
    endpoint: str = ""  # the server the backend calls, part of the cache key


async def _worker(queue: deque[CallRecord], ctx: _WorkerContext) -> None:
    """One of a model's workers: runs calls from the model's queue until it is empty or the run stops; a call
    answered without a usable post goes to the back of the queue to be asked again."""
    while queue and not ctx.stop.is_set():
        call = queue.popleft()
        outcome = await _run_call(call, ctx)
        if outcome is None:
            queue.appendleft(call)
            return
        if not outcome:
            queue.append(call)


async def _run_call(call: CallRecord, ctx: _WorkerContext) -> bool | None:
    """One call's life: answered from the cache, or sent to the backend while its worst-case cost is held from
    the budget. True when it is finished (done or failed), False when its answer held no usable post and it
    should be asked again, None when the budget cannot cover it (the run stops; the call stays to do)."""
    cache_key = ResponseCache.key(call.backend, call.model, call.request, ctx.endpoint) if ctx.cache else ""
    cached = ctx.cache.get(cache_key) if ctx.cache else None
    usable = _usable_posts(call, cached) if cached is not None else None
    if cached is not None and usable is not None and usable.posts:  # a cached answer without a post is asked again
        _record(call, cached, usable, 0.0, time.time(), 0.0, True, ctx)
        return True
    worst_case = _worst_case_micro_usd(call, ctx.prices)
    if not await _reserve_budget(worst_case, ctx):
        return None
    try:
        return await _call_backend(call, cache_key, ctx)
    finally:
        await _release_budget(worst_case, ctx)


async def _call_backend(call: CallRecord, cache_key: str, ctx: _WorkerContext) -> bool:
    """Send one call behind the rate limits and under the timeout, and record its answer or failure; a fatal
    BackendError stops the run instead. False when the answer held no usable post and the call may be asked
    again."""
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
        return True
    except TimeoutError:
        _fail(call, f"timed out after {ctx.config.timeout_s:g} s", time.perf_counter() - started, ctx)
        return True
    latency = time.perf_counter() - started
    cost = ctx.prices.cost(call.backend, call.model, completion.input_tokens, completion.output_tokens)
    usable = _usable_posts(call, completion)
    if not usable.posts:
        return _discard(call, completion, cost, usable.why_none, latency, ctx)
    _record(call, completion, usable, latency, started_wall, cost, False, ctx)
    if ctx.cache is not None:
        ctx.cache.put(cache_key, completion)
    return True


# Servers may count the end-of-generation token beyond max_tokens (llama.cpp reports max_tokens + 1): that is
# honest usage, not an over-long answer.
USAGE_SLACK_TOKENS = 4


@dataclass(frozen=True)
class _Usable:
    """The posts of an answer worth keeping (at most the call's n_posts), and why there are none when so."""

    posts: tuple[str, ...]
    refusal: bool
    why_none: str = ""


def _usable_posts(call: CallRecord, completion: Completion) -> _Usable:
    """The posts of an answer worth keeping, at most the call's n_posts, and why there are none when so.

    An answer whose usage exceeds the max_tokens asked for is not what was asked (and was billed beyond the
    budget's reservation), so none of it is kept. A post over the platform's length limit keeps its whole
    leading sentences that fit (small models often write a good tweet, then go on); it is dropped when not even
    its first sentence fits. Asking again instead spent about a quarter of a local run's tokens on Twitter. The
    answer as written stays in the store (`raw_text`).
    """
    max_tokens = call.request.options.max_tokens
    if completion.output_tokens > max_tokens + USAGE_SLACK_TOKENS:
        why = f"the server reported {completion.output_tokens} completion tokens for max_tokens={max_tokens}"
        return _Usable((), False, why)
    parsed = parse_posts(completion.text, n_expected=call.n_posts, instructions=instruction_text(call.request))
    max_chars = get_platform(call.platform).max_chars
    fitted = (post if len(post) <= max_chars else trim_to_sentences(post, max_chars) for post in parsed.posts)
    kept = tuple(post for post in fitted if post)[: call.n_posts]
    if kept:
        return _Usable(kept, parsed.refusal)
    if parsed.refusal:
        return _Usable((), True, REFUSED)
    if parsed.posts:
        return _Usable((), False, f"every post was over {call.platform}'s {max_chars:,} characters")
    return _Usable((), False, "the answer held no post")


def _discard(
    call: CallRecord, completion: Completion, cost: float | None, why: str, latency: float, ctx: _WorkerContext
) -> bool:
    """Count an answer without a usable post (its tokens and cost are spent) and say whether to ask again: after
    ANSWER_ATTEMPTS such answers in this session the call is marked failed with the reason."""
    state = ctx.state
    attempts = state.answer_attempts.get(call.call_id, 0) + 1
    state.answer_attempts[call.call_id] = attempts
    state.store.record_discarded_answer(call, completion, cost, refusal=why == REFUSED)
    state.count_discarded(completion, cost)
    if attempts < ANSWER_ATTEMPTS:
        return False
    _fail(call, f"no usable post in {attempts} answers: {why}", latency, ctx)
    return True


def _record(
    call: CallRecord, completion: Completion, usable: _Usable, latency: float, started_at: float,
    cost: float | None, cached: bool, ctx: _WorkerContext,
) -> None:
    kept = usable.posts
    outcome = CallOutcome(completion, kept, usable.refusal, cost, latency, cached, started_at)
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
# Held in integer micro-dollars: float sums released in another order than they were added leave a remainder
# (0.1 + 0.1 + 0.1 - 0.1 - 0.1 - 0.1 > 0) that made the workers wait forever for budget nobody held.


def _worst_case_micro_usd(call: CallRecord, prices: PriceTable) -> int:
    """The most `call` can cost, rounded up to a micro-dollar: its prompt's UTF-8 bytes as tokens (a bound for any
    tokenizer and script) plus all its max_tokens; 0 when unpriced."""
    request = call.request
    worst_case = prices.cost(
        call.backend, call.model, max_input_tokens(request_texts(request)), request.options.max_tokens
    )
    return math.ceil((worst_case or 0.0) * MICRO)


async def _reserve_budget(worst_case: int, ctx: _WorkerContext) -> bool:
    """Hold `worst_case` micro-dollars of the budget for a call; False when the budget cannot cover it."""
    state = ctx.state
    if state.budget_usd is None:
        return True
    async with ctx.budget_changed:
        while True:
            if ctx.stop.is_set():
                return False
            spent = state.spent
            if spent + (state.reserved_micro_usd + worst_case) / MICRO <= state.budget_usd:
                state.reserved_micro_usd += worst_case
                state.in_flight_reserved += 1
                return True
            if state.in_flight_reserved == 0:  # nothing in flight will free budget: stop cleanly
                if state.status == RUNNING:
                    state.status = BUDGET
                    state.message = (
                        f"stopped at ${spent:.4f} of the ${state.budget_usd:.4f} budget before a call that could "
                        f"cost up to ${worst_case / MICRO:.4f}; resume with a larger --budget to finish"
                    )
                ctx.stop.set()
                return False
            await ctx.budget_changed.wait()


async def _release_budget(worst_case: int, ctx: _WorkerContext) -> None:
    """Give back what `_reserve_budget` held once the call's cost is counted, and wake the workers waiting."""
    if ctx.state.budget_usd is None:
        return
    async with ctx.budget_changed:
        ctx.state.reserved_micro_usd -= worst_case
        ctx.state.in_flight_reserved -= 1
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

