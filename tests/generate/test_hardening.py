"""Issue 15, the engine and store half: each test failed before its fix (budget hang, overspend on non-Latin
text, a kill while the store is created, half-written exports, answers without a post, interrupted runs, a
cache that ignored the server), against the loopback fake provider and real SIGKILLs."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synth.backends.base import GenerationOptions
from synth.errors import InputError
from synth.generate import (
    BUDGET,
    COMPLETED,
    INCOMPLETE,
    GenerationConfig,
    ModelConfig,
    list_runs,
    manifest,
    plan_run,
    resume_run,
    run_generation,
    run_generation_async,
)
from synth.generate.store import STORE_FILE, connect
from synth.topics.model import TopicSpec
from tests.conftest import ROOT
from tests.generate import kill_child
from tests.generate.conftest import TOPICS
from tests.generate.fake_provider import fake_provider


def fake_config(base_url: str, **overrides: object) -> GenerationConfig:
    values: dict[str, object] = {
        "models": (ModelConfig("openai:fake-model", {"base_url": base_url, "max_retries": 0}, concurrency=4),),
        "topics": TOPICS, "platforms": ("twitter", "reddit"), "per_cell": 3,
    }
    values.update(overrides)
    return GenerationConfig(**values)  # type: ignore[arg-type]


def run_kill_child(run_dir: Path, base_url: str, per_cell: int, kill_at: int, *extra: str) -> int:
    """Run tests.generate.kill_child in a real subprocess; its return code (-9 when it killed itself)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-m", "tests.generate.kill_child", str(run_dir), base_url, str(per_cell), str(kill_at),
         *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert child.returncode in (0, -9), child.stderr[-3000:]
    return child.returncode


def recover(run_dir: Path, base_url: str, per_cell: int) -> pd.DataFrame:
    """What a user does after a kill: `resume`, or, when the plan never got saved, `generate` again."""
    try:
        result = resume_run(run_dir)
    except InputError as error:
        assert "generate" in str(error)  # the message says what to do
        result = run_generation(plan_run(kill_child.config(base_url, per_cell), kill_child.REAL), run_dir)
    assert result.status == COMPLETED, result.progress.message
    return result.posts


# 1. A run stopped by its budget hung forever when float reservations did not return to zero.


