from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synth.backends.base import BackendError, GenerationOptions
from synth.errors import ConfigError, InputError
from synth.generate import (
    BUDGET,
    CANCELLED,
    COMPLETED,
    FAILED,
    INCOMPLETE,
    GenerationConfig,
    ModelConfig,
    Progress,
    plan_run,
    resume_run,
    run_generation,
)
from synth.generate.store import RunStore
from tests.generate.conftest import TOPICS
from tests.generate.doubles import DoubleBackend


def make_config(settings: dict[str, Any] | None = None, **overrides: Any) -> GenerationConfig:
    model = overrides.pop("model", None) or ModelConfig("double:echo", settings or {}, concurrency=overrides.pop(
        "concurrency", 2))
    values: dict[str, Any] = {"models": (model,), "topics": TOPICS, "platforms": ("twitter", "reddit"), "per_cell": 3}
    values.update(overrides)
    return GenerationConfig(**values)


def last_backend() -> DoubleBackend:
    return DoubleBackend.instances[-1]


def test_run_makes_every_planned_post_with_provenance(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config(), real_posts)
    assert len(plan.calls) == 12 and plan.planned_posts == 12
    seen: list[Progress] = []
    result = run_generation(plan, tmp_path / "run", on_progress=seen.append)

    assert result.status == COMPLETED
    posts = result.posts
    assert len(posts) == 12 and posts["post_id"].is_unique
    assert set(posts["source"]) == {"synthetic"}
    assert set(posts["platform"]) == {"twitter", "reddit"} and set(posts["topic"]) == {"coffee", "trains"}
    assert posts.groupby(["topic", "platform"]).size().tolist() == [3, 3, 3, 3]
    assert set(posts["model"]) == {"double:echo"} and set(posts["backend"]) == {"double"}
    assert set(posts["run_id"]) == {plan.run_id} and set(posts["model_version"]) == {"echo-v1"}
    # Each call had its own seed, and the backend saw it.
    assert posts["seed"].is_unique
    assert sorted(posts["text"]) == sorted(f"post seed={seed}" for seed in posts["seed"])
    assert (posts["input_tokens"] == 10).all() and (posts["output_tokens"] == 5).all()
    # Progress: first and last snapshots, counts never go down.
    assert seen[0].done_calls == 0 and seen[-1].done_calls == 12 and seen[-1].status == COMPLETED
    assert [p.done_calls for p in seen] == sorted(p.done_calls for p in seen)
    assert seen[-1].input_tokens == 120 and seen[-1].output_tokens == 60
    assert seen[-1].latest_posts and seen[-1].fraction == 1.0
    # Exports.
    assert pd.read_csv(result.files["csv"])["post_id"].tolist() == posts["post_id"].tolist()
    assert pd.read_parquet(result.files["parquet"])["text"].tolist() == posts["text"].tolist()
    manifest = json.loads(result.files["manifest"].read_text())
    assert manifest["counts"]["posts"] == 12 and manifest["counts"]["done"] == 12
    assert manifest["tokens"] == {"input": 120, "output": 60}
    assert manifest["backends"]["double:echo"]["version"] == "v1"
    assert manifest["config"]["per_cell"] == 3
    assert last_backend().closed


def test_concurrency_limit_is_respected_and_used(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"delay_s": 0.1}, concurrency=4), real_posts)
    result = run_generation(plan, tmp_path / "run")
    assert last_backend().max_in_flight == 4
    # 3 waves of 0.1 s, far from the 1.2 s of one call at a time (engine time, without the exports).
    assert result.progress.elapsed_s < 0.8


