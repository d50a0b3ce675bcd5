"""Which topics a run offers, for the Generate page and `synth generate` alike.

Topics come from a coverage-gap plan when one is given, then from a topic set (found and edited on the Topics
page, or read from `topics.json`), else from the real posts' topic column, one topic per value. The real posts
come back labelled with the offered topics' ids, so each prompt takes its examples from its own topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from synth import schema
from synth.errors import ConfigError
from synth.topics.model import TopicSet, TopicSpec

GAPS, TOPIC_SET, COLUMN = "gaps", "topic set", "column"


class TopicPlan(Protocol):
    """Topics planned elsewhere with their own real posts (e.g. `synth.metrics.coverage_gaps.TargetedPlan`)."""

    @property
    def topics(self) -> tuple[TopicSpec, ...]: ...

    def tag_real_posts(self, real_posts: pd.DataFrame) -> pd.DataFrame: ...


@dataclass(frozen=True)
class OfferedTopics:
    """The topics a run may use.

    Attributes:
        topics: the topics, in the order to offer them.
        posts: the real posts, their `topic` column holding the offered topics' ids.
        origin: where the topics came from: `gaps`, `topic set`, `column`, or "" when there are none.
    """

    topics: list[TopicSpec]
    posts: pd.DataFrame
    origin: str


def offered_topics(
    real: pd.DataFrame, *, topic_set: TopicSet | None = None, gaps: TopicPlan | None = None
) -> OfferedTopics:
    """The topics a run offers: the gaps' when given, then the topic set's, else the topic column's."""
    if gaps is not None:
        return OfferedTopics(list(gaps.topics), gaps.tag_real_posts(real), GAPS)
    if topic_set is not None:
        return OfferedTopics([topic.spec() for topic in topic_set.topics], topic_set.label_posts(real), TOPIC_SET)
    topics = column_topics(real)
    return OfferedTopics(topics, real, COLUMN if topics else "")


def column_topics(posts: pd.DataFrame) -> list[TopicSpec]:
    """One topic per non-blank value of the topic column (id and label: the value), most posts first, ties
    by value."""
    if schema.TOPIC not in posts.columns:
        return []
    values = posts[schema.TOPIC].dropna().astype(str)
    counts = values[values.str.strip() != ""].value_counts()
    return [TopicSpec(value, value) for value in sorted(counts.index, key=lambda value: (-counts[value], value))]


def topics_above_share(
    posts: pd.DataFrame, topics: Sequence[TopicSpec], platforms: Sequence[str], min_share: float
) -> list[TopicSpec]:
    """The topics holding at least `min_share` of some chosen platform's posts (all of them when `min_share`
    is 0, no platform is chosen, or the posts carry no topic)."""
    if min_share <= 0 or not platforms or schema.TOPIC not in posts.columns:
        return list(topics)
    chosen = posts[posts[schema.PLATFORM].isin(platforms)]
    shares = pd.crosstab(chosen[schema.TOPIC].astype(str), chosen[schema.PLATFORM], normalize="columns")
    return [t for t in topics if t.topic_id in shares.index and bool((shares.loc[t.topic_id] >= min_share).any())]


def topics_named(available: Sequence[TopicSpec], wanted: str) -> list[TopicSpec]:
    """The topics named in `wanted`: ids or labels (case-insensitive), comma-separated, or `all`.

    Raises:
        ConfigError: a name matches no topic; the message lists the known ones.
    """
    if wanted.strip().lower() == "all":
        return list(available)
    chosen: list[TopicSpec] = []
    for name in (part.strip() for part in wanted.split(",") if part.strip()):
        match = [t for t in available if t.topic_id == name] or [
            t for t in available if t.label.lower() == name.lower()
        ]
        if not match:
            known = ", ".join(f"{t.topic_id} ({t.label})" if t.label != t.topic_id else t.topic_id for t in available)
            raise ConfigError(f"unknown topic {name!r}; choose from: {known}, or 'all'")
        if match[0] not in chosen:
            chosen.append(match[0])
    return chosen
