"""From a config to the list of calls a run makes, and what they should cost.

Every (model, topic, platform) cell needs `per_cell` posts (times `candidates` when over-generating for
selection), asked for `posts_per_call` at a time. Each
call gets a deterministic id (a hash of run id, cell and call index) and its own seed (a hash of the run
seed, cell and call index), and its prompt is rendered up front, so the whole plan, prompts included, is
saved before the first call and `resume` needs nothing but the store. Up to `calls_per_prompt` consecutive
calls of a cell share one prompt (local models: see `synth.generate.config.LOCAL_CALLS_PER_PROMPT`). With
`personas`, each prompt gets the persona its seed draws (`synth.prompts.personas.sample_persona`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from synth import schema
from synth.generate.config import GenerationConfig, ModelConfig
from synth.generate.costs import PriceTable, estimate_tokens, load_prices, max_input_tokens
from synth.generate.store import CallRecord
from synth.platforms import get_platform
from synth.prompts.personas import sample_persona
from synth.topics.model import TopicSpec

# Signature of synth.prompts.render_prompt, injectable for tests and custom prompts.
RenderPrompt = Callable[..., Any]
# Without real posts for a platform, expect posts of this many characters when estimating.
_DEFAULT_POST_CHARS = 200


@dataclass(frozen=True)
class Estimate:
    """Tokens and cost expected before the run starts.

    Input tokens are counted from the rendered prompts at 4 characters per token (no tokenizer: it is
    an estimate for every provider alike). Expected output tokens come from the median length of the real
    posts on each platform (chars/4) times the posts asked for, capped by `max_tokens`. The maximum ("at
    most") holds for any tokenizer and script: every prompt counted as its UTF-8 bytes
    (`costs.max_input_tokens`), every call using all of `max_tokens`.

    Attributes:
        calls: calls in the plan.
        planned_posts: posts asked for.
        input_tokens: estimated prompt tokens.
        output_tokens: expected completion tokens.
        output_tokens_max: completion tokens if every call hits max_tokens.
        cost_usd: expected cost; None when a model has no price.
        cost_usd_max: the most the run can cost (prompt bytes as tokens, every call hitting max_tokens); None
            when a model has no price.
        unpriced: `backend:model` specs with no price in the table.
        by_model: the same figures for each model spec.
        method: how tokens were estimated.
    """

    calls: int
    planned_posts: int
    input_tokens: int
    output_tokens: int
    output_tokens_max: int
    cost_usd: float | None
    cost_usd_max: float | None
    unpriced: tuple[str, ...]
    by_model: dict[str, dict[str, Any]]
    method: str = "4 characters per token"
    input_tokens_max: int = 0  # prompt tokens counted as UTF-8 bytes: the most any tokenizer can count


@dataclass(frozen=True)
class Plan:
    """A run ready to start: its id, its config and every call with its rendered prompt."""

    run_id: str
    config: GenerationConfig
    calls: tuple[CallRecord, ...]
    estimate: Estimate

    @property
    def planned_posts(self) -> int:
        return sum(call.n_posts for call in self.calls)


def new_run_id() -> str:
    """A readable unique id: UTC time and 6 random hex digits."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def call_id_for(run_id: str, cell_key: str, call_index: int) -> str:
    """The deterministic id of call `call_index` of a cell in a run."""
    return _hash(run_id, cell_key, call_index)[:16]


def call_seed_for(seed: int, cell_key: str, call_index: int) -> int:
    """A per-call seed: calls of one run differ, the same run seed gives the same seeds again."""
    return int(_hash(seed, cell_key, call_index)[:8], 16) % (2**31 - 1)


def cell_key_for(model: ModelConfig, topic: TopicSpec, platform: str) -> str:
    return f"{model.spec}|{topic.topic_id}|{platform}"


def plan_run(
    config: GenerationConfig,
    real_posts: pd.DataFrame,
    *,
    run_id: str | None = None,
    render: RenderPrompt | None = None,
    prices: PriceTable | None = None,
) -> Plan:
    """Render every call's prompt and estimate the run, without calling any model.

    Args:
        config: what to generate.
        real_posts: real posts in the canonical schema (few-shot examples and length estimates).
        run_id: the run's id; a new one (`new_run_id`) when None.
        render: prompt renderer with the signature of `synth.prompts.render_prompt` (the default).
        prices: price table; the config's `prices_path` or the bundled table when None.

    Raises:
        ConfigError: bad config, unknown strategy or an unreadable price file.
    """
    if render is None:
        from synth.prompts.render import render_prompt

        render = render_prompt
    run_id = run_id or new_run_id()
    calls: list[CallRecord] = []
    for model in config.models:
        backend, model_name = model.backend_name, model.model_name
        strategy = config.strategy_for(model)
        per_prompt = config.calls_per_prompt_for(model)
        for topic in config.topics:
            for platform in config.platforms:
                cell_key = cell_key_for(model, topic, platform)
                rendered_for: dict[tuple[int, int], Any] = {}  # (first call of the group, n_posts) -> prompt
                for call_index in range(math.ceil(config.posts_per_cell / config.posts_per_call)):
                    n_posts = min(config.posts_per_call, config.posts_per_cell - call_index * config.posts_per_call)
                    seed = call_seed_for(config.seed, cell_key, call_index)
                    # Calls of a group share the prompt rendered for its first call (examples drawn with that
                    # call's seed); each keeps its own sampling seed, set below.
                    first = call_index - call_index % per_prompt
                    if (first, n_posts) not in rendered_for:
                        first_seed = call_seed_for(config.seed, cell_key, first)
                        options = dataclasses.replace(config.options, seed=first_seed) if config.options else None
                        rendered_for[first, n_posts] = render(
                            strategy, topic=topic, platform=platform, real_posts=real_posts, n_posts=n_posts,
                            k=config.k, seed=first_seed, options=options, **_persona_for(config, first_seed),
                        )
                    rendered = rendered_for[first, n_posts]
                    request = rendered.request
                    # The per-call seed must reach the backend whatever the renderer did with options.
                    request = dataclasses.replace(request, options=dataclasses.replace(request.options, seed=seed))
                    calls.append(
                        CallRecord(
                            call_id=call_id_for(run_id, cell_key, call_index), cell_key=cell_key,
                            model_spec=model.spec, backend=backend, model=model_name, topic_id=topic.topic_id,
                            topic=topic.label, platform=platform, strategy=strategy, call_index=call_index,
                            seed=seed, prompt_id=rendered.prompt_id, request=request,
                            example_ids=tuple(rendered.example_ids), n_posts=n_posts,
                            est_input_tokens=estimate_tokens(_request_text(request)),
                        )
                    )
    # Interleave cells, so early posts cover every cell; but the calls that share a prompt stay back to back,
    # so a local model evaluates that prompt once (llama.cpp reuses the previous call's prompt).
    per_prompt_of = {model.spec: config.calls_per_prompt_for(model) for model in config.models}
    calls.sort(key=lambda call: call.call_index // per_prompt_of[call.model_spec])
    prices = prices or load_prices(config.prices_path)
    if config.batch:  # the batch APIs' prices (models that do not batch are local, hence free)
        prices = prices.for_batch()
    return Plan(run_id, config, tuple(calls), estimate_calls(calls, real_posts, prices))


def _persona_for(config: GenerationConfig, seed: int) -> dict[str, Any]:
    """The `persona` argument for the renderer, or none (so a custom renderer need not take one)."""
    return {"persona": sample_persona(seed)} if config.personas else {}


def estimate_calls(calls: list[CallRecord], real_posts: pd.DataFrame, prices: PriceTable) -> Estimate:
    """Estimate tokens and cost of `calls` (see `Estimate` for the method)."""
    typical_chars = _typical_chars(real_posts)
    by_model: dict[str, dict[str, Any]] = {}
    for call in calls:
        figures = by_model.setdefault(
            call.model_spec,
            {"calls": 0, "planned_posts": 0, "input_tokens": 0, "input_tokens_max": 0, "output_tokens": 0,
             "output_tokens_max": 0},
        )
        max_tokens = call.request.options.max_tokens
        chars = typical_chars.get(call.platform) or min(_DEFAULT_POST_CHARS, get_platform(call.platform).max_chars)
        figures["calls"] += 1
        figures["planned_posts"] += call.n_posts
        figures["input_tokens"] += call.est_input_tokens
        figures["input_tokens_max"] += max_input_tokens(request_texts(call.request))
        figures["output_tokens"] += min(max_tokens, call.n_posts * estimate_tokens("x" * int(chars)))
        figures["output_tokens_max"] += max_tokens
    unpriced: list[str] = []
    for spec, figures in by_model.items():
        backend, _, model = spec.partition(":")
        price = prices.price(backend, model)
        if price is None:
            unpriced.append(spec)
        figures["cost_usd"] = None if price is None else price.cost(figures["input_tokens"], figures["output_tokens"])
        figures["cost_usd_max"] = (
            None if price is None else price.cost(figures["input_tokens_max"], figures["output_tokens_max"])
        )

    def total(key: str) -> Any:
        values = [figures[key] for figures in by_model.values()]
        return None if any(value is None for value in values) else sum(values)

    return Estimate(
        calls=len(calls), planned_posts=sum(call.n_posts for call in calls),
        input_tokens=total("input_tokens") or 0, output_tokens=total("output_tokens") or 0,
        output_tokens_max=total("output_tokens_max") or 0, cost_usd=total("cost_usd"),
        cost_usd_max=total("cost_usd_max"), unpriced=tuple(unpriced), by_model=by_model,
        input_tokens_max=total("input_tokens_max") or 0,
    )


def _typical_chars(real_posts: pd.DataFrame) -> dict[str, float]:
    if real_posts is None or real_posts.empty or schema.TEXT not in real_posts or schema.PLATFORM not in real_posts:
        return {}
    lengths = real_posts[schema.TEXT].astype("string").str.len()
    medians = lengths.groupby(real_posts[schema.PLATFORM]).median()
    return {str(platform): float(value) for platform, value in medians.items() if pd.notna(value)}


def _request_text(request: Any) -> str:
    return "\n".join(request_texts(request))


def request_texts(request: Any) -> list[str]:
    """The texts a request sends: its completion prompt, or each chat message's content."""
    if request.prompt is not None:
        return [str(request.prompt)]
    return [message.content for message in request.messages]