def test_requests_per_minute_limit(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    # 1200/min = 20/s with bursts of one second's worth: 12 calls fit in the first burst, so use 24.
    config = make_config(model=ModelConfig("double:echo", concurrency=8, requests_per_minute=600), per_cell=6)
    plan = plan_run(config, real_posts)
    assert len(plan.calls) == 24
    started = time.perf_counter()
    run_generation(plan, tmp_path / "run")
    elapsed = time.perf_counter() - started
    # 600/min = 10/s, burst 10: the other 14 calls need at least 1.4 s.
    assert 1.3 <= elapsed < 4


def test_budget_stops_cleanly_and_resume_with_larger_budget_finishes(
    real_posts: pd.DataFrame, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[double]\n"echo" = { input = 0, output = 1000000 }\n', encoding="utf-8")  # $1/token
    config = make_config(
        concurrency=1, budget_usd=32.0, prices_path=str(prices), options=GenerationOptions(max_tokens=10)
    )
    plan = plan_run(config, real_posts)
    assert plan.estimate.cost_usd_max == pytest.approx(120.0)  # input is free here
    seen: list[Progress] = []
    result = run_generation(plan, tmp_path / "run", on_progress=seen.append)
    # Each call costs $5 (5 output tokens) and may cost $10: the 6th would risk 25 + 10 > 32.
    assert result.status == BUDGET
    assert result.progress.done_calls == 5 and result.progress.spend_usd == pytest.approx(25.0)
    assert "budget" in result.progress.message
    assert len(result.posts) == 5
    assert max(p.spend_usd or 0 for p in seen) <= 32.0

    resumed = resume_run(tmp_path / "run", budget_usd=1000.0)
    assert resumed.status == COMPLETED
    assert len(resumed.posts) == 12 and resumed.posts["post_id"].is_unique
    assert resumed.progress.spend_usd == pytest.approx(60.0)


def test_budget_with_unpriced_model_is_refused_before_any_call(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config(budget_usd=1.0), real_posts)
    with pytest.raises(ConfigError, match="no price for double:echo"):
        run_generation(plan, tmp_path / "run")
    assert not (tmp_path / "run" / "run.sqlite").exists()


def test_fatal_error_stops_at_once_and_keeps_what_was_done(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"fatal_from_call": 3, "delay_s": 0.01}, concurrency=1), real_posts)
    with pytest.raises(BackendError, match="invalid API key"):
        run_generation(plan, tmp_path / "run")
    backend = last_backend()
    assert backend.calls == 4  # 3 done, the 4th failed fatally, no further call
    store = RunStore.open(tmp_path / "run")
    assert store.run_info()["status"] == FAILED and "invalid API key" in store.run_info()["error"]
    assert store.totals()["done"] == 3 and store.totals()["pending"] == 9
    store.close()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == FAILED and manifest["counts"]["posts"] == 3
    # Fixed (a working backend is passed in): resume finishes the 9 missing calls only.
    fixed = DoubleBackend(model="echo")
    resumed = resume_run(tmp_path / "run", backends={"double:echo": fixed})
    assert fixed.calls == 9
    assert resumed.status == COMPLETED and len(resumed.posts) == 12 and resumed.posts["post_id"].is_unique


def test_fatal_error_cancels_calls_in_flight(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    backend = DoubleBackend(model="echo", delay_s=0.5, fatal_from_call=0)
    plan = plan_run(make_config(concurrency=4), real_posts)
    started = time.perf_counter()
    with pytest.raises(BackendError):
        run_generation(plan, tmp_path / "run", backends={"double:echo": backend})
    assert time.perf_counter() - started < 1.4  # not 3 waves of 0.5 s
    assert backend.calls == 4


def test_failed_calls_are_counted_then_retried_by_resume(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"fail_calls": [1, 4]}), real_posts)
    result = run_generation(plan, tmp_path / "run")
    assert result.status == INCOMPLETE
    assert result.progress.failed_calls == 2 and result.progress.done_calls == 10 and len(result.posts) == 10
    assert "resume" in result.progress.message
    recovered = DoubleBackend(model="echo")
    resumed = resume_run(tmp_path / "run", backends={"double:echo": recovered})
    assert recovered.calls == 2
    assert resumed.status == COMPLETED
    assert resumed.progress.failed_calls == 0 and len(resumed.posts) == 12 and resumed.posts["post_id"].is_unique


def test_timeout_fails_the_call(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"delay_s": 1.0}, concurrency=12, timeout_s=0.05), real_posts)
    result = run_generation(plan, tmp_path / "run")
    assert result.status == INCOMPLETE and result.progress.failed_calls == 12
    store = RunStore.open(tmp_path / "run")
    assert {error["error"] for error in store.errors()} == {"timed out after 0.05 s"}
    store.close()


