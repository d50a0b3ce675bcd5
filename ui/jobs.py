"""The background-job board: slow work runs in daemon threads held by `st.cache_resource`, so a page can rerun
(every second, or on the next click) and find its job running or done instead of starting it again.

One `JobBoard` class serves two boards: `job_board()` for computations keyed by the data they read (embeddings,
maps, metrics, coverage: at most two at once, at a lower CPU priority, a finished one reused) and `run_board()`
for generation runs keyed by their run folder (each starts at once and may take hours; a finished run can be
resumed, which starts it again). Results stay in this process's memory, never pickled.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

MAX_JOBS = 64


class Cancelled(Exception):
    """Raised by work that stopped because its job's cancel event was set (the page says so)."""


@dataclass
class Job:
    """One background job: its future, what it is doing and how far it got.

    Attributes:
        future: the job's result or exception, once done.
        label: what the job does, for people.
        started: when it started (time.monotonic), or when it was submitted while it waits for a slot.
        progress: how far it got, 0-1 (the work sets it).
        detail: the work's latest progress report when it has one richer than a fraction (e.g. a generation
            run's `synth.generate.Progress`).
        cancel: set to ask the work to stop (work that can stop early watches it).
        stage: the step the work is on, in words ("Embedding posts", "Reducing dimensions"...).
        remaining_s: the work's estimate of the seconds left, measured on this machine, or None.
    """

    future: Future[Any]
    label: str
    started: float = field(default_factory=time.monotonic)
    progress: float = 0.0
    detail: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)
    stage: str = ""
    remaining_s: float | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def status_line(self) -> str:
        """What the job is doing, for people: label, stage, time so far and time left when known."""
        parts = [self.label + (f": {self.stage}" if self.stage else ""), f"{self.elapsed:.0f} s so far"]
        if self.cancel.is_set() and self.running:
            parts.append("cancelling…")
        elif self.remaining_s is not None:
            parts.append(f"about {duration(self.remaining_s)} left")
        return " · ".join(parts)

    @property
    def running(self) -> bool:
        """Not done yet (running or waiting for a slot)."""
        return not self.future.done()


class JobBoard:
    """Jobs by key; submitting a key already known returns its job while that job is running (and, when
    `reuse_finished`, once it has succeeded too: a failed job is always started again).

    Each job runs in its own daemon thread, at most `workers` at once (None: no limit): a server stopped
    mid-job exits at once instead of waiting for a UMAP or a metric to finish.
    """

    def __init__(self, workers: int | None = 2, *, reuse_finished: bool = True, low_priority: bool = True) -> None:
        self._slots = threading.Semaphore(workers) if workers is not None else contextlib.nullcontext()
        self._reuse_finished = reuse_finished
        self._low_priority = low_priority
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, label: str, work: Callable[[Job], Any], *, delay_s: float = 0.0) -> Job:
        """The job of `key`: the known one when it may be reused, else `work(job)` started in the background
        (after `delay_s` seconds)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and self._reusable(job):
                return job
            job = Job(Future(), label)
            threading.Thread(
                target=self._run, args=(job, work, delay_s), name=f"synth-{key[:40]}", daemon=True
            ).start()
            self._jobs[key] = job
            if len(self._jobs) > MAX_JOBS:  # forget the oldest finished jobs (their memory)
                for old in [k for k, j in self._jobs.items() if j.future.done()][: len(self._jobs) - MAX_JOBS]:
                    del self._jobs[old]
            return job

    def _reusable(self, job: Job) -> bool:
        if not job.future.done():
            return True
        return self._reuse_finished and job.future.exception() is None

    def _run(self, job: Job, work: Callable[[Job], Any], delay_s: float) -> None:
        if self._low_priority:
            lower_priority()
        time.sleep(delay_s)
        with self._slots:
            job.started = time.monotonic()
            if not job.future.set_running_or_notify_cancel():
                return
            try:
                job.future.set_result(work(job))
            except BaseException as error:  # handed to the page through the future, shown or raised there
                job.future.set_exception(error)

    def get(self, key: str) -> Job | None:
        return self._jobs.get(key)


def duration(seconds: float) -> str:
    """Seconds for people: '45 s', '3 min', '1 h 20 min'."""
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def lower_priority() -> None:
    """Run the calling thread at a lower CPU priority (Linux: threads are schedulable tasks), so that
    background work leaves the cores to the script drawing the page first."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: same priority, still correct
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def settle(job: Job, seconds: float) -> bool:
    """Wait up to `seconds` for `job` (a cached result is ready at once: no need to show progress)."""
    wait([job.future], timeout=seconds)
    return job.future.done()


def show_pending(jobs: list[Job], *, cancel_key: str | None = None) -> None:
    """Each unfinished job's stage, time so far and time left, refreshed every 2 s; the whole app reruns once
    they are all done. With `cancel_key`, a Cancel button asks the jobs to stop (work that watches
    `job.cancel` stops within seconds; the line says "cancelling…" until it has)."""

    @st.fragment(run_every=2.0)
    def poll() -> None:
        pending = [job for job in jobs if not job.future.done()]
        if not pending:
            st.rerun(scope="app")
        for job in pending:
            st.progress(job.progress, text=job.status_line()) if job.progress else st.caption(job.status_line())
        asked = all(job.cancel.is_set() for job in pending)
        if cancel_key and not asked and st.button("Cancel", key=cancel_key, icon=":material/stop:"):
            for job in pending:
                job.cancel.set()
            st.rerun(scope="fragment")

    poll()


@st.cache_resource(show_spinner=False)
def job_board() -> JobBoard:
    """The process-wide board of computations (shared by sessions: results are keyed by data content)."""
    return JobBoard()


@st.cache_resource(show_spinner=False)
def run_board() -> JobBoard:
    """The process-wide board of generation runs, keyed by run folder (shared by every session)."""
    return JobBoard(workers=None, reuse_finished=False, low_priority=False)
