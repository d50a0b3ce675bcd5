"""Coverage gaps: the parts of the real data the synthetic posts do not reach, and a plan to fill them.

The real posts are grouped into clusters of similar meaning (k-means on their sentence embeddings). Each
synthetic post is counted in the real cluster it is nearest to, if it lies within that cluster's reach
(no farther from the centre than the cluster's farthest real post); farther away, it belongs to no
cluster. A cluster is a *coverage gap* when its share of the synthetic posts is less than
`max_ratio` times its share of the real posts: e.g. it holds 6% of the real posts but under 1.2% of the
synthetic ones. Tiny clusters (under `min_real_share` of the real posts) are never called gaps.

`plan_for_gaps` turns gaps into a targeted generation plan: one topic per gap (its keywords, its real
posts as few-shot examples) on the platforms where its real posts are, with enough posts per cell to bring
the gap up to its fair share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth import schema
from synth.errors import InputError
from synth.text import URL_RE
from synth.topics.model import TopicSpec

GAP_TOPIC_PREFIX = "gap-"


@dataclass(frozen=True)
class CoverageGap:
    """One real cluster the synthetic posts under-cover.

    Attributes:
        cluster: the cluster number (as in `CoverageReport.clusters`).
        label: a short name made of its top keywords.
        keywords: words most characteristic of the cluster, most characteristic first.
        n_real: real posts in the cluster.
        n_synthetic: synthetic posts within its reach.
        real_share: n_real / all real posts.
        synthetic_share: n_synthetic / all synthetic posts.
        platforms: real posts in the cluster per platform, most first.
        examples: real posts nearest the cluster centre (`post_id`, `platform`, `text`).
        member_ids: post_id of every real post in the cluster.
    """

    cluster: int
    label: str
    keywords: tuple[str, ...]
    n_real: int
    n_synthetic: int
    real_share: float
    synthetic_share: float
    platforms: dict[str, int]
    examples: pd.DataFrame
    member_ids: tuple[str, ...]

    @property
    def topic_id(self) -> str:
        return f"{GAP_TOPIC_PREFIX}{self.cluster}"


@dataclass(frozen=True)
class CoverageReport:
    """Result of `find_coverage_gaps`.

    Attributes:
        clusters: one row per real cluster: `cluster`, `label`, `n_real`, `n_synthetic`, `real_share`,
            `synthetic_share`, `coverage` (synthetic_share / real_share), `is_gap`; largest first.
        gaps: the gap clusters, worst coverage first.
        real_clusters: the cluster of each real post (aligned with the real posts given).
        synthetic_clusters: the cluster of each synthetic post, -1 when out of every cluster's reach.
        max_ratio: the coverage ratio below which a cluster is a gap.
    """

    clusters: pd.DataFrame
    gaps: list[CoverageGap]
    real_clusters: np.ndarray
    synthetic_clusters: np.ndarray
    max_ratio: float

    @property
    def outside_share(self) -> float:
        """Share of synthetic posts near no real cluster (off-topic or unlike any real post)."""
        if len(self.synthetic_clusters) == 0:
            return 0.0
        return float((self.synthetic_clusters == -1).mean())


def default_n_clusters(n_real: int) -> int:
    """About sqrt(n/2) clusters, between 2 and 30: 30 for 2k+ posts, 7 for 100."""
    return int(min(30, max(2, round(math.sqrt(n_real / 2)))))


def find_coverage_gaps(
    real_posts: pd.DataFrame,
    real_vectors: np.ndarray,
    synthetic_vectors: np.ndarray,
    *,
    n_clusters: int | None = None,
    max_ratio: float = 0.2,
    min_real_share: float = 0.01,
    n_examples: int = 5,
    random_state: int = 0,
) -> CoverageReport:
    """Find the real clusters with (almost) no synthetic posts near them.

    Args:
        real_posts: the real posts (canonical schema), one row per row of `real_vectors`.
        real_vectors: sentence embeddings of the real posts.
        synthetic_vectors: sentence embeddings of the synthetic posts (same embedder).
        n_clusters: number of real clusters (default: `default_n_clusters`).
        max_ratio: a cluster whose synthetic share is below `max_ratio` x its real share is a gap.
        min_real_share: clusters smaller than this share of the real posts are never gaps.
        n_examples: example posts kept per gap.
        random_state: k-means seed.

    Raises:
        InputError: sizes do not match, too few real posts, or no synthetic posts.
    """
    real, synthetic = _checked_vectors(real_posts, real_vectors, synthetic_vectors)
    k = n_clusters or default_n_clusters(len(real))
    if len(real) < max(2 * k, 4):
        raise InputError(f"coverage: {len(real)} real posts are too few for {k} clusters; load more real posts.")
    real_labels, real_distance, synthetic_labels = _cluster(real, synthetic, k, random_state)

    n_real = np.bincount(real_labels, minlength=k)
    n_synthetic = np.bincount(synthetic_labels[synthetic_labels >= 0], minlength=k)
    real_share = n_real / len(real)
    synthetic_share = n_synthetic / len(synthetic)
    coverage = synthetic_share / real_share
    is_gap = (coverage < max_ratio) & (real_share >= min_real_share)
    texts = real_posts[schema.TEXT].astype("string").fillna("").to_numpy()
    keywords = cluster_keywords(texts, real_labels, k)

    clusters = pd.DataFrame(
        {
            "cluster": np.arange(k), "label": [", ".join(words[:4]) for words in keywords],
            "n_real": n_real, "n_synthetic": n_synthetic, "real_share": real_share,
            "synthetic_share": synthetic_share, "coverage": coverage, "is_gap": is_gap,
        }
    ).sort_values("n_real", ascending=False, ignore_index=True)

    gaps = []
    for cluster in sorted(np.flatnonzero(is_gap), key=lambda c: (coverage[c], -n_real[c])):
        members = np.flatnonzero(real_labels == cluster)
        nearest_first = members[np.argsort(real_distance[members], kind="stable")]
        gaps.append(_gap(
            int(cluster), real_posts.iloc[nearest_first], keywords[cluster], int(n_real[cluster]),
            int(n_synthetic[cluster]), float(real_share[cluster]), float(synthetic_share[cluster]), n_examples,
        ))
    return CoverageReport(clusters, gaps, real_labels, synthetic_labels, max_ratio)


def _checked_vectors(real_posts: pd.DataFrame, real_vectors: np.ndarray,
                     synthetic_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets of embeddings as float32 matrices, checked against the posts and each other."""
    real = np.asarray(real_vectors, dtype=np.float32)
    synthetic = np.asarray(synthetic_vectors, dtype=np.float32)
    if real.ndim != 2 or synthetic.ndim != 2 or len(real) != len(real_posts):
        raise InputError(
            f"coverage: {len(real_posts)} real posts but embeddings of shape {real.shape}; embed the same posts."
        )
    if len(synthetic) == 0:
        raise InputError("coverage: there are no synthetic posts; generate or upload some first.")
    if real.shape[1] != synthetic.shape[1]:
        raise InputError("coverage: real and synthetic embeddings differ in size; embed both with one embedder.")
    return real, synthetic


