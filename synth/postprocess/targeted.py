"""Targeted generation for the regenerate step: the cells still short, generated again through the engine.

A `RunGenerator` is built from a source run's store: the same models, strategy, sampling options, posts per
call, k, cache and price settings. Each call to it plans only the wanted cells (`targeted_plan`), with their
prompts' examples drawn from the real posts no synthetic post covers yet, and runs that plan as a new run in
a folder of its own under the post-process output, never in the source run. Keys come from the environment,
as for `synth resume`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import pandas as pd

from synth import schema
from synth.backends.base import Backend, BackendError
from synth.errors import ConfigError, SynthError
from synth.generate.config import GenerationConfig
from synth.generate.costs import load_prices
from synth.generate.plan import Plan, call_seed_for, estimate_calls, plan_run
from synth.generate.store import RunStore

REGENERATED = "regenerated"


@dataclass(frozen=True)
class Want:
    """Posts one cell of the source run still needs.

    Attributes:
        model: the model spec of the cell.
        topic_id: its topic.
        platform: its platform.
        n: posts to generate (candidates included).
        example_ids: the real posts its prompts' examples come from first (those no synthetic post covers).
    """

    model: str
    topic_id: str
    platform: str
    n: int
    example_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Generated:
    """What one targeted run made: its posts (as `load_run_for_postprocess` reads them) and what it cost."""

    posts: pd.DataFrame
    examples: Mapping[str, tuple[str, ...]]
    truncated: frozenset[str]
    calls: int
    seconds: float
    spend_usd: float | None
    status: str
    run_dir: Path
    error: str = ""  # the backend error that stopped the run; the posts made before it are kept


class Generator(Protocol):
    """What regenerate calls to get new posts: the source run's cells, its candidates per wanted post, and a
    call that generates for a list of wants, making at most `max_calls` calls."""

    cells: tuple[tuple[str, str, str], ...]  # (model, topic_id, platform)
    candidates: int

    def __call__(self, wants: Sequence[Want], *, max_calls: int) -> Generated: ...


def targeted_plan(config: GenerationConfig, wants: Sequence[Want], real: pd.DataFrame, *, max_calls: int,
                  seed: int) -> Plan:
    """A plan making only what `wants` ask for, with `config`'s models, strategy and sampling options.

    The grid of `config` narrowed to the wanted models, topics and platforms is planned with enough posts per
    cell for the largest want, then each cell keeps only the calls its own want needs, and the whole plan
    its first `max_calls` calls (the engine's order interleaves cells, so a cut spreads over them). Each
    cell's examples come from its `example_ids` first: the cell's other real posts are shown to the prompt
    renderer as off-topic, so it samples the uncovered ones, and only when they are fewer than k fills up
    from the platform's other posts as usual. The style profile is still measured on all the platform's posts.

    Args:
        config: the source run's config.
        wants: the cells and how many posts each needs.
        real: the reference real posts, `topic` holding the run's topic ids.
        max_calls: the most calls the plan may make.
        seed: the plan's seed (a new one per round, so no call repeats a source run's call).
    """
    models = tuple(model for model in config.models if any(want.model == model.spec for want in wants))
    topics = tuple(topic for topic in config.topics if any(want.topic_id == topic.topic_id for want in wants))
    platforms = tuple(name for name in config.platforms if any(want.platform == name for want in wants))
    narrowed = replace(config, models=models, topics=topics, platforms=platforms, candidates=1, seed=seed,
                       per_cell=max(want.n for want in wants))
    plan = plan_run(narrowed, _examples_first(real, wants))
    needed = {(want.model, want.topic_id, want.platform): math.ceil(want.n / config.posts_per_call) for want in wants}
    calls = [call for call in plan.calls
             if call.call_index < needed.get((call.model_spec, call.topic_id, call.platform), 0)][:max_calls]
    prices = load_prices(config.prices_path)
    return Plan(plan.run_id, narrowed, tuple(calls), estimate_calls(calls, real, prices.for_batch() if config.batch
                                                                    else prices))


def _examples_first(real: pd.DataFrame, wants: Sequence[Want]) -> pd.DataFrame:
    """`real` with each wanted cell's posts outside its `example_ids` marked off-topic (see `targeted_plan`)."""
    if schema.TOPIC not in real:
        return real
    topic = real[schema.TOPIC].astype("string")
    platform, post_id = real[schema.PLATFORM].astype("string"), real[schema.POST_ID].astype("string")
    for want in wants:
        if want.example_ids:
            topic = topic.mask((topic == want.topic_id) & (platform == want.platform)
                               & ~post_id.isin(want.example_ids), "")
    tagged = real.copy()
    tagged[schema.TOPIC] = topic
    return tagged


class RunGenerator:
    """Generates for regenerate with the run in `run_dir`'s settings, each time as a new run under
    `out_dir/regenerated/` (see the module docstring).

    Args:
        run_dir: the source run.
        real: the reference real posts, `topic` holding the run's topic ids.
        out_dir: the post-process output folder.
        backends: backends by model spec, replacing those built from the config (tests, a caller's clients).

    Raises:
        ConfigError: the run's saved config names no usable model or cannot be read.
    """

    def __init__(self, run_dir: str | Path, real: pd.DataFrame, out_dir: str | Path, *,
                 backends: Mapping[str, Backend] | None = None) -> None:
        store = RunStore.open(run_dir)
        try:
            saved, totals = store.config(), store.totals()
        finally:
            store.close()
        try:
            self.config = GenerationConfig.from_dict(saved)
        except SynthError as error:
            raise ConfigError(f"regenerate needs the source run's model; the run in {run_dir} has none usable "
                              f"({error})") from None
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"regenerate needs the source run's model; the config saved in {run_dir} cannot be "
                              f"read ({type(error).__name__}: {error})") from None
        self.real, self.out_dir, self.backends = real, Path(out_dir), backends
        self.cells = tuple((model.spec, topic.topic_id, platform) for model in self.config.models
                           for topic in self.config.topics for platform in self.config.platforms)
        self.candidates = self.config.candidates
        # The source run's cost cap covers what it spent and every targeted run after it.
        self.spent = 0.0 if totals["unpriced"] else float(totals["cost_usd"] or 0.0)
        self.rounds = 0

    def __call__(self, wants: Sequence[Want], *, max_calls: int) -> Generated:
        from synth.generate.runs import load_run_posts, manifest, run_generation
        from synth.postprocess.pipeline import load_run_for_postprocess

        self.rounds += 1
        config = self.config
        if config.budget_usd is not None:
            config = replace(config, budget_usd=max(0.0, config.budget_usd - self.spent))
        plan = targeted_plan(config, wants, self.real, max_calls=max_calls,
                             seed=call_seed_for(config.seed, REGENERATED, self.rounds))
        folder = self.out_dir / REGENERATED / f"round{self.rounds}-{plan.run_id}"
        error = ""
        try:
            run_generation(plan, folder, backends=self.backends)
        except BackendError as failure:  # the run exported what it made before the error: keep that
            error = str(failure)
        info = manifest(folder)
        counts, spend = info["counts"], info["cost_usd"]
        self.spent += spend or 0.0
        calls, seconds = counts["done"] + counts["failed"], float(info["duration_s"])
        if not counts["posts"]:
            return Generated(load_run_posts(folder), {}, frozenset(), calls, seconds, spend, info["status"], folder,
                             error)
        inputs = load_run_for_postprocess(folder, self.real)
        return Generated(inputs.posts, inputs.examples, inputs.truncated, calls, seconds, spend, info["status"],
                         folder, error)
