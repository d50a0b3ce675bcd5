"""The background-job board both the Embeddings and the Generate page use (ui.jobs)."""

from __future__ import annotations

import threading
import time

import pytest

from ui.jobs import Job, JobBoard, settle


def _wait(job: Job) -> None:
    assert settle(job, 10.0)


def test_a_key_already_known_returns_its_job_and_a_failed_one_is_retried() -> None:
    board = JobBoard()
    calls: list[int] = []

    def work(job: Job) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first try fails")
        job.progress = 1.0
        return len(calls)

    first = board.submit("k", "failing", work)
    _wait(first)
    assert isinstance(first.future.exception(), ValueError)
    second = board.submit("k", "again", work)
    assert second is not first
    _wait(second)
    assert second.future.result() == 2 and second.progress == 1.0
    assert board.submit("k", "reused", work) is second and board.get("k") is second and len(calls) == 2


def test_a_board_of_runs_restarts_finished_jobs_but_never_a_running_one() -> None:
    board = JobBoard(workers=None, reuse_finished=False, low_priority=False)
    release = threading.Event()

    def work(job: Job) -> str:
        release.wait(10.0)
        return "stopped" if job.cancel.is_set() else "done"

    running = board.submit("run", "Run a", work)
    assert running.running and board.submit("run", "Run a", work) is running
    running.cancel.set()
    release.set()
    _wait(running)
    assert running.future.result() == "stopped" and not running.running
    again = board.submit("run", "Run a", work)
    assert again is not running
    _wait(again)
    assert again.future.result() == "done"


@pytest.mark.parametrize("workers", [1, 2])
def test_at_most_workers_jobs_run_at_once(workers: int) -> None:
    board = JobBoard(workers=workers)
    lock, active, peak = threading.Lock(), [0], [0]
    gate = threading.Event()

    def work(job: Job) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        gate.wait(0.5)
        with lock:
            active[0] -= 1

    jobs = [board.submit(f"k{i}", "job", work) for i in range(4)]
    for job in jobs:
        _wait(job)
    assert peak[0] == workers


class _CountingEmbedder:
    """A small real embedder (character counts), so the topic job's chunking is tested without MiniLM."""

    name, dim = "counting", 4

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> object:
        import numpy as np

        self.calls += 1
        return np.array([[len(t), t.count(" "), t.count("#"), 1.0] for t in texts], dtype=np.float32)


def test_topic_discovery_reports_its_stage_and_stops_when_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    import synth.embeddings.embedder as embedder_module
    from ui import topics
    from ui.jobs import Cancelled

    inner = _CountingEmbedder()
    monkeypatch.setattr(embedder_module, "get_default_embedder", lambda: inner)
    monkeypatch.setattr(topics, "EMBED_CHUNK", 2)
    board = JobBoard()
    job = board.submit("x", "topics", lambda job: None)
    _wait(job)
    watched = topics._WatchedEmbedder(job)
    assert watched.name == "counting" and watched.embed(["a b", "c", "d #e"]).shape == (3, 4)
    assert inner.calls == 2 and "clustering" in job.stage and job.progress == pytest.approx(0.8)
    job.cancel.set()
    with pytest.raises(Cancelled, match="nothing was changed"):
        watched.embed(["a", "b", "c"])
    assert inner.calls == 2  # stopped before the next chunk
    assert "s so far" in job.status_line()


def test_a_report_build_shows_its_stages_and_stops_at_the_next_one_when_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.app.compare_posts import real_posts, synthetic_posts
    from ui import compare
    from ui.jobs import Cancelled

    board, stages, go_on = JobBoard(), [], threading.Event()
    monkeypatch.setattr(compare, "job_board", lambda: board)
    real_make = compare.make_artifacts

    def make_artifacts(*args: object, on_stage: object, **kwargs: object) -> object:
        def watched(words: str) -> None:
            stages.append(words)
            on_stage(words)  # type: ignore[operator]
            go_on.wait(10)  # hold the first stage until the test has cancelled

        return real_make(*args, on_stage=watched, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(compare, "make_artifacts", make_artifacts)
    job = compare.report_job(real_posts(), synthetic_posts(), (), 3, 0, False)
    deadline = time.monotonic() + 10
    while not stages:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job.stage == "computing the lexical metrics"
    job.cancel.set()
    go_on.set()
    _wait(job)
    assert isinstance(job.future.exception(), Cancelled)
    assert stages == ["computing the lexical metrics", "scoring the leaderboard (0 bootstrap replicates)"]
    again = compare.report_job(real_posts(), synthetic_posts(), (), 3, 0, False)  # a cancelled build restarts
    _wait(again)
    assert again.future.result().report_html.startswith("<!DOCTYPE html>")
