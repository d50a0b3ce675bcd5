"""Calls of a cell may share one rendered prompt (`calls_per_prompt`): local models do by default, so
llama.cpp evaluates the prompt once for the calls that run back to back."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from synth.generate import GenerationConfig, ModelConfig, plan_run
from synth.generate.config import LOCAL_CALLS_PER_PROMPT
from synth.generate.plan import Plan
from tests.generate.conftest import TOPICS


def make_plan(real_posts: pd.DataFrame, spec: str, **overrides: Any) -> Plan:
    values: dict[str, Any] = {
        "models": (ModelConfig(spec),), "topics": TOPICS, "platforms": ("twitter", "reddit"), "per_cell": 6,
        "strategy": "examples-only", "k": 1,
    }
    values.update(overrides)
    return plan_run(GenerationConfig(**values), real_posts, render=render_by_seed)


def render_by_seed(*args: Any, **kwargs: Any) -> Any:
    """render_prompt, with a prompt id that tells its renders apart even when the tiny fixture gives two
    seeds the same examples."""
    from synth.prompts.render import render_prompt

    return dataclasses.replace(render_prompt(*args, **kwargs), prompt_id=f"{kwargs['seed']}-{kwargs['n_posts']}")


def groups(plan: Plan) -> list[list[int]]:
    """Each cell's call indices, grouped by the prompt they were sent."""
    by_cell: dict[str, dict[str, list[int]]] = {}
    for call in plan.calls:
        by_cell.setdefault(call.cell_key, {}).setdefault(call.prompt_id, []).append(call.call_index)
    return sorted(sorted(indices) for prompts in by_cell.values() for indices in prompts.values())


def test_a_local_model_shares_each_prompt_among_consecutive_calls(real_posts: pd.DataFrame) -> None:
    plan = make_plan(real_posts, "local:smollm2")
    assert LOCAL_CALLS_PER_PROMPT == 4
    assert groups(plan) == sorted([[0, 1, 2, 3], [4, 5]] * 4)  # 4 cells; the last group is what is left
    # Every call samples with its own seed, and a group's calls run one after another.
    assert len({call.seed for call in plan.calls}) == len(plan.calls)
    runs = [(call.cell_key, call.prompt_id) for call in plan.calls]
    changes = sum(1 for before, after in zip(runs, runs[1:], strict=False) if before != after)
    assert changes == len(groups(plan)) - 1
    # Groups still interleave the cells: the first groups of all four cells come before any second group.
    assert [call.call_index for call in plan.calls[:16]] == [0, 1, 2, 3] * 4


def test_other_models_get_fresh_examples_every_call(real_posts: pd.DataFrame) -> None:
    seeds, plan = rendered_seeds(real_posts, "double:echo")
    # One render per call, each drawing its examples with that call's own seed; cells interleave call by call.
    assert sorted(seeds) == sorted(call.seed for call in plan.calls)
    assert [call.call_index for call in plan.calls[:4]] == [0, 0, 0, 0]


def test_a_shared_prompt_draws_its_examples_with_its_first_calls_seed(real_posts: pd.DataFrame) -> None:
    seeds, plan = rendered_seeds(real_posts, "local:smollm2")
    firsts = sorted(call.seed for call in plan.calls if call.call_index % LOCAL_CALLS_PER_PROMPT == 0)
    assert sorted(seeds) == firsts


def test_calls_per_prompt_can_be_set_for_any_model(real_posts: pd.DataFrame) -> None:
    assert groups(make_plan(real_posts, "double:echo", calls_per_prompt=3)) == sorted([[0, 1, 2], [3, 4, 5]] * 4)
    assert groups(make_plan(real_posts, "local:smollm2", calls_per_prompt=1)) == sorted([[i] for i in range(6)] * 4)


def test_several_posts_per_call_share_prompts_by_size(real_posts: pd.DataFrame) -> None:
    # 5 posts, 2 per call: calls of 2, 2 and 1 posts; the last asks for fewer posts, so it has its own prompt.
    plan = make_plan(real_posts, "double:echo", per_cell=5, posts_per_call=2, calls_per_prompt=4)
    assert groups(plan) == sorted([[0, 1], [2]] * 4)


def rendered_seeds(real_posts: pd.DataFrame, spec: str) -> tuple[list[int], Plan]:
    """The seeds the prompt renderer was called with while planning, and the plan."""
    from synth.prompts.render import render_prompt

    seeds: list[int] = []

    def render(*args: Any, **kwargs: Any) -> Any:
        seeds.append(kwargs["seed"])
        return render_prompt(*args, **kwargs)

    config = GenerationConfig(
        models=(ModelConfig(spec),), topics=TOPICS, platforms=("twitter", "reddit"), per_cell=6,
        strategy="examples-only", k=1,
    )
    return seeds, plan_run(config, real_posts, render=render)


def test_the_engine_runs_the_calls_of_a_shared_prompt_back_to_back(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    from synth.generate import COMPLETED, run_generation
    from tests.generate.doubles import DoubleBackend

    config = GenerationConfig(
        models=(ModelConfig("double:echo", concurrency=1),), topics=TOPICS, platforms=("twitter", "reddit"),
        per_cell=6, strategy="examples-only", k=1, calls_per_prompt=3,
    )
    plan = plan_run(config, real_posts, render=render_by_seed)
    result = run_generation(plan, tmp_path / "run")
    assert result.status == COMPLETED
    sent_seeds = [request.options.seed for request in DoubleBackend.instances[-1].requests]
    assert sent_seeds == [call.seed for call in plan.calls]  # the plan's order, groups unbroken
