"""Topics as plain data: `TopicSpec` (what a prompt needs), `Topic`, `TopicSet` (JSON, never pickled) and the
edits a user makes to them (rename, merge, drop). Discovery lives in `synth.topics.discover`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from synth import schema
from synth.errors import ConfigError

REPRESENTATIVE_CHARS = 280


@dataclass(frozen=True)
class TopicSpec:
    """What a prompt needs to know about one topic.

    Attributes:
        topic_id: the id the real posts carry in their `topic` column (see `synth.schema.TOPIC`).
        label: a short human-readable name.
        keywords: the words that characterise the topic, most characteristic first.
    """

    topic_id: str
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """One topic with its size and representative posts on each platform.

    Attributes:
        topic_id: stable id (`T01`... for discovered topics, the column value for given ones).
        label: short name (editable).
        keywords: c-TF-IDF keywords, most characteristic first.
        counts: posts per platform.
        representatives: a few representative post texts per platform (clipped).
    """

    topic_id: str
    label: str
    keywords: tuple[str, ...]
    counts: dict[str, int]
    representatives: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(self.counts.values())

    def spec(self) -> TopicSpec:
        """The TopicSpec a prompt needs."""
        return TopicSpec(self.topic_id, self.label, self.keywords)


@dataclass(frozen=True)
class TopicSet:
    """Topics found in one dataset and which post is on which topic.

    Attributes:
        topics: the topics, largest first.
        assignments: post_id -> topic_id for every post on a kept topic (noise and dropped topics absent).
        platform_totals: all posts per platform, assigned or not (the denominator of shares).
        method: `column` or `bertopic`.
        params: the parameters of the fit and what was dropped, for the record.
    """

    topics: tuple[Topic, ...]
    assignments: dict[str, str]
    platform_totals: dict[str, int]
    method: str
    params: dict[str, Any] = field(default_factory=dict)

    def get(self, topic_id: str) -> Topic:
        """The topic with this id; ConfigError naming the known ids otherwise."""
        for topic in self.topics:
            if topic.topic_id == topic_id:
                return topic
        raise ConfigError(f"unknown topic {topic_id!r}; known: {', '.join(t.topic_id for t in self.topics)}")

    def resolve(self, names: Sequence[str]) -> list[Topic]:
        """Topics named by id or label (case-insensitive), or every topic for `all`."""
        if any(name.strip().lower() == "all" for name in names):
            return list(self.topics)
        by_name = {t.topic_id.lower(): t for t in self.topics} | {t.label.lower(): t for t in self.topics}
        unknown = [name for name in names if name.strip().lower() not in by_name]
        if unknown:
            raise ConfigError(
                f"unknown topic(s) {', '.join(map(repr, unknown))}; use ids or labels from the topics file "
                f"({', '.join(t.topic_id for t in self.topics[:10])}...) or 'all'"
            )
        chosen = {by_name[name.strip().lower()].topic_id: by_name[name.strip().lower()] for name in names}
        return list(chosen.values())

    def platforms(self) -> list[str]:
        return sorted(self.platform_totals)

    def count_matrix(self) -> pd.DataFrame:
        """Posts per topic (rows, by label) and platform (columns)."""
        return pd.DataFrame(
            [[topic.counts.get(p, 0) for p in self.platforms()] for topic in self.topics],
            index=pd.Index([topic.label for topic in self.topics], name="topic"),
            columns=pd.Index(self.platforms(), name="platform"),
            dtype="int64",
        )

    def share(self, topic: Topic, platform: str) -> float:
        """The topic's share of all the platform's posts (0 when the platform has none)."""
        total = self.platform_totals.get(platform, 0)
        return topic.counts.get(platform, 0) / total if total else 0.0

    def offered(self, platform: str, min_share: float = 0.0) -> list[Topic]:
        """Topics with at least `min_share` of the platform's posts (and at least one post there)."""
        return [t for t in self.topics if t.counts.get(platform, 0) > 0 and self.share(t, platform) >= min_share]

    def label_posts(self, posts: pd.DataFrame) -> pd.DataFrame:
        """A copy of `posts` whose `topic` column holds each post's topic id (missing when unassigned)."""
        labelled = posts.copy()
        labelled[schema.TOPIC] = posts[schema.POST_ID].astype("string").map(self.assignments).astype("string")
        return labelled

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicSet:
        topics = tuple(
            Topic(
                topic_id=t["topic_id"], label=t["label"], keywords=tuple(t["keywords"]), counts=dict(t["counts"]),
                representatives={p: tuple(texts) for p, texts in t["representatives"].items()},
            )
            for t in data["topics"]
        )
        return cls(topics, dict(data["assignments"]), dict(data["platform_totals"]), data["method"], data["params"])

    def summary(self) -> dict[str, Any]:
        """Each topic with id, label, keywords, counts, size and representatives, and how they were found."""
        return {
            "method": self.method,
            "params": self.params,
            "platform_totals": self.platform_totals,
            "topics": [asdict(topic) | {"size": topic.size} for topic in self.topics],
        }

    def to_json(self) -> str:
        """The topics.json layout (`synth topics --out`, the Topics page's download): the summary plus
        `assignments` (post_id -> topic id), so `synth generate --topics-file` takes examples per topic."""
        return json.dumps(self.summary() | {"assignments": self.assignments}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> TopicSet:
        """Read what `to_json` wrote.

        Raises:
            json.JSONDecodeError: not JSON.
            TypeError, KeyError, AttributeError, ValueError: JSON of another layout.
        """
        return cls.from_dict(json.loads(text))


def rename_topic(topic_set: TopicSet, topic_id: str, label: str) -> TopicSet:
    """The same topics with one relabelled; raises ConfigError for an empty or taken label."""
    label = label.strip()
    topic = topic_set.get(topic_id)
    if not label:
        raise ConfigError("a topic label cannot be empty; type a short name")
    if any(t.label.lower() == label.lower() and t.topic_id != topic_id for t in topic_set.topics):
        raise ConfigError(f"another topic is already called {label!r}; choose another name")
    topics = tuple(replace(t, label=label) if t is topic else t for t in topic_set.topics)
    return replace(topic_set, topics=topics)


def merge_topics(topic_set: TopicSet, topic_ids: Sequence[str], label: str | None = None) -> TopicSet:
    """Merge topics into the largest of them (the first named on a tie): counts add up, keywords and
    representatives are interleaved (largest topic first), and their posts move to the merged topic."""
    if len(set(topic_ids)) < 2:
        raise ConfigError("choose at least two topics to merge")
    # Largest first; on a tie the topic named first wins (sorted is stable), so merges are deterministic.
    merged = sorted((topic_set.get(topic_id) for topic_id in dict.fromkeys(topic_ids)), key=lambda t: -t.size)
    target = merged[0]
    n_keywords = max(len(t.keywords) for t in merged)
    counts: dict[str, int] = {}
    representatives: dict[str, list[str]] = {}
    for topic in merged:
        for platform, count in topic.counts.items():
            counts[platform] = counts.get(platform, 0) + count
    for platform in counts:
        lists = [list(t.representatives.get(platform, ())) for t in merged]
        n_reps = max(len(texts) for texts in lists)
        representatives[platform] = _interleave(lists)[:n_reps]
    combined = Topic(
        topic_id=target.topic_id,
        label=(label or target.label).strip() or target.label,
        keywords=tuple(_interleave([list(t.keywords) for t in merged])[:n_keywords]),
        counts=counts,
        representatives={p: tuple(texts) for p, texts in representatives.items()},
    )
    gone = {t.topic_id for t in merged[1:]}
    topics = tuple(combined if t.topic_id == target.topic_id else t for t in topic_set.topics if t.topic_id not in gone)
    assignments = {pid: (target.topic_id if tid in gone else tid) for pid, tid in topic_set.assignments.items()}
    return replace(topic_set, topics=tuple(sorted(topics, key=lambda t: -t.size)), assignments=assignments)


def drop_topics(topic_set: TopicSet, topic_ids: Sequence[str]) -> TopicSet:
    """The topic set without these topics (their posts become unassigned)."""
    gone = {topic_set.get(topic_id).topic_id for topic_id in topic_ids}
    return replace(
        topic_set,
        topics=tuple(t for t in topic_set.topics if t.topic_id not in gone),
        assignments={pid: tid for pid, tid in topic_set.assignments.items() if tid not in gone},
    )



def _interleave(lists: list[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if row < len(items):
                seen.setdefault(items[row], None)
    return list(seen)


def clip_representative(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REPRESENTATIVE_CHARS else text[: REPRESENTATIVE_CHARS - 1] + "…"

