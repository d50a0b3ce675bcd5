"""Topics shared across platforms: taken from the data's topic column or discovered with BERTopic.

Discovery embeds every post with the bundled MiniLM (`synth.embeddings.get_default_embedder`, disk-cached),
then BERTopic runs UMAP + HDBSCAN and c-TF-IDF keywords on all platforms together, so one topic gathers the
same conversation wherever it happens. The result is a plain-data `TopicSet` (JSON, never pickled), cached
on disk keyed by the posts' content and the parameters, so a page never refits on a click.

Importing this module is cheap: BERTopic, UMAP, HDBSCAN and scikit-learn are imported inside functions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth import schema
from synth.cache import cache_dir
from synth.errors import ConfigError, InputError

CACHE_VERSION = 1
AUTO, COLUMN, BERTOPIC = "auto", "column", "bertopic"
METHODS: tuple[str, ...] = (AUTO, COLUMN, BERTOPIC)
# Words every social platform is full of that say nothing about a topic.
SOCIAL_STOP_WORDS = frozenset({"http", "https", "www", "com", "amp", "rt", "co", "via", "just", "like", "im", "dont"})
# Romanised Hindi function words: Hinglish posts (common in Indian social media) otherwise form a "topic"
# whose keywords are only grammar.
HINGLISH_STOP_WORDS = frozenset(
    {
        "hai", "hain", "ho", "hu", "hoon", "tha", "thi", "the", "se", "ki", "ka", "ke", "ko", "kar", "karo",
        "karna", "kya", "ye", "yeh", "wo", "woh", "to", "hi", "bhi", "na", "nahi", "nhi", "mein", "me",
        "main", "mai", "aur", "par", "pe", "ek", "kuch", "raha", "rha", "rahi", "bhai", "ji", "sab", "apna",
        "apne", "toh", "mujhe", "tum", "aap", "hum", "mera", "meri", "mere", "tera", "teri", "kyun", "kyu",
        "kaise", "bahut", "bohot", "sirf", "abhi", "koi", "kuchh", "gaya", "gayi", "diya", "liya", "hota", "hoti",
    }
)
# Links, @mentions, u/names and Reddit's "Title: ... Body:" framing say nothing about a topic.
_NOT_TOPICAL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|in|org|net|io|ly|be|co)\b\S*|(?<!\w)@\w+|\bu/[\w-]+"
    r"|\b(?:title|body)\s*:",
    re.IGNORECASE,
)
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
        """What `synth topics --out` writes: each topic with id, label, keywords, counts, representatives."""
        return {
            "method": self.method,
            "params": self.params,
            "platform_totals": self.platform_totals,
            "topics": [asdict(topic) | {"size": topic.size} for topic in self.topics],
        }


def discover_topics(
    posts: pd.DataFrame,
    *,
    method: str = AUTO,
    min_topic_size: int | None = None,
    n_keywords: int = 10,
    n_representatives: int = 3,
    min_platforms: int = 2,
    min_posts_on_platform: int = 3,
    max_posts: int = 20_000,
    seed: int = 0,
    embedder: Any = None,
    cache_dir: str | Path | None = None,
) -> TopicSet:
    """Find the topics of `posts`, shared across platforms.

    Args:
        posts: posts in the canonical schema (`post_id`, `platform`, `text`; `topic` used when present).
        method: `column` uses the topic column; `bertopic` discovers; `auto` uses the column when it has at
            least two topics, else discovers.
        min_topic_size: the smallest cluster HDBSCAN keeps (default grows with the data: max(10, n/500);
            on the 11k covid set n/150 left only 4 broad topics).
        n_keywords: keywords kept per topic.
        n_representatives: representative posts kept per topic and platform.
        min_platforms: a topic must be on at least this many platforms to be kept (capped at the number of
            platforms in the data); a topic is on a platform with `min_posts_on_platform` posts there.
        min_posts_on_platform: see `min_platforms`.
        max_posts: discovery fits on a seeded sample of at most this many posts.
        seed: seeds sampling and UMAP.
        embedder: an Embedder (default: the bundled, disk-cached MiniLM).
        cache_dir: where fitted topic sets are cached (default `$SYNTH_CACHE_DIR/topics` or
            `.synth-cache/topics`); results are reused when posts and parameters are the same.

    Raises:
        InputError: missing columns or too few posts to find topics in.
        ConfigError: an unknown method.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown topic method {method!r}; choose one of {', '.join(METHODS)}")
    posts = _checked(posts)
    has_column = schema.TOPIC in posts.columns and posts[schema.TOPIC].dropna().astype(str).str.strip().ne("").any()
    if method == COLUMN and not has_column:
        raise InputError("the posts have no topic column (or it is empty); use method 'bertopic' to discover topics")
    use_column = method == COLUMN or (method == AUTO and has_column and posts[schema.TOPIC].nunique() >= 2)
    n_platforms = posts[schema.PLATFORM].nunique()
    params: dict[str, Any] = {
        "method": COLUMN if use_column else BERTOPIC,
        "min_topic_size": min_topic_size or max(10, len(posts) // 500),
        "n_keywords": n_keywords,
        "n_representatives": n_representatives,
        "min_platforms": min(min_platforms, n_platforms),
        "min_posts_on_platform": min_posts_on_platform,
        "max_posts": max_posts,
        "seed": seed,
    }
    if not use_column:
        embedder = embedder if embedder is not None else _default_embedder()
        params["embedder"] = getattr(embedder, "name", type(embedder).__name__)
    cache_path = _cache_path(posts, params, cache_dir)
    if cache_path.is_file():
        return TopicSet.from_dict(json.loads(cache_path.read_text(encoding="utf-8")))
    topic_set = _from_column(posts, params) if use_column else _discover(posts, params, embedder)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(topic_set.to_dict(), ensure_ascii=False), encoding="utf-8")
    temporary.replace(cache_path)  # atomic: a reader never sees half a file
    return topic_set


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