def _cluster(real: np.ndarray, synthetic: np.ndarray, k: int,
             random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means of the real posts: their labels and distances to their centre, and the synthetic posts' labels
    (the nearest centre when within that cluster's reach, its farthest real member; else -1)."""
    from sklearn.cluster import KMeans

    kmeans = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(real)
    real_labels = kmeans.labels_.astype(int)
    real_distance = np.linalg.norm(real - kmeans.cluster_centers_[real_labels], axis=1)
    reach = np.array([real_distance[real_labels == c].max() for c in range(k)])
    synthetic_distances = kmeans.transform(synthetic)
    nearest = synthetic_distances.argmin(axis=1)
    within = synthetic_distances[np.arange(len(synthetic)), nearest] <= reach[nearest]
    return real_labels, real_distance, np.where(within, nearest, -1)


def _gap(cluster: int, member_posts: pd.DataFrame, keywords: list[str], n_real: int, n_synthetic: int,
         real_share: float, synthetic_share: float, n_examples: int) -> CoverageGap:
    """One gap, its members (real posts) nearest the centre first."""
    examples = member_posts.drop_duplicates(schema.TEXT).head(n_examples)
    platforms = member_posts[schema.PLATFORM].astype("string").value_counts()
    return CoverageGap(
        cluster=cluster, label=", ".join(keywords[:4]), keywords=tuple(keywords),
        n_real=n_real, n_synthetic=n_synthetic, real_share=real_share, synthetic_share=synthetic_share,
        platforms={str(name): int(count) for name, count in platforms.items()},
        examples=examples[[schema.POST_ID, schema.PLATFORM, schema.TEXT]].reset_index(drop=True),
        member_ids=tuple(str(post_id) for post_id in member_posts[schema.POST_ID]),
    )


def cluster_keywords(texts: np.ndarray, labels: np.ndarray, n_clusters: int, top: int = 8) -> list[list[str]]:
    """The most characteristic words of each cluster (class-based TF-IDF: one document per cluster).

    URLs are removed and English stop words ignored; a cluster without usable words gets no keywords.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [
        " ".join(URL_RE.sub(" ", str(text)) for text in texts[labels == cluster]) for cluster in range(n_clusters)
    ]
    vectorizer = TfidfVectorizer(
        stop_words="english", token_pattern=r"(?u)#?\b[^\W\d_][\w'’]+\b", sublinear_tf=True, lowercase=True
    )
    try:
        weights = vectorizer.fit_transform(documents)
    except ValueError:  # no word at all in any cluster (emoji-only posts)
        return [[] for _ in range(n_clusters)]
    vocabulary = vectorizer.get_feature_names_out()
    keywords = []
    for row in range(n_clusters):
        scores = weights.getrow(row).toarray().ravel()
        order = np.argsort(-scores, kind="stable")[:top]
        keywords.append([str(vocabulary[i]) for i in order if scores[i] > 0])
    return keywords


@dataclass(frozen=True)
class TargetedPlan:
    """What to generate to fill coverage gaps: topics x platforms, in the shape `GenerationConfig` takes.

    Use: `GenerationConfig(models=..., topics=plan.topics, platforms=plan.platforms, per_cell=plan.per_cell)`
    and pass `plan.tag_real_posts(real_posts)` as the real posts, so each gap's few-shot examples are its own
    real posts.

    Attributes:
        topics: one TopicSpec per gap (`topic_id` = "gap-<cluster>", label and keywords from the cluster).
        platforms: platforms holding at least `min_platform_share` of some gap's real posts.
        per_cell: posts per (topic, platform) cell, enough to bring the gaps to their fair share (capped).
        member_ids: for each topic_id, the post_id of the gap's real posts.
        examples: for each topic_id, a few example texts (to show the user).
    """

    topics: tuple[TopicSpec, ...]
    platforms: tuple[str, ...]
    per_cell: int
    member_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def planned_posts(self) -> int:
        """Posts per model: every topic x platform cell."""
        return len(self.topics) * len(self.platforms) * self.per_cell

    def tag_real_posts(self, real_posts: pd.DataFrame) -> pd.DataFrame:
        """A copy of `real_posts` whose `topic` is the gap's topic_id for each gap member.

        The prompt renderer takes few-shot examples from the posts whose `topic` equals the topic_id, so
        this makes each gap's examples come from the gap. The caller's frame is not changed.
        """
        tagged = real_posts.copy()
        if schema.TOPIC in tagged:
            topic = tagged[schema.TOPIC].astype("string")
        else:
            topic = pd.Series(pd.NA, index=tagged.index, dtype="string")
        post_ids = tagged[schema.POST_ID].astype("string")
        for topic_id, members in self.member_ids.items():
            topic = topic.mask(post_ids.isin(members), topic_id)
        tagged[schema.TOPIC] = topic
        return tagged


def plan_for_gaps(
    report: CoverageReport,
    *,
    n_synthetic: int,
    clusters: list[int] | None = None,
    min_platform_share: float = 0.1,
    max_per_cell: int = 20,
    n_examples: int = 3,
) -> TargetedPlan:
    """Turn coverage gaps into a targeted generation plan.

    Each gap's deficit is the number of synthetic posts it would hold at its fair share
    (`real_share * n_synthetic`) minus those it holds; `per_cell` spreads the largest deficit over the
    gap's platforms, at least 1 and at most `max_per_cell`.

    Args:
        report: from `find_coverage_gaps`.
        n_synthetic: synthetic posts the report was made with.
        clusters: the gap clusters to include (default: every gap).
        min_platform_share: a platform is planned when it holds at least this share of a gap's real posts.
        max_per_cell: cap on posts per cell.
        n_examples: example texts kept per topic.

    Raises:
        InputError: no gap to plan for, or a cluster that is not a gap.
    """
    by_cluster = {gap.cluster: gap for gap in report.gaps}
    chosen = list(by_cluster) if clusters is None else clusters
    unknown = [cluster for cluster in chosen if cluster not in by_cluster]
    if unknown:
        raise InputError(f"cluster(s) {unknown} are not coverage gaps; pick from {sorted(by_cluster)}.")
    if not chosen:
        raise InputError("no coverage gap to plan for: the synthetic posts reach every real cluster.")
    topics: list[TopicSpec] = []
    platforms: list[str] = []
    member_ids: dict[str, tuple[str, ...]] = {}
    examples: dict[str, tuple[str, ...]] = {}
    per_cell = 1
    for cluster in chosen:
        gap = by_cluster[cluster]
        topic = TopicSpec(gap.topic_id, f"{gap.label or 'cluster ' + str(cluster)}", gap.keywords)
        topics.append(topic)
        gap_platforms = [name for name, count in gap.platforms.items() if count / gap.n_real >= min_platform_share]
        gap_platforms = gap_platforms or list(gap.platforms)[:1]
        platforms.extend(name for name in gap_platforms if name not in platforms)
        deficit = gap.real_share * n_synthetic - gap.n_synthetic
        per_cell = max(per_cell, math.ceil(deficit / len(gap_platforms)))
        member_ids[topic.topic_id] = gap.member_ids
        examples[topic.topic_id] = tuple(str(text) for text in gap.examples[schema.TEXT].head(n_examples))
    return TargetedPlan(tuple(topics), tuple(platforms), min(per_cell, max_per_cell), member_ids, examples)
