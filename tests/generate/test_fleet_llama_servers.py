"""A fleet of two real OpenAI-compatible servers (llama.cpp's, on 127.0.0.1); one is killed mid-run."""

from __future__ import annotations

import sqlite3
import time
from contextlib import ExitStack
from pathlib import Path

import pandas as pd
import pytest

from synth.backends.base import GenerationOptions
from synth.generate import COMPLETED, INCOMPLETE, GenerationConfig, ModelConfig, plan_run, run_generation
from synth.generate.progress import Progress
from synth.generate.store import RunStore
from tests.generate.conftest import TOPICS
from tests.support import running_llama_server

pytestmark = pytest.mark.slow


def test_a_run_survives_one_server_dying_with_every_post_kept(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    with ExitStack() as stack:
        (first, _), (second, doomed) = (
            stack.enter_context(running_llama_server(tmp_path / f"server{i}.log")) for i in range(2)
        )
        config = GenerationConfig(
            models=(ModelConfig("openai:smollm2", {"base_url": [first, second], "timeout": 600}, concurrency=1),),
            topics=TOPICS, platforms=("twitter", "reddit"), per_cell=4, k=2,
            options=GenerationOptions(max_tokens=16, temperature=0.8), use_cache=False,
            timeout_s=600,  # a busy CI machine: a call may wait its turn behind several others
        )
        killed_at: list[float] = []

        def kill_after_four(progress: Progress) -> None:
            if progress.done_calls >= 4 and not killed_at:
                doomed.kill()  # SIGKILL: its call in flight dies with it
                killed_at.append(time.time())

        result = run_generation(plan_run(config, real_posts), tmp_path / "run", on_progress=kill_after_four)

    # The dead server costs no call: each one ends done, or failed only because SmolLM2 gave no usable post in
    # its tries (issue 15's rule), never for the connection.
    assert killed_at and result.status in (COMPLETED, INCOMPLETE)
    with sqlite3.connect(tmp_path / "run" / "run.sqlite") as db:
        errors = [error for (error,) in db.execute("SELECT error FROM calls WHERE status = 'failed'")]
    assert all("no usable post" in error for error in errors), errors
    assert result.progress.done_calls + len(errors) == 16
    assert len(result.posts) == result.progress.done_calls and result.posts["post_id"].is_unique
    store = RunStore.open(tmp_path / "run")
    endpoints = store.endpoints()
    store.close()
    assert len(endpoints) == result.progress.done_calls and set(endpoints.values()) == {first, second}
    with sqlite3.connect(tmp_path / "run" / "run.sqlite") as db:
        finished = dict(db.execute("SELECT call_id, finished_at FROM calls").fetchall())
    # After the kill (and the call it cut short), only the surviving server answers.
    late = [call for call, at in finished.items() if call in endpoints and at > killed_at[0] + 1.0]
    assert late and {endpoints[call] for call in late} == {first}
