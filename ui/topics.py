"""Topics page helpers: the cached topic fit, the session's edited topic set, and its tables.

The fit runs on the job board (`fit_job`: stages, time left while embedding, a cancel), and is cached twice: on
disk by `synth.topics.discover.discover_topics` (keyed by the posts' content and the parameters, so a restarted
server gets it back at once) and in memory by the board (a frozen TopicSet shared read-only). Renames, merges and
drops make new TopicSets, kept in the session and saved with its project (ui.state).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from synth import schema
from synth.topics.discover import discover_topics
from synth.topics.model import TopicSet
from ui import state
from ui.jobs import Cancelled, Job, job_board

MIN_SHARE = "topic_min_share"


def posts_hash(posts: pd.DataFrame) -> str:
    """A content hash of posts (ids, platforms, texts, topics) for cache keys and staleness checks."""
    columns = [c for c in (schema.POST_ID, schema.PLATFORM, schema.TEXT, schema.TOPIC) if c in posts.columns]
    return schema.content_hash(posts[columns].astype("string"))


EMBED_CHUNK = 256


class _WatchedEmbedder:
    """The default (disk-cached) embedder, fed in chunks: each chunk reports the stage and the time left to
    the job, and a cancelled job stops before the next chunk. Same name: same disk caches as without it."""

    def __init__(self, job: Job) -> None:
        from synth.embeddings.embedder import get_default_embedder

        self._inner, self._job = get_default_embedder(), job
        self.name, self.dim = self._inner.name, self._inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        job, parts = self._job, []
        for start in range(0, len(texts), EMBED_CHUNK):
            if job.cancel.is_set():
                raise Cancelled("Topic discovery cancelled while embedding posts: nothing was changed.")
            parts.append(self._inner.embed(list(texts[start : start + EMBED_CHUNK])))
            done = min(start + EMBED_CHUNK, len(texts))
            job.progress, job.stage = 0.8 * done / len(texts), f"embedding posts ({done:,} of {len(texts):,})"
            job.remaining_s = job.elapsed / done * (len(texts) - done)
        job.stage, job.remaining_s = "clustering (UMAP, HDBSCAN) and keywords: this part cannot be cancelled", None
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)


def fit_job(posts: pd.DataFrame, *, method: str, min_topic_size: int | None, min_platforms: int) -> Job:
    """Topic discovery on the job board (keyed by the posts and the settings: a finished fit is reused, and
    discover_topics also caches it on disk)."""
    key = f"topics:{posts_hash(posts)}:{method}:{min_topic_size}:{min_platforms}"

    def work(job: Job) -> TopicSet:
        job.stage = "reading the topic column" if method == "column" else "starting"
        return discover_topics(posts, method=method, min_topic_size=min_topic_size, min_platforms=min_platforms,
                               embedder=_WatchedEmbedder(job) if method != "column" else None)

    return job_board().submit(key, f"Finding topics in {len(posts):,} posts", work)


def get_topic_set(posts: pd.DataFrame | None) -> TopicSet | None:
    """This session's topic set, or None when there is none or it was made from other posts."""
    topic_set, source = state.get_topic_set_and_source()
    if topic_set is None or posts is None or source != posts_hash(posts):
        return None
    return topic_set


def set_topic_set(topic_set: TopicSet, source: str | None = None) -> None:
    """Make `topic_set` the session's (saved with the project); `source` None keeps the posts it was made from."""
    state.set_topic_set(topic_set, source if source is not None else state.get_topic_set_and_source()[1])


def get_min_share() -> float:
    """The minimum share of a platform's posts a topic needs to be offered for that platform."""
    return float(st.session_state.get(MIN_SHARE, 0.0))


def topic_table(topic_set: TopicSet) -> pd.DataFrame:
    """One row per topic: id, label, keywords and posts per platform (with the share in brackets)."""
    rows: list[dict[str, Any]] = []
    for topic in topic_set.topics:
        row: dict[str, Any] = {"id": topic.topic_id, "label": topic.label, "keywords": ", ".join(topic.keywords)}
        for platform in topic_set.platforms():
            row[platform] = f"{topic.counts.get(platform, 0)} ({topic_set.share(topic, platform):.0%})"
        rows.append(row)
    return pd.DataFrame(rows)


def topic_options(topic_set: TopicSet) -> dict[str, str]:
    """topic_id -> 'id · label' for select boxes."""
    return {topic.topic_id: f"{topic.topic_id} · {topic.label}" for topic in topic_set.topics}