def default_cache_dir() -> Path:
    """`$SYNTH_CACHE_DIR/topics` when that variable is set, else `.synth-cache/topics`."""
    return cache_dir("topics")


# --- building topic sets -------------------------------------------------------------------------------


def _checked(posts: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in (schema.POST_ID, schema.PLATFORM, schema.TEXT) if c not in posts.columns]
    if missing:
        raise InputError(f"posts lack column(s) {', '.join(missing)}; load them with synth.io.load_posts")
    texts = posts[schema.TEXT].astype("string")
    posts = posts[texts.str.strip().fillna("") != ""]
    if len(posts) < 20:
        raise InputError(f"only {len(posts)} non-empty posts: topics need at least 20; load more posts")
    return posts.assign(**{schema.POST_ID: posts[schema.POST_ID].astype(str)})


def _from_column(posts: pd.DataFrame, params: dict[str, Any]) -> TopicSet:
    labels = posts[schema.TOPIC].astype("string").str.strip()
    kept = posts[labels.fillna("") != ""]
    labels = labels[kept.index].astype(str)
    keywords = _class_keywords(kept[schema.TEXT].astype(str).tolist(), labels.tolist(), params["n_keywords"])
    topics = []
    for topic_id, group in kept.groupby(labels, sort=False):
        words = keywords.get(str(topic_id), ())
        topics.append(_topic(str(topic_id), str(topic_id), words, group, _by_keywords(group, words), params))
    return _finish(topics, kept[schema.POST_ID], labels, posts, params, COLUMN)


def _discover(posts: pd.DataFrame, params: dict[str, Any], embedder: Any) -> TopicSet:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    if len(posts) > params["max_posts"]:
        posts = posts.sample(params["max_posts"], random_state=params["seed"])
    texts = posts[schema.TEXT].astype(str).tolist()
    embeddings = np.asarray(embedder.embed(texts), dtype=np.float32)
    model = BERTopic(
        embedding_model=None,
        umap_model=UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=params["seed"], n_jobs=1
        ),
        hdbscan_model=HDBSCAN(min_cluster_size=params["min_topic_size"], metric="euclidean", prediction_data=False),
        vectorizer_model=_vectorizer(),
        top_n_words=params["n_keywords"],
        calculate_probabilities=False,
    )
    # Embeddings see the whole post; keywords only its topical words (BERTopic strips punctuation before
    # its vectorizer, which would turn links into one long nonsense word).
    clusters = np.asarray(model.fit_transform([_topical_text(text) for text in texts], embeddings)[0])
    params["noise_posts"] = int((clusters == -1).sum())
    order = [c for c in pd.Series(clusters[clusters >= 0]).value_counts().index]
    ids = {cluster: f"T{rank:02d}" for rank, cluster in enumerate(order, start=1)}
    labels = pd.Series([ids.get(c, "") for c in clusters], index=posts.index)
    topics = []
    for cluster in order:
        in_topic = clusters == cluster
        group = posts[in_topic]
        words = tuple(word for word, _ in (model.get_topic(cluster) or []) if word)[: params["n_keywords"]]
        centroid = embeddings[in_topic].mean(axis=0)
        closeness = pd.Series(embeddings[in_topic] @ centroid, index=group.index)
        label = " / ".join(words[:3]) or ids[cluster]
        topics.append(_topic(ids[cluster], label, words, group, closeness, params))
    kept = labels != ""
    return _finish(topics, posts.loc[kept, schema.POST_ID], labels[kept], posts, params, BERTOPIC)


