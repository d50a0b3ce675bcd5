"""Batch mode against loopback fakes of OpenAI's Batch API and Anthropic's Message Batches."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from synth.backends.base import BackendError
from synth.errors import ConfigError
from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, resume_run, run_generation
from synth.generate.batch import BatchJobs, split
from synth.generate.batch_apis import BatchLimits, OpenAIBatches, batch_api
from synth.generate.store import RunStore
from tests.generate.conftest import TOPICS
from tests.generate.fake_batch_servers import batch_server

ROOT = Path(__file__).resolve().parents[2]


def _config(spec: str, base_url: str, per_cell: int = 3) -> GenerationConfig:
    return GenerationConfig(models=(ModelConfig(spec, {"base_url": base_url}),), topics=TOPICS,
                            platforms=("twitter", "reddit"), per_cell=per_cell, batch=True)


def _costs(run_dir: Path) -> dict[str, float]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return dict(db.execute("SELECT call_id, cost_usd FROM calls").fetchall())


def test_openai_batch_records_results_at_batch_prices_and_runs_errored_lines_live(real_posts, tmp_path) -> None:
    with batch_server() as fake:
        plan = plan_run(_config("openai:gpt-4o-mini", f"{fake.base_url}/v1"), real_posts)
        broken = plan.calls[4].call_id
        fake.errors = {broken}
        result = run_generation(plan, tmp_path / "run")
    assert result.status == COMPLETED and result.progress.done_calls == 12
    assert sorted(fake.submitted) == sorted(call.call_id for call in plan.calls)  # each submitted once
    assert fake.live == 1  # the errored line, by the normal path
    costs = _costs(tmp_path / "run")
    # gpt-4o-mini through the Batch API: $0.075 / $0.30 per million tokens; live: $0.15 / $0.60.
    assert costs[broken] == pytest.approx((100 * 0.15 + 10 * 0.60) / 1e6)
    assert all(cost == pytest.approx((100 * 0.075 + 10 * 0.30) / 1e6) for call, cost in costs.items() if call != broken)
    assert sorted(result.posts["text"]) == sorted(["live post"] + [f"fake post {c.call_id}" for c in plan.calls
                                                                   if c.call_id != broken])
    store = RunStore.open(tmp_path / "run")
    jobs = BatchJobs(store).all()
    store.close()
    assert len(jobs) == 1 and jobs[0].job_id and jobs[0].state == "collected"
    assert jobs[0].note == "completed: 11 done, 1 failed"
    assert plan.estimate.cost_usd is not None  # estimated at batch prices too


@pytest.mark.parametrize("outcome", ["expired", "cancelled"])
def test_an_ended_openai_job_leaves_what_it_did_not_run_to_the_normal_path(real_posts, tmp_path, outcome) -> None:
    with batch_server(outcome=outcome) as fake:
        plan = plan_run(_config("openai:gpt-4o-mini", f"{fake.base_url}/v1"), real_posts)
        result = run_generation(plan, tmp_path / "run")
    assert result.status == COMPLETED and result.progress.done_calls == 12
    assert len(fake.submitted) == 12 and fake.live == 6  # half ran in the batch, the rest live, none twice
    assert (result.posts["text"] == "live post").sum() == 6


@pytest.mark.parametrize("outcome", ["completed", "expired"])
def test_anthropic_message_batches(real_posts, tmp_path, monkeypatch, outcome) -> None:
    monkeypatch.setenv("ANTHROPIC_COMPATIBLE_API_KEY", "sk-ant-test")  # the fake is not Anthropic's host
    with batch_server(outcome=outcome) as fake:
        plan = plan_run(_config("anthropic:claude-haiku-4-5", fake.base_url), real_posts)
        fake.errors = {plan.calls[0].call_id}
        result = run_generation(plan, tmp_path / "run")
    assert result.status == COMPLETED and result.progress.done_calls == 12
    assert sorted(fake.submitted) == sorted(call.call_id for call in plan.calls)
    assert fake.live == (1 if outcome == "completed" else 7)
    costs = _costs(tmp_path / "run")
    batch_cost = (100 * 0.5 + 10 * 2.5) / 1e6  # claude-haiku-4-5 batch prices
    assert sum(cost == pytest.approx(batch_cost) for cost in costs.values()) == 12 - fake.live
    assert set(result.posts["model_version"].dropna()) >= {"claude-haiku-4-5-20251001"}


def test_jobs_are_split_at_the_documented_limits(real_posts, tmp_path, monkeypatch) -> None:
    lines = [(f"c{i}", b"x" * 10) for i in range(7)]
    assert [len(chunk) for chunk in split(lines, BatchLimits(max_requests=3, max_bytes=10_000))] == [3, 3, 1]
    assert [len(chunk) for chunk in split(lines, BatchLimits(max_requests=100, max_bytes=25))] == [2, 2, 2, 1]
    with pytest.raises(BackendError, match="over the 5 bytes"):
        split(lines, BatchLimits(max_requests=100, max_bytes=5))
    monkeypatch.setattr(OpenAIBatches, "limits", BatchLimits(max_requests=5, max_bytes=10**6))
    with batch_server() as fake:
        result = run_generation(plan_run(_config("openai:gpt-4o-mini", f"{fake.base_url}/v1"), real_posts),
                                tmp_path / "run")
        assert len(fake.batches) == 3 and result.progress.done_calls == 12 and fake.live == 0


def test_batch_refuses_a_budget() -> None:
    with pytest.raises(ConfigError, match="budget cannot be enforced on batch"):
        GenerationConfig(models=(ModelConfig("openai:gpt-4o-mini"),), topics=TOPICS, platforms=("twitter",),
                         batch=True, budget_usd=1.0)


def test_kill_9_after_submission_then_resume_polls_the_same_jobs(real_posts, tmp_path) -> None:
    real = tmp_path / "real.csv"
    real_posts.to_csv(real, index=False)
    run_dir = tmp_path / "run"
    env = {**os.environ, "SYNTH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": ""}
    with batch_server(outcome="hold") as fake:
        command = [sys.executable, "-m", "synth", "generate", "--real", str(real), "--platforms", "twitter,reddit",
                   "--model", "openai:gpt-4o-mini", "--base-url", f"{fake.base_url}/v1", "--per-cell", "3",
                   "--batch", "--out", str(run_dir)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while fake.polls < 1:  # submitted, recorded, and polled once
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the batch was not submitted in time"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        store = RunStore.open(run_dir)
        jobs_before = BatchJobs(store).all()
        store.close()
        assert [job.state for job in jobs_before] == ["submitted"] and jobs_before[0].job_id in fake.batches
        fake.outcome = "completed"
        result = resume_run(run_dir, cache_path=tmp_path / "cache" / "responses.sqlite")
    assert result.status == COMPLETED and result.progress.done_calls == 12 and len(result.posts) == 12
    assert len(fake.submitted) == 12 and len(set(fake.submitted)) == 12 and len(fake.batches) == 1  # none twice
    assert fake.live == 0 and result.posts["post_id"].is_unique
    store = RunStore.open(run_dir)
    jobs_after = BatchJobs(store).all()
    store.close()
    assert [job.job_id for job in jobs_after] == [jobs_before[0].job_id] and jobs_after[0].state == "collected"
    assert len(pd.read_csv(run_dir / "posts.csv")) == 12  # exported


@pytest.mark.parametrize("spec", ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"])
def test_a_submission_cut_short_before_its_job_id_was_saved(real_posts, tmp_path, monkeypatch, spec) -> None:
    """A kill between the provider's answer and the store's write: OpenAI's job is found by its metadata tag
    and adopted; Anthropic's batches carry no tag, so the calls are submitted again (posts still once each)."""
    import asyncio

    from synth.backends.registry import create_backend

    monkeypatch.setenv("ANTHROPIC_COMPATIBLE_API_KEY", "sk-ant-test")  # the fake is not Anthropic's host
    with batch_server() as fake:
        base_url = f"{fake.base_url}/v1" if spec.startswith("openai") else fake.base_url
        plan = plan_run(_config(spec, base_url), real_posts)
        store = RunStore.create(tmp_path / "run", plan.run_id, plan.config.to_dict())
        store.add_calls(plan.calls)
        backend = create_backend(spec, base_url=base_url)
        api = batch_api(backend)
        assert api is not None
        lines = [api.encode(call) for call in plan.calls]
        BatchJobs(store).add("cut-short", spec, [call.call_id for call in plan.calls])
        asyncio.run(api.submit(lines[0][0], [line for _, line in lines], "cut-short"))  # then "killed"
        store.close()
        result = resume_run(tmp_path / "run")
    assert result.status == COMPLETED and result.progress.done_calls == 12 and result.posts["post_id"].is_unique
    assert len(fake.batches) == (1 if spec.startswith("openai") else 2)
    assert fake.live == 0
