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
from synth.generate import CANCELLED, RUNNING, Plan, Progress, RunResult, resume_run, run_generation
from synth.generate.runs import manifest
from synth.metrics.coverage_gaps import TargetedPlan
from synth.topics.model import TopicSpec
from synth.topics.select import COLUMN, GAPS, TOPIC_SET, offered_topics, topics_above_share
from ui import topics as ui_topics
from ui.jobs import Job, duration, run_board

# The embedded model the page starts with: on held-out zomato posts Gemma 3 270M's few-shot completions were
# nearer to real posts than SmolLM2's chat answers (classifier AUC 0.87 vs 0.95, nearest-real cosine 0.60 vs
# 0.49), and cheaper per post (benchmarks/bench_postprocess.py).
DEFAULT_MODEL = "local:gemma3-270m"
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
        first: list[int] = []  # calls finished before this session (a resume), to time this session's calls

        def on_progress(progress: Progress) -> None:
            job.detail = progress
            finished = progress.done_calls + progress.failed_calls
            first[:] = first or [finished]
            job.progress = progress.fraction
            job.stage = f"{finished} of {progress.total_calls} calls"
            if finished > first[0] and progress.status == RUNNING:
                per_call = progress.elapsed_s / (finished - first[0])
                job.remaining_s = per_call * (progress.total_calls - finished)

        if plan is not None:
            return run_generation(plan, run_dir, on_progress=on_progress, cancel=job.cancel, backends=backends)
        return resume_run(run_dir, on_progress=on_progress, cancel=job.cancel, backends=backends)

    return run_board().submit(str(run_dir), f"Run {run_dir.name}", work)


def current_run(run_dir: str | Path | None) -> Job | None:
    """The job of the run in `run_dir` (running or finished in this server), or None."""
    return run_board().get(str(run_dir)) if run_dir else None


def progress_line(job: Job, progress: Progress) -> str:
    """Calls, posts and spend so far, time so far and the estimate of the time left (measured per call)."""
    spend = "unknown" if progress.spend_usd is None else f"${progress.spend_usd:.4f}"
    finished = progress.done_calls + progress.failed_calls
    if finished >= progress.total_calls or not job.running:
        left = "done"
    elif job.cancel.is_set():
        left = "cancelling: stops after the calls under way"
    elif job.remaining_s is not None and finished < progress.total_calls:
        per_call = progress.elapsed_s / max(finished, 1)
        left = f"about {duration(job.remaining_s)} left"
        if job.remaining_s and finished:
            left += f" ({per_call:.1f} s per call so far)"
    else:
        left = "time left: known after the first call"
    return (
        f"{finished} of {progress.total_calls} calls · done {progress.done_calls} · failed "
        f"{progress.failed_calls} · posts {progress.posts} of {progress.planned_posts} · spend {spend} · "
        f"{progress.elapsed_s:.0f} s · {left}"
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
    # The engine's message speaks to the command line (`synth resume`); the page says what to do here instead.
    detail = "" if result.status == CANCELLED else result.progress.message.strip().rstrip(".")
    return "warning", " ".join(part for part in (
        f"Run {result.run_id} stopped ({reason}) with {len(result.posts)} posts.", detail + "." if detail else "",
        failure_reasons(result.run_dir), "Resume it below under Earlier runs.") if part)


def failure_reasons(run_dir: Path) -> str:
    """The reasons of a run's failed calls, in one line (empty when none failed)."""
    try:
        errors = manifest(run_dir).get("sample_errors") or []
    except SynthError:
        return ""
    reasons = list(dict.fromkeys(str(error.get("error", "")) for error in errors if error.get("error")))
    return ("Failed calls: " + "; ".join(reasons[:3]) + ".") if reasons else ""


def key_inputs(specs: list[str], shown: set[str]) -> set[str]:
    """Masked inputs for the keys `specs` need and the environment lacks (each variable once per page)."""
    for variable in key_variables(specs):
        if variable not in shown:
            st.text_input(f"{variable} (kept for this session only, never stored)", type="password",
                          key=KEY_WIDGET.format(variable=variable))
            shown.add(variable)
    return shown


def run_labels(runs: pd.DataFrame) -> dict[str, str]:
    """Run id -> a readable name: when it was made, with which models, how many posts."""
    return {row["run"]: f"{row['created'].replace('T', ' ')[:16]} · {row['models']} · {row['posts']} posts · "
                        f"{row['status']}" for _, row in runs.iterrows()}


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs for people: readable names first, the run id last."""
    return runs[[column for column in runs.columns if column != "run"] + ["run"]]


def comparison_set_line(posts: pd.DataFrame | None) -> str:
    """What the comparison set holds, in one line."""
    from synth.projects import run_names

    runs = run_names(posts)
    if posts is None or posts.empty:
        return "The comparison set is empty: run a generation, or add an earlier run's posts below."
    where = f" from {len(runs)} run{'s' if len(runs) != 1 else ''}" if runs else ""
    return (f"The comparison set (compared on the Embeddings, Lexical and Leaderboard pages) holds "
            f"{len(posts):,} posts{where}.")