def test_budget_stop_never_hangs_on_float_remainders(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[double]\n"echo" = { input = 0, output = 1000 }\n', encoding="utf-8")
    # Every call may cost $0.1 and costs $0.1: in floats 0.1 + 0.1 + 0.1 - 0.1 - 0.1 - 0.1 = 2.8e-17, not 0.
    config = GenerationConfig(
        models=(ModelConfig("double:echo", {"output_tokens": 100, "delay_s": 0.01}, concurrency=3),),
        topics=TOPICS, platforms=("twitter", "reddit"), per_cell=3, budget_usd=0.35, prices_path=str(prices),
        options=GenerationOptions(max_tokens=100),
    )
    plan = plan_run(config, real_posts)

    async def bounded() -> object:
        return await asyncio.wait_for(run_generation_async(plan, tmp_path / "run"), timeout=20)

    result = asyncio.run(bounded())
    assert result.status == BUDGET  # type: ignore[attr-defined]
    assert result.progress.done_calls == 3 and result.progress.spend_usd <= 0.35  # type: ignore[attr-defined]
    assert (tmp_path / "run" / "posts.csv").exists()


# 2. The budget was overspent on non-Latin text: the worst case counted chars/4 x 1.5 tokens.


def test_budget_and_estimate_hold_for_non_latin_text(tmp_path: Path) -> None:
    topics = (TopicSpec("t1", "咖啡与早晨的通勤列车", ("浓缩咖啡", "拿铁", "早高峰")),)
    real = pd.DataFrame({
        "post_id": [f"r{i}" for i in range(6)], "platform": "twitter", "topic": "t1", "source": "real",
        "text": ["今天又喝了三杯浓缩咖啡，地铁还是晚点了四十分钟，真的受不了这个早高峰 ☕️🚇🙃"] * 6,
    })
    prices = tmp_path / "prices.toml"
    prices.write_text('[openai]\n"fake-model" = { input = 100, output = 0 }\n', encoding="utf-8")
    with fake_provider(prompt_tokens="bytes") as fake:  # the provider counts every UTF-8 byte as a token
        plan = plan_run(
            fake_config(fake.base_url, topics=topics, platforms=("twitter",), per_cell=8, prices_path=str(prices)),
            real,
        )
        full = run_generation(plan, tmp_path / "full")
        assert full.status == COMPLETED
        assert full.progress.spend_usd <= plan.estimate.cost_usd_max  # the plan's "at most" holds
        budget = full.progress.spend_usd / 3
        stopped = run_generation(
            plan_run(fake_config(fake.base_url, topics=topics, platforms=("twitter",), per_cell=8,
                                 prices_path=str(prices), budget_usd=budget, use_cache=False), real),
            tmp_path / "budget",
        )
    assert stopped.status == BUDGET
    assert 0 < stopped.progress.spend_usd <= budget


# 3. A kill while the run store was created lost the plan or stranded the folder.


def test_generate_takes_over_a_store_left_without_a_plan(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    connect(run_dir / STORE_FILE).close()  # what a kill right after the file was made leaves
    with fake_provider() as fake:
        with pytest.raises(InputError, match="generate"):
            resume_run(run_dir)
        result = run_generation(plan_run(fake_config(fake.base_url), real_posts), run_dir)
    assert result.status == COMPLETED and len(result.posts) == 12


# Statements 1-14 create the store (schema, then the run and its 4 calls in one transaction); before the fix
# statement 6 fell between the run's record and its calls.
@pytest.mark.parametrize("kill_at", [1, 5, 6, 9, 14])
def test_kill_at_each_statement_of_store_creation_loses_nothing(tmp_path: Path, kill_at: int) -> None:
    run_dir, per_cell = tmp_path / "run", 1
    with fake_provider() as fake:
        assert run_kill_child(run_dir, fake.base_url, per_cell, kill_at) == -9
        posts = recover(run_dir, fake.base_url, per_cell)
    assert len(posts) == kill_child.planned_posts(per_cell) and posts["post_id"].is_unique


# 6. A kill while writing the exports left posts.csv with part of its rows.


def test_a_kill_while_exporting_leaves_the_previous_complete_files(tmp_path: Path) -> None:
    run_dir, per_cell = tmp_path / "run", 5
    with fake_provider() as fake:
        assert run_kill_child(run_dir, fake.base_url, per_cell, 0, "--kill-in-export") == -9
    posts = pd.read_csv(run_dir / "posts.csv")
    assert len(posts) == kill_child.planned_posts(per_cell)
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == COMPLETED


# 7. Calls that returned no post counted as done; a 2,000,000-character "tweet" was stored.


def test_answers_without_a_post_are_asked_again_then_reported(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    with fake_provider(mode="refuse") as fake:
        result = run_generation(plan_run(fake_config(fake.base_url), real_posts), tmp_path / "run")
        assert fake.calls == 12 * 3 and set(fake.seeds().values()) == {3}  # each call asked 3 times
    assert result.status == INCOMPLETE and len(result.posts) == 0
    assert result.progress.failed_calls == 12 and result.progress.refusals == 12
    assert "failed" in result.progress.message
    info = manifest(tmp_path / "run")
    assert "refused" in info["sample_errors"][0]["error"]
    assert info["tokens"]["output"] == 12 * 3 * 8  # every refused answer's tokens are counted


def test_oversized_answers_are_rejected_and_counted(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    with fake_provider(mode="huge") as fake:
        result = run_generation(plan_run(fake_config(fake.base_url), real_posts), tmp_path / "run")
    assert result.status == INCOMPLETE and len(result.posts) == 0
    assert "max_tokens" in manifest(tmp_path / "run")["sample_errors"][0]["error"]
    assert result.progress.output_tokens == 12 * 3 * 400_000  # what the server claims is counted, not kept


def test_a_run_short_of_posts_is_not_completed(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    # Two posts asked per call, one given: every call is done, but the run holds half its posts.
    config = GenerationConfig(
        models=(ModelConfig("double:echo", {"replies": ["just one post"]}),), topics=TOPICS,
        platforms=("twitter",), per_cell=2, posts_per_call=2,
    )
    result = run_generation(plan_run(config, real_posts), tmp_path / "run")
    assert result.status == INCOMPLETE and len(result.posts) == 2
    assert "2 of 4 planned posts" in result.progress.message


# 13. After a kill the run read "running" forever.


def test_a_killed_run_reads_interrupted_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    run_dir, per_cell = runs / "killed", 4
    with fake_provider() as fake:
        assert run_kill_child(run_dir, fake.base_url, per_cell, 40) == -9
        with sqlite3.connect(run_dir / STORE_FILE) as db:
            assert db.execute("SELECT status FROM runs").fetchone()[0] == "running"
        assert manifest(run_dir)["status"] == "interrupted"
        assert list_runs(runs)["status"].tolist() == ["interrupted"]
        posts = recover(run_dir, fake.base_url, per_cell)
    assert len(posts) == kill_child.planned_posts(per_cell)
    assert manifest(run_dir)["status"] == COMPLETED


# 14. The response cache ignored the base URL: one server's answers served another's run.


def test_the_cache_keeps_servers_apart(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    with fake_provider(label="server-a") as a, fake_provider(label="server-b") as b:
        first = run_generation(plan_run(fake_config(a.base_url), real_posts), tmp_path / "a")
        second = run_generation(plan_run(fake_config(b.base_url), real_posts), tmp_path / "b")
        again = run_generation(plan_run(fake_config(b.base_url), real_posts), tmp_path / "b2")
        assert b.calls == 12  # the third run was answered from the cache, for the same server only
    assert first.posts["text"].str.contains("server-a").all()
    assert second.posts["text"].str.contains("server-b").all() and not second.posts["cached"].any()
    assert again.posts["cached"].all()


@pytest.mark.parametrize(("output_tokens", "kept"), [(33, True), (36, True), (37, False), (400_000, False)])
def test_usage_may_count_the_end_token_beyond_max_tokens(output_tokens: int, kept: bool) -> None:
    # llama.cpp reports max_tokens + 1 when it stops on its end token: that answer is kept; far beyond is not.
    from synth.backends.base import Completion, Request
    from synth.generate.engine import _usable_posts

    request = Request(prompt="Write a tweet.", options=GenerationOptions(max_tokens=32))
    call = type("Call", (), {"request": request, "n_posts": 1, "platform": "twitter"})()
    completion = Completion(text="Rainy Mondays need strong coffee.", model="smollm2", input_tokens=10,
                            output_tokens=output_tokens)
    assert bool(_usable_posts(call, completion).posts) is kept  # type: ignore[arg-type]
