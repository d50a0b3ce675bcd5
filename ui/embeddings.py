"""Embeddings page helpers: background jobs for embeddings, maps, metrics and coverage, and their widgets.

Slow work (embedding posts, UMAP, t-SNE, semantic metrics, coverage gaps) runs in a small thread pool held
by `st.cache_resource`, keyed by a fingerprint of the data: a rerun or a second visit finds the job running
or done instead of starting it again, and the page shows what is ready (PCA at once) while the rest
computes. Embeddings and maps are also cached on disk (`synth.embeddings.embedder`, `synth.embeddings.projection`), so a
restarted server gets them back in a second. Results stay in this process's memory, never pickled.

UMAP's numba code compiles on its first call in a process (15-45 s); `start_umap_warmup` pays that in a
background thread when the server serves its first page (`SYNTH_WARM_UMAP=0` turns it off).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from synth import schema

EMBED_CHUNK = 256
MAX_JOBS = 64
EXTRAS_DELAY_S = 3.0  # metrics and coverage wait this long so the page's first map is drawn first
METHOD_LABELS = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
COLOR_CHOICES = (schema.SOURCE, schema.PLATFORM, schema.MODEL, schema.TOPIC)
SHOWN_COLUMNS = [schema.SOURCE, schema.PLATFORM, schema.MODEL, schema.TOPIC, schema.TEXT]


@dataclass
class Job:
    """One background computation: its future, what it is doing and how far it got (0-1)."""

    future: Future[Any]
    label: str
    started: float = field(default_factory=time.monotonic)
    progress: float = 0.0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class JobBoard:
    """Jobs by key; submitting a key already known returns the existing job (running or done).

    Each job runs in its own daemon thread, at most `workers` at once: a server stopped mid-job exits at
    once instead of waiting for a UMAP or a metric to finish.
    """

    def __init__(self, workers: int = 2) -> None:
        self._slots = threading.Semaphore(workers)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, label: str, work: Callable[[Job], Any], *, delay_s: float = 0.0) -> Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.future.done() and job.future.exception() is not None):
                return job  # a failed job is retried on the next visit; others are reused
            job = Job(Future(), label)
            threading.Thread(
                target=self._run, args=(job, work, delay_s), name=f"synth-{key[:40]}", daemon=True
            ).start()
            self._jobs[key] = job
            if len(self._jobs) > MAX_JOBS:  # forget the oldest finished jobs (their memory)
                for old in [k for k, j in self._jobs.items() if j.future.done()][: len(self._jobs) - MAX_JOBS]:
                    del self._jobs[old]
            return job

    def _run(self, job: Job, work: Callable[[Job], Any], delay_s: float) -> None:
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


def lower_priority() -> None:
    """Run the calling thread at a lower CPU priority (Linux: threads are schedulable tasks), so that
    background work leaves the cores to the script drawing the page first."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: same priority, still correct
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def settle(job: Job, seconds: float) -> bool:
    """Wait up to `seconds` for `job` (a cached result is ready at once: no need to show progress)."""
    wait([job.future], timeout=seconds)
    return job.future.done()


@st.cache_resource(show_spinner=False)
def job_board() -> JobBoard:
    """The process-wide job board (shared by sessions: results are keyed by data content)."""
    return JobBoard()


@st.cache_resource(show_spinner=False)
def start_umap_warmup() -> threading.Thread | None:
    """Compile UMAP's numba code in the background, once per server process."""
    if os.environ.get("SYNTH_WARM_UMAP", "1") == "0":
        return None
    from synth.embeddings.projection import warm_up_umap

    # Not a daemon: a process exiting mid-compile must wait for numba rather than kill it.
    def warm_up() -> None:
        lower_priority()
        warm_up_umap()

    thread = threading.Thread(target=warm_up, name="synth-umap-warmup")
    thread.start()
    return thread


def fingerprint_texts(texts: pd.Series) -> str:
    """A content hash of a column of texts (order matters)."""
    hashed = pd.util.hash_pandas_object(texts.astype("string").fillna(""), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:24]


def combine_posts(real: pd.DataFrame | None, synthetic: pd.DataFrame | None) -> pd.DataFrame:
    """Real then synthetic posts in one frame with the columns the page shows, and a fresh RangeIndex."""
    frames = []
    for posts, source in ((real, schema.REAL), (synthetic, schema.SYNTHETIC)):
        if posts is None or posts.empty:
            continue
        frame = pd.DataFrame({column: posts.get(column, pd.NA) for column in SHOWN_COLUMNS})
        frame[schema.SOURCE] = source
        frames.append(frame.astype("string"))
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SHOWN_COLUMNS)
    combined[schema.TEXT] = combined[schema.TEXT].fillna("")
    return combined


def _embed(texts: list[str]) -> Callable[[Job], np.ndarray]:
    def work(job: Job) -> np.ndarray:
        from synth.embeddings.embedder import get_default_embedder

        embedder = get_default_embedder()
        parts = []
        for start in range(0, len(texts), EMBED_CHUNK):
            parts.append(embedder.embed(texts[start : start + EMBED_CHUNK]))
            job.progress = min(1.0, (start + EMBED_CHUNK) / len(texts))
        return np.vstack(parts)

    return work


def embeddings_job(posts: pd.DataFrame, data_key: str) -> Job:
    """Embed every post with the default embedder (disk-cached), in the background."""
    texts = posts[schema.TEXT].tolist()
    return job_board().submit(f"embed:{data_key}", f"Embedding {len(texts):,} posts", _embed(texts))


