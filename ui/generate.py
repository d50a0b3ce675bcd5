"""Generate page helpers: topics to offer, backends with session keys, runs in the background.

A run executes on the run board (`ui.jobs.run_board`), so the page can rerun every second to show progress,
and a cancel button reaches it through the job's cancel event. Every result is written to the run store as
it arrives (synth.generate): a closed tab or a killed server loses nothing, and the run can be resumed. API
keys typed in live only in this session's widget state and the backend objects built from them: never in
the run store, a file, a cache key or a log line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from synth.backends.base import Backend
from synth.backends.keys import key_variables
from synth.backends.registry import create_backend, get_backend_class, parse_model_spec
from synth.errors import SynthError
from synth.generate import CANCELLED, Plan, Progress, RunResult, resume_run, run_generation
from synth.metrics.coverage_gaps import TargetedPlan
from synth.topics.model import TopicSpec
from synth.topics.select import COLUMN, GAPS, TOPIC_SET, offered_topics, topics_above_share
from ui import topics as ui_topics
from ui.jobs import Job, run_board

MODEL_PRESETS = ("local:smollm2", "local:gemma3-270m", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest")
KEY_WIDGET = "generate_key_{variable}"
CURRENT_RUN = "generate_current_run"


ORIGINS = {GAPS: "the coverage gaps found on the Embeddings page", TOPIC_SET: "the Topics page",
           COLUMN: "the data's topic column", "": ""}


def topics_to_offer(real: pd.DataFrame, gaps: TargetedPlan | None = None) -> tuple[list[TopicSpec], pd.DataFrame, str]:
    """The topics to offer (`synth.topics.select.offered_topics` with this session's topic set), the real posts
    labelled with their topic ids, and where the topics came from, in words."""
    offered = offered_topics(real, topic_set=ui_topics.get_topic_set(real), gaps=gaps)
    return offered.topics, offered.posts, ORIGINS[offered.origin]


def topics_for_platforms(real: pd.DataFrame, topics: list[TopicSpec], platforms: list[str]) -> list[TopicSpec]:
    """The topics holding at least the Topics page's minimum share of some chosen platform's posts."""
    return topics_above_share(real, topics, platforms, ui_topics.get_min_share())


def build_backends(specs: list[str], settings: dict[str, dict[str, Any]]) -> dict[str, Backend]:
    """One backend per spec with its settings and the session's typed-in key (raises SynthError)."""
    backends = {}
    for spec in specs:
        backend_class = get_backend_class(parse_model_spec(spec)[0])
        extra = dict(settings.get(spec, {}))
        typed = st.session_state.get(KEY_WIDGET.format(variable=backend_class.needs_key), "")
        if backend_class.needs_key and typed:
            extra["api_key"] = typed
        backends[spec] = create_backend(spec, **extra)
    return backends


def start_run(run_dir: Path, backends: dict[str, Backend], plan: Plan | None = None) -> Job:
    """Start `plan` in `run_dir` on the run board, or resume the run there when `plan` is None; a run already
    going there is returned as it is."""

    def work(job: Job) -> Any:
        def on_progress(progress: Progress) -> None:
            job.detail = progress

        if plan is not None:
            return run_generation(plan, run_dir, on_progress=on_progress, cancel=job.cancel, backends=backends)
        return resume_run(run_dir, on_progress=on_progress, cancel=job.cancel, backends=backends)

    return run_board().submit(str(run_dir), f"Run {run_dir.name}", work)


def current_run(run_dir: str | Path | None) -> Job | None:
    """The job of the run in `run_dir` (running or finished in this server), or None."""
    return run_board().get(str(run_dir)) if run_dir else None


def progress_line(progress: Progress) -> str:
    spend = "unknown" if progress.spend_usd is None else f"${progress.spend_usd:.4f}"
    return (
        f"{progress.done_calls + progress.failed_calls} of {progress.total_calls} calls · done "
        f"{progress.done_calls} · failed {progress.failed_calls} · posts {progress.posts} of "
        f"{progress.planned_posts} · spend {spend} · {progress.elapsed_s:.0f} s"
    )


def run_result(job: Job) -> RunResult | None:
    """What a finished run ended with, or None when it failed."""
    return None if job.future.exception() is not None else job.future.result()


def final_message(job: Job) -> tuple[str, str]:
    """(kind, text) for the end of a run: kind is success, warning or error."""
    error = job.future.exception()
    if isinstance(error, SynthError):  # shown on the page; the store keeps what was done
        return "error", str(error)
    result = run_result(job)
    if result is None:
        return "warning", "The run stopped without a result."
    if result.status == "completed":
        return "success", f"Run {result.run_id} finished: {len(result.posts)} posts."
    reason = "cancelled" if result.status == CANCELLED else result.status
    return "warning", (
        f"Run {result.run_id} stopped ({reason}) with {len(result.posts)} posts. {result.progress.message} "
        "Resume it below under Earlier runs."
    ).strip()


def key_inputs(specs: list[str], shown: set[str]) -> set[str]:
    """Masked inputs for the keys `specs` need and the environment lacks (each variable once per page)."""
    for variable in key_variables(specs):
        if variable not in shown:
            st.text_input(f"{variable} (kept for this session only, never stored)", type="password",
                          key=KEY_WIDGET.format(variable=variable))
            shown.add(variable)
    return shown
