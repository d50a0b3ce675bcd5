"""Issue 10's generation-side levers in a plan: the `multi-platform` strategy and personas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation
from synth.generate.plan import Plan
from synth.generate.store import RunStore
from synth.prompts.personas import sample_persona
from tests.generate.conftest import TOPICS


def make_plan(real_posts: pd.DataFrame, **overrides: Any) -> Plan:
    values: dict[str, Any] = {
        "models": (ModelConfig("double:echo"),), "topics": TOPICS, "platforms": ("twitter", "reddit"), "per_cell": 3,
    }
    values.update(overrides)
    return plan_run(GenerationConfig(**values), real_posts)


def user_text(call: Any) -> str:
    return call.request.messages[1].content


def test_a_multi_platform_plan_builds_runs_and_saves_its_prompts(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = make_plan(real_posts, strategy="multi-platform", k=1)
    assert len(plan.calls) == 12 and {call.strategy for call in plan.calls} == {"multi-platform"}
    ids = set(real_posts.set_index("post_id").index)
    for call in plan.calls:
        user = user_text(call)
        # One call per (topic, platform) cell; it shows both platforms and asks for its own.
        assert "Twitter/X posts on this topic:" in user and "Reddit posts on this topic:" in user
        label = "Twitter/X" if call.platform == "twitter" else "Reddit"
        assert user.startswith(f"Write one new post for {label} about this topic.")
        assert set(call.example_ids) <= ids
        assert {real_posts.set_index("post_id").loc[i, "platform"] for i in call.example_ids} == {"twitter", "reddit"}
        assert call.request.options.stop == ("</post>",)
    result = run_generation(plan, tmp_path / "run")
    assert result.status == COMPLETED and len(result.posts) == 12
    store = RunStore.open(tmp_path / "run")
    try:
        saved = {call.call_id: call for call in store.calls()}
        assert store.config()["strategy"] == "multi-platform"
    finally:
        store.close()
    for call in plan.calls:
        assert saved[call.call_id].request == call.request and saved[call.call_id].example_ids == call.example_ids


def test_personas_are_off_by_default(real_posts: pd.DataFrame) -> None:
    plan = make_plan(real_posts)
    assert plan.config.personas is False and plan.config.to_dict()["personas"] is False
    assert not any("Write as:" in user_text(call) for call in plan.calls)


def test_each_prompt_writes_as_the_persona_of_its_seed(real_posts: pd.DataFrame) -> None:
    plan = make_plan(real_posts, personas=True)  # double:echo: every call has its own prompt
    lines = {sample_persona(call.seed).line() for call in plan.calls}
    for call in plan.calls:
        assert f"Write as: {sample_persona(call.seed).line()}\n" in user_text(call)
    assert len(lines) > 6  # 12 calls, varied personas
    again = make_plan(real_posts, personas=True)
    assert [c.request for c in again.calls] == [c.request for c in plan.calls]  # same seed, same prompts


def test_calls_sharing_a_prompt_share_its_persona(real_posts: pd.DataFrame) -> None:
    plan = make_plan(real_posts, personas=True, calls_per_prompt=3)
    for cell in {call.cell_key for call in plan.calls}:
        prompts = {user_text(call) for call in plan.calls if call.cell_key == cell}
        assert len(prompts) == 1 and "Write as: " in prompts.pop()


def test_completion_prompts_have_no_persona(real_posts: pd.DataFrame) -> None:
    plan = make_plan(real_posts, personas=True, models=(ModelConfig("double:echo", strategy="completion"),))
    assert all(call.request.prompt is not None and "persona" not in call.request.prompt.lower() for call in plan.calls)
    assert all("Write as" not in str(call.request.prompt) for call in plan.calls)


def test_personas_round_trip_through_the_saved_config_and_old_configs_load(real_posts: pd.DataFrame) -> None:
    config = make_plan(real_posts, personas=True, strategy="multi-platform").config
    restored = GenerationConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored.personas is True and restored.strategy == "multi-platform"
    old = config.to_dict()
    del old["personas"]  # a run saved before personas existed
    assert GenerationConfig.from_dict(old).personas is False