@st.cache_data(show_spinner=False, max_entries=16)
def pca_map(data_key: str, _vectors: np.ndarray) -> np.ndarray:
    """The PCA map of the vectors with fingerprint `data_key` (instant; disk-cached too)."""
    from synth.embeddings.projection import project

    return project(_vectors, "pca", data_key=data_key)


def map_job(method: str, vectors: np.ndarray, data_key: str) -> Job:
    """UMAP or t-SNE map in the background (disk-cached: a restarted server reads it back)."""
    from synth.embeddings.projection import project

    def work(job: Job) -> np.ndarray:
        return project(vectors, method, data_key=data_key)

    label = f"Computing the {METHOD_LABELS[method]} map of {len(vectors):,} posts"
    return job_board().submit(f"{method}:{data_key}", label, work)


def metrics_job(real: pd.DataFrame, synthetic: pd.DataFrame, vectors: np.ndarray, data_key: str) -> Job:
    """`compare_semantic` of synthetic vs real posts in the background."""
    from synth.metrics.semantic import compare_semantic

    def work(job: Job) -> dict[str, Any]:
        return compare_semantic(
            real, synthetic, real_embeddings=vectors[: len(real)], synthetic_embeddings=vectors[len(real) :]
        )

    # Started a few seconds late: the map is drawn first.
    return job_board().submit(f"semantic:{data_key}", "Computing semantic metrics", work, delay_s=EXTRAS_DELAY_S)


def coverage_job(real: pd.DataFrame, vectors: np.ndarray, data_key: str) -> Job:
    """Coverage gaps (`synth.metrics.coverage_gaps.find_coverage_gaps`) in the background."""
    from synth.metrics.coverage_gaps import find_coverage_gaps

    def work(job: Job) -> Any:
        return find_coverage_gaps(real, vectors[: len(real)], vectors[len(real) :])

    return job_board().submit(f"coverage:{data_key}", "Finding coverage gaps", work, delay_s=EXTRAS_DELAY_S)


def show_pending(jobs: list[Job]) -> None:
    """Progress of unfinished jobs, refreshed every 2 s; the whole page reruns when they are all done."""

    @st.fragment(run_every=2.0)
    def poll() -> None:
        pending = [job for job in jobs if not job.future.done()]
        if not pending:
            st.rerun(scope="app")
        for job in pending:
            text = f"{job.label}… {job.elapsed:.0f} s"
            st.progress(job.progress, text=text) if job.progress else st.caption(text)

    poll()


def metrics_table(result: dict[str, Any], group: str = "all") -> pd.DataFrame:
    """One row per semantic metric of `group`: synthetic vs real, and the real-vs-real baseline."""
    from synth.metrics.semantic import DEFINITIONS

    values = result.get(group, {})
    rows = []
    for name, value in values.items():
        if name.endswith("_baseline") or name == "mauve_reliable":
            continue
        if isinstance(value, dict):
            synthetic, baseline = value.get("synthetic"), value.get("baseline")
            real = value.get("real")
            shown = f"{_number(synthetic)} (real {_number(real)})"
        else:
            shown, baseline = _number(value), values.get(f"{name}_baseline")
        rows.append({"metric": name, "synthetic": shown, "real vs real": _number(baseline),
                     "definition": DEFINITIONS.get(name, "")})
    return pd.DataFrame(rows)


def _number(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:.3f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value)


def selected_rows(event: Any, posts: pd.DataFrame) -> pd.DataFrame:
    """The posts selected on the map (points carry their row label as customdata)."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    labels = []
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and int(value) in posts.index:
            labels.append(int(value))
    return posts.loc[sorted(set(labels))]


def coverage_panel(report: Any, *, n_synthetic: int) -> Any:
    """The coverage chart, each gap with example posts, and the button that plans posts for the gaps.

    Returns:
        the `synth.metrics.coverage_gaps.TargetedPlan` when the button was pressed, else None.
    """
    from synth.metrics.coverage_gaps import plan_for_gaps
    from synth.plots.embeddings import coverage_chart
    from ui.ingest import plain

    st.plotly_chart(coverage_chart(report.clusters), key="embeddings_coverage_chart", width="stretch")
    st.caption(f"{report.outside_share:.0%} of synthetic posts are near no real cluster.")
    if not report.gaps:
        st.success("No coverage gap: every real cluster has its share of synthetic posts.", icon=":material/check:")
        return None
    for gap in report.gaps[:10]:
        title = (f"#{gap.cluster} {gap.label or '(no keywords)'}: {gap.real_share:.1%} of real posts, "
                 f"{gap.synthetic_share:.1%} of synthetic")
        with st.expander(plain(title)):
            st.caption(plain("Platforms: " + ", ".join(f"{name} {count}" for name, count in gap.platforms.items())))
            st.dataframe(gap.examples, hide_index=True, key=f"embeddings_gap_examples_{gap.cluster}")
    choices = [gap.cluster for gap in report.gaps]
    labels = {gap.cluster: f"#{gap.cluster} {gap.label}" for gap in report.gaps}
    chosen = st.multiselect("Gaps to fill", choices, default=choices[:5], format_func=labels.__getitem__,
                            key="embeddings_gap_choice")
    if st.button("Generate posts for these gaps", key="embeddings_plan_button", type="primary",
                 disabled=not chosen, icon=":material/auto_awesome:"):
        return plan_for_gaps(report, n_synthetic=n_synthetic, clusters=chosen)
    return None


def go_to_generate() -> None:
    """Open the Generate page (where the stored plan is offered), or say where the plan waits."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.switch_page("pages/generate.py")
    except StreamlitAPIException:
        st.warning("The plan is saved in this session, but the Generate page is not available in this app.",
                   icon=":material/warning:")
