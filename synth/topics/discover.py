"""Discover the topics shared across platforms: taken from the data's topic column or discovered with BERTopic.

Discovery embeds every post with the bundled MiniLM (`synth.embeddings.embedder.get_default_embedder`, disk-cached),
then BERTopic runs UMAP + HDBSCAN and c-TF-IDF keywords on all platforms together, so one topic gathers the
same conversation wherever it happens. The result is a plain-data `TopicSet` (JSON, never pickled), cached
on disk keyed by the posts' content and the parameters, so a page never refits on a click.

Importing this module is cheap: BERTopic, UMAP, HDBSCAN and scikit-learn are imported inside functions.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth import schema
from synth.errors import ConfigError, InputError
from synth.paths import cache_dir
from synth.topics.model import Topic, TopicSet, clip_representative

# 2: below 4,096 posts UMAP gets its exact neighbours from `exact_cosine_neighbors` (ties may order differently).
CACHE_VERSION = 2
N_NEIGHBORS = 15
UMAP_SMALL_DATA = 4096  # umap-learn computes exact neighbours below this many rows, NN-descent above
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
    use_column = _uses_column(posts, method)
    params = _fit_params(
        posts, use_column, min_topic_size=min_topic_size, n_keywords=n_keywords,
        n_representatives=n_representatives, min_platforms=min_platforms,
        min_posts_on_platform=min_posts_on_platform, max_posts=max_posts, seed=seed,
    )
    if not use_column:
        embedder = embedder if embedder is not None else _default_embedder()
        params["embedder"] = getattr(embedder, "name", type(embedder).__name__)
    cache_path = _cache_path(posts, params, cache_dir)
    cached = _read_cached(cache_path)
    if cached is not None:
        return cached
    topic_set = _from_column(posts, params) if use_column else _discover(posts, params, embedder)
    _write_cached(cache_path, topic_set)
    return topic_set


def default_cache_dir() -> Path:
    """`$SYNTH_CACHE_DIR/topics` when that variable is set, else `.synth-cache/topics`."""
    return cache_dir("topics")


# --- choosing the method and its parameters -----------------------------------------------------------


def _uses_column(posts: pd.DataFrame, method: str) -> bool:
    """Whether the topics come from the topic column (`column`, or `auto` with 2+ topics there); raises
    InputError for `column` without one."""
    has_column = schema.TOPIC in posts.columns and posts[schema.TOPIC].dropna().astype(str).str.strip().ne("").any()
    if method == COLUMN and not has_column:
        raise InputError("the posts have no topic column (or it is empty); use method 'bertopic' to discover topics")
    return method == COLUMN or (method == AUTO and has_column and posts[schema.TOPIC].nunique() >= 2)


def _fit_params(
    posts: pd.DataFrame,
    use_column: bool,
    *,
    min_topic_size: int | None,
    n_keywords: int,
    n_representatives: int,
    min_platforms: int,
    min_posts_on_platform: int,
    max_posts: int,
    seed: int,
) -> dict[str, Any]:
    """The parameters of the fit with their defaults resolved (they are recorded and key the cache)."""
    return {
        "method": COLUMN if use_column else BERTOPIC,
        "min_topic_size": min_topic_size or max(10, len(posts) // 500),
        "n_keywords": n_keywords,
        "n_representatives": n_representatives,
        "min_platforms": min(min_platforms, posts[schema.PLATFORM].nunique()),
        "min_posts_on_platform": min_posts_on_platform,
        "max_posts": max_posts,
        "seed": seed,
    }


# --- the disk cache ------------------------------------------------------------------------------------


def _cache_path(posts: pd.DataFrame, params: dict[str, Any], cache_dir: str | Path | None) -> Path:
    # The stop words and the cleaning pattern are part of the key: changing them refits.
    words = sorted(SOCIAL_STOP_WORDS | HINGLISH_STOP_WORDS)
    salt = json.dumps([CACHE_VERSION, params, words, _NOT_TOPICAL_RE.pattern], sort_keys=True).encode()
    columns = [schema.POST_ID, schema.PLATFORM, schema.TEXT]
    if params["method"] == COLUMN:
        columns.append(schema.TOPIC)
    digest = schema.content_hash(posts[columns].astype("string"), salt=salt)
    return Path(cache_dir or default_cache_dir()) / f"{digest[:32]}.json"


def _read_cached(path: Path) -> TopicSet | None:
    return TopicSet.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def _write_cached(path: Path, topic_set: TopicSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(topic_set.to_dict(), ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a file


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

    from synth.embeddings.projection import enable_umap_disk_cache

    if len(posts) > params["max_posts"]:
        posts = posts.sample(params["max_posts"], random_state=params["seed"])
    texts = posts[schema.TEXT].astype(str).tolist()
    embeddings = np.asarray(embedder.embed(texts), dtype=np.float32)
    enable_umap_disk_cache()
    n_neighbors = min(N_NEIGHBORS, len(posts) - 1)
    # Below UMAP's small-data threshold it wants the exact neighbours, which it would find with a Python-level
    # call per pair of posts; one matrix product finds the same ones. Above, UMAP's NN-descent is kept: its
    # neighbours, and so the topics, stay what they were (pynndescent caches its compiled code itself).
    neighbours = _umap_neighbours(embeddings, n_neighbors)
    model = BERTopic(
        embedding_model=None,
        umap_model=UMAP(
            n_neighbors=n_neighbors, n_components=5, min_dist=0.0, metric="cosine", random_state=params["seed"],
            n_jobs=1, precomputed_knn=neighbours,
        ),
        hdbscan_model=HDBSCAN(min_cluster_size=params["min_topic_size"], metric="euclidean", prediction_data=False),
        vectorizer_model=_vectorizer(),
        top_n_words=params["n_keywords"],
        calculate_probabilities=False,
    )
    # Embeddings see the whole post; keywords only its topical words (BERTopic strips punctuation before
    # its vectorizer, which would turn links into one long nonsense word).
    with warnings.catch_warnings():
        # Expected with precomputed neighbours: no search index is kept (BERTopic never transforms new posts).
        warnings.filterwarnings("ignore", message=".*(precomputed|search index|n_jobs).*", category=UserWarning)
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


def _umap_neighbours(embeddings: np.ndarray, n_neighbors: int) -> tuple[Any, Any, None]:
    """UMAP's `precomputed_knn`: exact neighbours below its small-data threshold, else (None, None, None)
    (UMAP's own default: it searches with NN-descent)."""
    if len(embeddings) < UMAP_SMALL_DATA:
        return (*exact_cosine_neighbors(embeddings, n_neighbors), None)
    return (None, None, None)


def exact_cosine_neighbors(vectors: np.ndarray, n_neighbors: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `n_neighbors` nearest rows by cosine distance (itself first), as UMAP's `precomputed_knn` wants.

    One matrix product per block of rows (the vectors are unit length, so cosine similarity is a dot
    product). Below 4,096 rows UMAP would instead call a Python-level distance function on every pair (12 s
    of a 33 s fit on 2,500 posts on two busy cores).

    Returns:
        (indices int64, distances float32), each (n_rows, n_neighbors), nearest first.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    indices = np.empty((len(vectors), n_neighbors), dtype=np.int64)
    distances = np.empty((len(vectors), n_neighbors), dtype=np.float32)
    for start in range(0, len(vectors), block):
        rows = np.arange(start, min(start + block, len(vectors)))
        similarity = vectors[rows] @ vectors.T
        similarity[np.arange(len(rows)), rows] = np.inf  # itself first, even beside an identical post
        nearest = np.argpartition(-similarity, n_neighbors - 1, axis=1)[:, :n_neighbors]
        chosen = np.take_along_axis(similarity, nearest, axis=1)
        order = np.argsort(-chosen, axis=1, kind="stable")
        indices[rows] = np.take_along_axis(nearest, order, axis=1)
        distances[rows] = np.clip(1.0 - np.take_along_axis(chosen, order, axis=1), 0.0, 2.0)
    return indices, distances


def _topic(
    topic_id: str, label: str, keywords: Sequence[str], group: pd.DataFrame, score: pd.Series, params: dict[str, Any]
) -> Topic:
    counts = group[schema.PLATFORM].value_counts()
    representatives = {}
    for platform, rows in group.groupby(schema.PLATFORM):
        best = score[rows.index].sort_values(ascending=False, kind="stable").index
        texts = rows.loc[best, schema.TEXT].astype(str).drop_duplicates().head(params["n_representatives"])
        representatives[str(platform)] = tuple(clip_representative(text) for text in texts)
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


def _default_embedder() -> Any:
    from synth.embeddings.remote import embedder_from_spec

    return embedder_from_spec()  # SYNTH_EMBEDDER, else the bundled MiniLM
