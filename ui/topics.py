"""Topics page helpers: the cached topic fit, the session's edited topic set, and its tables.

The fit is cached twice: on disk by `synth.topics.discover.discover_topics` (keyed by the posts' content and the
parameters, so a restarted server gets it back at once) and in memory by `st.cache_resource` (a frozen
TopicSet shared read-only). Renames, merges and drops make new TopicSets, kept in the session and saved with
its project (ui.state).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from synth import schema
from synth.topics.discover import discover_topics
from synth.topics.model import TopicSet
from ui import state

MIN_SHARE = "topic_min_share"


def posts_hash(posts: pd.DataFrame) -> str:
    """A content hash of posts (ids, platforms, texts, topics) for cache keys and staleness checks."""
    columns = [c for c in (schema.POST_ID, schema.PLATFORM, schema.TEXT, schema.TOPIC) if c in posts.columns]
    return schema.content_hash(posts[columns].astype("string"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _fit(_posts: pd.DataFrame, key: str, method: str, min_topic_size: int | None, min_platforms: int) -> TopicSet:
    del key  # part of the cache key only: the frame itself is not hashed by Streamlit
    return discover_topics(_posts, method=method, min_topic_size=min_topic_size, min_platforms=min_platforms)


def fit_topics(posts: pd.DataFrame, *, method: str, min_topic_size: int | None, min_platforms: int) -> TopicSet:
    """Fit (or fetch from the caches) and make the result this session's topic set."""
    key = posts_hash(posts)
    topic_set = _fit(posts, key, method, min_topic_size, min_platforms)
    set_topic_set(topic_set, key)
    return topic_set


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
