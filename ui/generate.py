"""Generate page helpers: topics to offer, backends with session keys, runs in background threads, run lists.

A run executes in a background thread held by a `st.cache_resource` registry, so the page can rerun every
second to show progress, and a cancel button reaches it through a threading.Event. Every result is written
to the run store as it arrives (synth.generate): a closed tab or a killed server loses nothing, and the run
can be resumed. API keys typed in live only in this session's widget state and the backend objects built
from them: never in the run store, a file, a cache key or a log line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from synth import schema
from synth.backends.base import Backend
from synth.backends.keys import find_key
from synth.backends.registry import create_backend, get_backend_class, parse_model_spec
from synth.errors import SynthError
from synth.generate import CANCELLED, Plan, Progress, RunResult, manifest, resume_run, run_generation
from synth.generate.store import STORE_FILE, RunStore
from synth.metrics.coverage_gaps import TargetedPlan
from synth.topics.model import TopicSpec
from ui import topics as ui_topics
from ui.compare import runs_root

MODEL_PRESETS = ("local:smollm2", "local:gemma3-270m", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest")
KEY_WIDGET = "generate_key_{variable}"
CURRENT_RUN = "generate_current_run"


def offered_topics(real: pd.DataFrame, gaps: TargetedPlan | None = None) -> tuple[list[TopicSpec], pd.DataFrame, str]:
    """The topics to offer, the real posts labelled with their topic ids, and where the topics came from.

    A coverage-gap plan from the Embeddings page wins when given; then the Topics page's (edited) topic
    set; else the data's topic column, one topic per value.
    """
    if gaps is not None:
        return list(gaps.topics), gaps.tag_real_posts(real), "the coverage gaps found on the Embeddings page"
    topic_set = ui_topics.get_topic_set(real)
    if topic_set is not None:
        return [topic.spec() for topic in topic_set.topics], topic_set.label_posts(real), "the Topics page"
    if schema.TOPIC in real.columns:
        values = real[schema.TOPIC].dropna().astype(str).str.strip()
        counts = values[values != ""].value_counts()
        if len(counts):
            return [TopicSpec(str(value), str(value)) for value in counts.index], real, "the data's topic column"
    return [], real, ""


def topics_above_share(real: pd.DataFrame, topics: list[TopicSpec], platforms: list[str]) -> list[TopicSpec]:
    """Topics holding at least the Topics page's minimum share of some chosen platform's posts."""
    min_share = ui_topics.get_min_share()
    if min_share <= 0 or not platforms or schema.TOPIC not in real.columns:
        return topics
    chosen = real[real[schema.PLATFORM].isin(platforms)]
    shares = pd.crosstab(chosen[schema.TOPIC].astype(str), chosen[schema.PLATFORM], normalize="columns")
    return [t for t in topics if t.topic_id in shares.index and bool((shares.loc[t.topic_id] >= min_share).any())]


def key_variables(specs: list[str]) -> list[str]:
    """Environment variables holding the keys the chosen models need and the environment lacks."""
    needed = []
    for spec in specs:
        try:
            variable = get_backend_class(parse_model_spec(spec)[0]).needs_key
        except SynthError:
            continue  # an unknown backend is reported when the backends are built
        if variable and find_key(variable) is None and variable not in needed:
            needed.append(variable)
    return needed


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


@dataclass
class RunHandle:
    """A run executing (or finished) in a background thread."""

    run_dir: Path
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None
    result: RunResult | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class RunRegistry:
    """Background runs by run directory; one thread per run, shared by every session of this server."""

    def __init__(self) -> None:
        self._handles: dict[str, RunHandle] = {}
        self._lock = threading.Lock()

    def get(self, run_dir: str | Path) -> RunHandle | None:
        return self._handles.get(str(run_dir))

    def start(self, run_dir: Path, backends: dict[str, Backend], plan: Plan | None = None) -> RunHandle:
        """Start `plan` in `run_dir`, or resume the run there when `plan` is None."""
        with self._lock:
            current = self._handles.get(str(run_dir))
            if current is not None and current.running:
                return current
            handle = RunHandle(run_dir)

            def on_progress(progress: Progress) -> None:
                handle.progress = progress

            def work() -> None:
                try:
                    if plan is not None:
                        handle.result = run_generation(
                            plan, run_dir, on_progress=on_progress, cancel=handle.cancel, backends=backends
                        )
                    else:
                        handle.result = resume_run(
                            run_dir, on_progress=on_progress, cancel=handle.cancel, backends=backends
                        )
                except SynthError as error:  # shown on the page; the store keeps what was done
                    handle.error = str(error)

            handle.thread = threading.Thread(target=work, name=f"synth-run-{run_dir.name}", daemon=True)
            self._handles[str(run_dir)] = handle
            handle.thread.start()
            return handle


@st.cache_resource
def registry() -> RunRegistry:
    return RunRegistry()


def wait_briefly(handle: RunHandle, seconds: float = 0.5) -> None:
    """Let the run advance a little before the page draws it again."""
    if handle.thread is not None:
        handle.thread.join(timeout=seconds)


def list_runs(root: Path | None = None) -> pd.DataFrame:
    """Earlier runs under the runs folder, newest first: id, status, posts, calls, cost, created."""
    root = root or runs_root()
    rows = []
    for store in sorted(root.glob(f"*/{STORE_FILE}"), key=lambda path: path.stat().st_mtime, reverse=True):
        try:
            info = manifest(store.parent)
        except SynthError:
            continue  # a half-created folder: nothing to list
        counts = info["counts"]
        rows.append({
            "run": store.parent.name, "status": info["status"], "created": info["created_at"][:19],
            "posts": f"{counts['posts']} / {counts['planned_posts']}",
            "calls failed": counts["failed"], "pending": counts["pending"],
            "cost (USD)": "unknown" if info["cost_usd"] is None else f"{info['cost_usd']:.4f}",
            "models": ", ".join(model["spec"] for model in info["config"]["models"]),
        })
    return pd.DataFrame(rows)


def run_models(run_dir: Path) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The model specs of a stored run and their saved (key-free) settings."""
    store = RunStore.open(run_dir)  # the saved config only, not the whole manifest
    try:
        config = store.config()
    finally:
        store.close()
    return [m["spec"] for m in config["models"]], {m["spec"]: dict(m.get("settings") or {}) for m in config["models"]}


def progress_line(progress: Progress) -> str:
    spend = "unknown" if progress.spend_usd is None else f"${progress.spend_usd:.4f}"
    return (
        f"{progress.done_calls + progress.failed_calls} of {progress.total_calls} calls · done "
        f"{progress.done_calls} · failed {progress.failed_calls} · posts {progress.posts} of "
        f"{progress.planned_posts} · spend {spend} · {progress.elapsed_s:.0f} s"
    )


def final_message(handle: RunHandle) -> tuple[str, str]:
    """(kind, text) for the end of a run: kind is success, warning or error."""
    if handle.error:
        return "error", handle.error
    result = handle.result
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
