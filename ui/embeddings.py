"""Embeddings page helpers: background jobs for embeddings, maps, metrics and coverage, and their widgets.

Slow work (embedding posts, UMAP, t-SNE, semantic metrics, coverage gaps) runs on the job board
(`ui.jobs.job_board`), keyed by a content hash of the data: a rerun or a second visit finds the job running
or done instead of starting it again, and the page shows what is ready (PCA at once) while the rest
computes. Embeddings and maps are also cached on disk (`synth.embeddings.embedder`, `synth.embeddings.projection`), so a
restarted server gets them back in a second. Results stay in this process's memory, never pickled.

UMAP's numba code compiles on its first call in a process (15-45 s) unless an earlier process left it in the
disk cache (`synth.embeddings.projection.enable_umap_disk_cache`); `start_umap_warmup` compiles or loads it in a
background thread when the server serves its first page (`SYNTH_WARM_UMAP=0` turns it off), for the maps and
for topic discovery alike.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from synth import schema
from synth.embeddings.remote import EMBEDDER_ENV
from ui.format import escape_markdown, number
from ui.jobs import Job, job_board, lower_priority, show_pending

__all__ = ["show_pending"]  # the page's progress widget, from ui.jobs

EMBED_CHUNK = 256
EXTRAS_DELAY_S = 3.0  # metrics and coverage wait this long so the page's first map is drawn first
METHOD_LABELS = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
FILE_TOPIC = "file_topic"
COLOR_CHOICES = (schema.SOURCE, schema.PLATFORM, schema.MODEL, schema.TOPIC, FILE_TOPIC)
COLOR_LABELS = {schema.SOURCE: "Real or synthetic", schema.PLATFORM: "Platform", schema.MODEL: "Model",
                schema.TOPIC: "Topic", FILE_TOPIC: "Topic column of the real file"}
SHOWN_COLUMNS = [schema.SOURCE, schema.PLATFORM, schema.MODEL, schema.TOPIC, schema.TEXT]


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


def texts_key(posts: pd.DataFrame) -> str:
    """The key of the posts' texts (in order) and of the embedder for the job board and the disk caches: a
    content hash, so vectors (and their maps and metrics) of two embedders never mix."""
    texts = schema.content_hash(posts[schema.TEXT].astype("string").fillna(""))[:24]
    spec = os.environ.get(EMBEDDER_ENV, "").strip()
    return texts if not spec else f"{texts}-{schema.content_hash(pd.Series([spec]))[:8]}"


def embedder_setting() -> None:
    """The sidebar's embedder box: a setting of `synth.embeddings.remote` (e.g. remote:MODEL@URL for an
    embedding server). It sets SYNTH_EMBEDDER for this app process, so every page and the report embed alike."""
    from synth.embeddings.remote import parse_embedder_spec
    from synth.errors import ConfigError

    current = os.environ.get(EMBEDDER_ENV, "")
    chosen = st.sidebar.text_input(
        "Embedder", value=current, placeholder="minilm (bundled)", key="embedder_spec",
        help="minilm (the bundled model), hashing, remote:MODEL@BASE_URL for an OpenAI-compatible /v1/embeddings "
        "server (TEI, vLLM, Ollama, llama.cpp), or openai:MODEL. Applies to the whole app.",
    ).strip()
    if chosen == current:
        return
    try:
        if chosen:
            parse_embedder_spec(chosen)
    except ConfigError as error:
        st.sidebar.error(str(error), icon=":material/error:")
        return
    os.environ[EMBEDDER_ENV] = chosen


def combine_posts(
    real: pd.DataFrame | None, synthetic: pd.DataFrame | None, topic_set: Any = None
) -> pd.DataFrame:
    """Real then synthetic posts in one frame with the columns the page shows, and a fresh RangeIndex.

    Topics are one set for both sides: with a topic set from the Topics page (`topic_set`), `topic` is its
    label for real posts (by post id) and for synthetic posts (by the `topic_id` they were made for), and the
    real file's own topic column moves to `file_topic`, offered apart, never mixed in.
    """
    frames = []
    for posts, source in ((real, schema.REAL), (synthetic, schema.SYNTHETIC)):
        if posts is None or posts.empty:
            continue
        frame = pd.DataFrame({column: posts.get(column, pd.NA) for column in SHOWN_COLUMNS})
        frame[schema.SOURCE] = source
        if topic_set is not None:
            labels = {topic.topic_id: topic.label for topic in topic_set.topics}
            if source == schema.REAL:
                frame[FILE_TOPIC] = frame[schema.TOPIC]
                ids = posts[schema.POST_ID].astype(str).map(topic_set.assignments)
            else:
                ids = posts["topic_id"] if "topic_id" in posts.columns else posts.get(schema.TOPIC, pd.NA)
            frame[schema.TOPIC] = pd.Series(ids, index=posts.index).map(labels).to_numpy()
        frames.append(frame.astype("string"))
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SHOWN_COLUMNS)
    combined[schema.TEXT] = combined[schema.TEXT].fillna("")
    return combined


def _embed(texts: list[str]) -> Callable[[Job], np.ndarray]:
    def work(job: Job) -> np.ndarray:
        from synth.embeddings.remote import embedder_from_spec

        embedder = embedder_from_spec()  # SYNTH_EMBEDDER, else the bundled MiniLM
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
    """The PCA map of the vectors with content hash `data_key` (instant; disk-cached too)."""
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


def metrics_table(result: dict[str, Any], group: str = "all") -> pd.DataFrame:
    """One row per semantic metric of `group`: synthetic vs real, and the real-vs-real baseline."""
    from synth.metrics.semantic import DEFINITIONS
    from synth.plots.labels import metric_label

    values = result.get(group, {})
    rows = []
    for name, value in values.items():
        if name.endswith(("_baseline", "_std")) or name == "mauve_reliable":
            continue  # baselines and spreads are shown beside their metric
        if isinstance(value, dict):
            synthetic, baseline = value.get("synthetic"), value.get("baseline")
            spread = value.get("baseline_std")
            shown = f"{number(synthetic)} (real {number(value.get('real'))})"
        else:
            shown, baseline, spread = number(value), values.get(f"{name}_baseline"), values.get(f"{name}_baseline_std")
        real_vs_real = number(baseline) if spread is None else f"{number(baseline)} ± {number(spread)}"
        rows.append({"metric": metric_label(name), "synthetic": shown, "real vs real": real_vs_real,
                     "definition": DEFINITIONS.get(name, ""), "identifier": name})
    return pd.DataFrame(rows)


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

    st.plotly_chart(coverage_chart(report.clusters), key="embeddings_coverage_chart", width="stretch")
    st.caption(f"{report.outside_share:.0%} of synthetic posts are near no real cluster.")
    if not report.gaps:
        st.success("No coverage gap: every real cluster has its share of synthetic posts.", icon=":material/check:")
        return None
    for gap in report.gaps[:10]:
        title = (f"#{gap.cluster} {gap.label or '(no keywords)'}: {gap.real_share:.1%} of real posts, "
                 f"{gap.synthetic_share:.1%} of synthetic")
        with st.expander(escape_markdown(title)):
            platforms = ", ".join(f"{name} {count}" for name, count in gap.platforms.items())
            st.caption(escape_markdown(f"Platforms: {platforms}"))
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