def test_identical_calls_are_served_from_the_cache(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[double]\n"echo" = { input = 1000000, output = 0 }\n', encoding="utf-8")
    config = make_config(prices_path=str(prices))
    first = run_generation(plan_run(config, real_posts), tmp_path / "first")
    assert first.progress.spend_usd == pytest.approx(120.0) and first.progress.cached_calls == 0
    second = run_generation(plan_run(config, real_posts), tmp_path / "second")
    assert last_backend().calls == 0
    assert second.progress.cached_calls == 12 and second.progress.spend_usd == 0.0
    assert sorted(second.posts["text"]) == sorted(first.posts["text"])
    assert second.posts["cached"].all()
    # Another seed is another call: not cached.
    third = run_generation(plan_run(make_config(prices_path=str(prices), seed=1), real_posts), tmp_path / "third")
    assert third.progress.cached_calls == 0


def test_cancel_stops_and_resume_finishes_without_duplicates(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    cancel = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.done_calls >= 3:
            cancel.set()

    plan = plan_run(make_config({"delay_s": 0.05}, concurrency=1), real_posts)
    result = run_generation(plan, tmp_path / "run", on_progress=on_progress, cancel=cancel)
    assert result.status == CANCELLED
    assert 3 <= len(result.posts) < 12
    resumed = resume_run(tmp_path / "run")
    assert resumed.status == COMPLETED and len(resumed.posts) == 12 and resumed.posts["post_id"].is_unique


def test_refusals_are_counted_not_kept_and_asked_again(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    # The first 6 calls are refused; asked again (numbers 12-17), they get posts.
    replies = ["As an AI language model, I cannot write that."] * 6 + ['"Espresso o\'clock #coffee"'] * 12
    result = run_generation(
        plan_run(make_config({"replies": replies}, concurrency=1), real_posts), tmp_path / "run"
    )
    assert result.status == COMPLETED
    assert result.progress.refusals == 6 and len(result.posts) == 12
    assert set(result.posts["text"]) == {"Espresso o'clock #coffee"}
    assert last_backend().calls == 18  # each refused call was asked once more


def test_a_post_over_the_platform_limit_keeps_its_whole_sentences_that_fit(real_posts: pd.DataFrame,
                                                                           tmp_path: Path) -> None:
    # Twitter allows 280 characters: the first two sentences fit, the third would not. One endless sentence
    # cannot be cut, so that answer is asked again.
    rambling = "Queue at the cafe was short today. " + "Great beans. " + "x" * 300
    endless = "y" * 400
    config = make_config({"replies": [endless, rambling]}, concurrency=1, platforms=("twitter",), per_cell=1)
    result = run_generation(plan_run(config, real_posts), tmp_path / "run")
    assert result.status == COMPLETED and len(result.posts) == 2
    assert set(result.posts["text"]) == {"Queue at the cafe was short today. Great beans."}
    # Replies alternate: each of the 2 cells got the endless answer first, was asked again and got the other.
    assert last_backend().calls == 4


def test_several_posts_per_call_never_exceed_the_cell(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    replies = ["1. one\n2. two\n3. three"]
    config = make_config({"replies": replies}, per_cell=5, posts_per_call=2)
    plan = plan_run(config, real_posts)
    assert [call.n_posts for call in plan.calls if call.cell_key.endswith("t1|twitter")] == [2, 2, 1]
    result = run_generation(plan, tmp_path / "run")
    assert result.posts.groupby(["topic", "platform"]).size().tolist() == [5, 5, 5, 5]


def test_secrets_never_reach_the_run_directory(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    secret = "sk-test-DO-NOT-STORE-123"
    backend = DoubleBackend(model="echo")
    config = make_config({"api_key": secret})
    result = run_generation(plan_run(config, real_posts), tmp_path / "run", backends={"double:echo": backend})
    assert result.status == COMPLETED
    for path in (tmp_path / "run").iterdir():
        assert secret.encode() not in path.read_bytes(), path.name


def test_existing_run_directory_is_refused(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    run_generation(plan_run(make_config(), real_posts), tmp_path / "run")
    with pytest.raises(InputError, match="already holds a run.*resume"):
        run_generation(plan_run(make_config(), real_posts), tmp_path / "run")


def test_resume_of_a_directory_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no run"):
        resume_run(tmp_path)


def test_resume_of_a_finished_run_calls_nothing(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    run_generation(plan_run(make_config(), real_posts), tmp_path / "run")
    backend = DoubleBackend(model="echo")
    result = resume_run(tmp_path / "run", backends={"double:echo": backend})
    assert backend.calls == 0 and result.status == COMPLETED and len(result.posts) == 12


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"platforms": ("myspace",)}, "unknown platform 'myspace'"),
        ({"platforms": ("twitter", "x")}, "listed twice"),
        ({"per_cell": 0}, "per_cell must be at least 1"),
        ({"topics": ()}, "no topic"),
        ({"models": ()}, "no model"),
        ({"models": (ModelConfig("double:echo"), ModelConfig("double:echo"))}, "listed twice"),
        ({"models": (ModelConfig("echo"),)}, "backend:model"),
        ({"models": (ModelConfig("double:echo", concurrency=0),)}, "concurrency"),
        ({"models": (ModelConfig("double:echo", requests_per_minute=-5),)}, "requests_per_minute"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"budget_usd": -1}, "budget_usd"),
        ({"calls_per_prompt": 0}, "calls_per_prompt"),
        ({"calls_per_prompt": 21}, "calls_per_prompt"),
    ],
)
def test_bad_configs(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"models": (ModelConfig("double:echo"),), "topics": TOPICS, "platforms": ("twitter",)}
    values.update(overrides)
    with pytest.raises(ConfigError, match=message):
        GenerationConfig(**values)


def test_unknown_backend_is_a_config_error(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config(model=ModelConfig("nosuch:model")), real_posts)
    with pytest.raises(ConfigError, match="unknown backend 'nosuch'"):
        run_generation(plan, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_config_round_trips_through_the_store(real_posts: pd.DataFrame) -> None:
    config = make_config(
        model=ModelConfig("double:echo", {"base_url": "http://x", "api_key": "secret"}, concurrency=3),
        options=GenerationOptions(max_tokens=50, stop=("\n\n",)), calls_per_prompt=2,
    )
    saved = config.to_dict()
    assert saved["models"][0]["settings"] == {"base_url": "http://x"}
    restored = GenerationConfig.from_dict(json.loads(json.dumps(saved)))
    assert restored.options == config.options and restored.topics == config.topics
    assert restored.calls_per_prompt == 2
    assert restored.models[0].settings == {"base_url": "http://x"}


def test_chat_prompts_to_a_base_model_are_refused_before_any_call(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    base_model = DoubleBackend(model="echo")
    base_model.supports_chat = False
    plan = plan_run(make_config(), real_posts)
    with pytest.raises(ConfigError, match="base model without chat.*completion"):
        run_generation(plan, tmp_path / "run", backends={"double:echo": base_model})
    assert base_model.calls == 0


def test_a_bug_in_a_backend_propagates_and_stops_the_run(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"bug_calls": [2], "delay_s": 0.01}, concurrency=2), real_posts)
    with pytest.raises(RuntimeError, match="a bug in the backend"):
        run_generation(plan, tmp_path / "run")
    assert last_backend().calls < 12
    # What was done is kept, and resume (bug fixed) finishes the rest.
    resumed = resume_run(tmp_path / "run", backends={"double:echo": DoubleBackend(model="echo")})
    assert resumed.status == COMPLETED and len(resumed.posts) == 12 and resumed.posts["post_id"].is_unique


def test_manifest_duration_sums_engine_sessions(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    plan = plan_run(make_config({"fail_calls": [0], "delay_s": 0.02}, concurrency=1), real_posts)
    run_generation(plan, tmp_path / "run")
    first = json.loads((tmp_path / "run" / "manifest.json").read_text())["duration_s"]
    assert first >= 11 * 0.02
    resume_run(tmp_path / "run", backends={"double:echo": DoubleBackend(model="echo", delay_s=0.02)})
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["duration_s"] >= first + 0.02


def test_tokens_per_minute_limit(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    tpm = 60_000  # 1,000 tokens/s, bursts of 1,000
    config = make_config(
        model=ModelConfig("double:echo", concurrency=8, tokens_per_minute=tpm),
        strategy="platform-aware", options=GenerationOptions(max_tokens=100),
    )
    plan = plan_run(config, real_posts)
    # Each call reserves its estimated prompt tokens plus max_tokens before it starts.
    needed = sum(call.est_input_tokens + 100 for call in plan.calls)
    expected = (needed - tpm / 60) / (tpm / 60)
    assert expected > 0.5
    result = run_generation(plan, tmp_path / "run")
    assert 0.9 * expected <= result.progress.elapsed_s < expected + 3