def _topic(
    topic_id: str, label: str, keywords: Sequence[str], group: pd.DataFrame, score: pd.Series, params: dict[str, Any]
) -> Topic:
    counts = group[schema.PLATFORM].value_counts()
    representatives = {}
    for platform, rows in group.groupby(schema.PLATFORM):
        best = score[rows.index].sort_values(ascending=False, kind="stable").index
        texts = rows.loc[best, schema.TEXT].astype(str).drop_duplicates().head(params["n_representatives"])
        representatives[str(platform)] = tuple(_clip(text) for text in texts)
    return Topic(topic_id, label, tuple(keywords), {str(p): int(n) for p, n in counts.items()}, representatives)


def _finish(
    topics: list[Topic],
    post_ids: pd.Series,
    labels: pd.Series,
    posts: pd.DataFrame,
    params: dict[str, Any],
    method: str,
) -> TopicSet:
    shared = [
        t for t in topics
        if sum(count >= params["min_posts_on_platform"] for count in t.counts.values()) >= params["min_platforms"]
    ]
    params["dropped_single_platform_topics"] = len(topics) - len(shared)
    kept_ids = {t.topic_id for t in shared}
    assignments = {pid: tid for pid, tid in zip(post_ids, labels, strict=True) if tid in kept_ids}
    totals = schema.count_by_value(posts[schema.PLATFORM])
    shared.sort(key=lambda t: -t.size)
    return TopicSet(tuple(shared), assignments, totals, method, params)


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    return CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | SOCIAL_STOP_WORDS | HINGLISH_STOP_WORDS),
        preprocessor=lambda text: _topical_text(text).lower(),
        token_pattern=r"(?u)\b[^\W\d_][\w']+\b",
        min_df=2,
    )


def _topical_text(text: str) -> str:
    return _NOT_TOPICAL_RE.sub(" ", text)


def _class_keywords(texts: list[str], labels: list[str], n_keywords: int) -> dict[str, tuple[str, ...]]:
    """c-TF-IDF keywords per class, with BERTopic's formula (term frequency per class, L1-normalised, times
    log(1 + average words per class / frequency of the term over all classes)). Written out here so the
    topic-column path does not import BERTopic (and torch) just for six lines of arithmetic."""
    from sklearn.preprocessing import normalize

    documents = pd.DataFrame({"text": texts, "label": labels}).groupby("label", sort=True)["text"].agg(" ".join)
    vectorizer = _vectorizer().set_params(min_df=1)
    try:
        counts = vectorizer.fit_transform(documents.tolist())
    except ValueError:  # no words at all (only stop words, emoji or links)
        return {}
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    average_words = counts.sum() / counts.shape[0]
    idf = np.log(1 + average_words / term_totals)
    weights = normalize(counts, norm="l1", axis=1).multiply(idf).toarray()
    words = vectorizer.get_feature_names_out()
    return {
        str(label): tuple(str(words[i]) for i in np.argsort(-row, kind="stable")[:n_keywords] if row[i] > 0)
        for label, row in zip(documents.index, weights, strict=True)
    }


def _by_keywords(group: pd.DataFrame, keywords: Sequence[str]) -> pd.Series:
    # Without embeddings, a post is representative when it uses the topic's best keywords (weighted by rank).
    lowered = group[schema.TEXT].astype(str).str.lower()
    score = pd.Series(0, index=group.index)
    for rank, word in enumerate(keywords[:10]):
        score += (10 - rank) * lowered.str.contains(rf"\b{re.escape(word)}\b", regex=True).astype(int)
    return score


def _interleave(lists: list[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if row < len(items):
                seen.setdefault(items[row], None)
    return list(seen)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REPRESENTATIVE_CHARS else text[: REPRESENTATIVE_CHARS - 1] + "…"


def _default_embedder() -> Any:
    from synth.embeddings import get_default_embedder

    return get_default_embedder()


def _cache_path(posts: pd.DataFrame, params: dict[str, Any], cache_dir: str | Path | None) -> Path:
    digest = hashlib.sha256()
    # The stop words and the cleaning pattern are part of the key: changing them refits.
    words = sorted(SOCIAL_STOP_WORDS | HINGLISH_STOP_WORDS)
    digest.update(json.dumps([CACHE_VERSION, params, words, _NOT_TOPICAL_RE.pattern], sort_keys=True).encode())
    columns = [schema.POST_ID, schema.PLATFORM, schema.TEXT]
    if params["method"] == COLUMN:
        columns.append(schema.TOPIC)
    for column in columns:
        hashed = pd.util.hash_pandas_object(posts[column].astype("string"), index=False)
        digest.update(hashed.to_numpy().tobytes())
    return Path(cache_dir or default_cache_dir()) / f"{digest.hexdigest()[:32]}.json"
