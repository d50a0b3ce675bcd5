"""Multi-platform fidelity: do the differences BETWEEN platforms survive generation?

Single-platform metrics can all look good while every platform sounds the same. `compare_multiplatform`
answers four questions, each beside a real-vs-real baseline (real halves from
`synth.metrics.baseline.split_halves`, the second half playing the synthetic set):

- `fingerprint`: per platform, the mean of a few lexical features; per-platform distance real vs synthetic
  and the rank correlation of the (platform x feature) matrices.
- `recognisability`: a classifier trained on real posts to predict the platform, scored on held-out real
  posts and on synthetic posts, and the ratio.
- `geometry`: the matrix of distances between platform centroids in embedding space, real vs synthetic.
- `topic_platform_coverage`: share of real (topic, platform) cells whose posts have synthetic neighbours.

Every value is JSON-ready (floats, ints, None, never NaN); `DEFINITIONS` says how each is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synth.jsonable import json_ready
from synth.metrics._geometry import (
    KthNeighbours,
    centroid,
    covered_by,
    kept_kth,
    posts_and_vectors,
    small_linear_algebra,
)
from synth.metrics.reference import Reference, fit_reference
from synth.schema import TEXT, TOPIC
from synth.text import count_features

# Lexical features of the fingerprint: per-post columns of synth.metrics.lexical.lexical_features.
FINGERPRINT_FEATURES: tuple[str, ...] = (
    "chars", "tokens", "hashtags", "mentions", "urls", "emoji", "has_question", "has_exclamation",
    "uppercase_ratio", "flesch_kincaid_grade",
)
COVERAGE_K = 5
CLASSIFIER_MAX_TRAIN = 6000
NO_TOPIC = "(no topic)"

DEFINITIONS: dict[str, str] = {
    "fingerprint_distance": (
        "Per platform: root mean square, over the fingerprint features (" + ", ".join(FINGERPRINT_FEATURES)
        + "; per-post values from synth.metrics.lexical.lexical_features), of the difference between the "
        "platform's mean feature value in the synthetic and in the real posts, each feature divided by its "
        "standard deviation over all real posts. 0 is identical; lower is better."
    ),
    "fingerprint_rank_correlation": (
        "Spearman rank correlation between the real and the synthetic (platform x feature) matrices of "
        "standardised feature means, each feature centred on its mean over the platforms first, so only the "
        "differences between platforms count. 1 when the platforms differ in the same way; needs 2 or more "
        "platforms present in both sets."
    ),
    "recognisability_real": (
        "Balanced accuracy (mean per-platform recall) of a logistic regression predicting the platform from the "
        "embedding and standardised log(1 + count) features (characters, tokens, hashtags, mentions, URLs, "
        f"emoji), trained on the first real half (at most {CLASSIFIER_MAX_TRAIN} posts, seeded sample) with "
        "class_weight='balanced' (each platform weighs the same whatever its number of posts) and scored on the "
        "held-out second real half: how recognisable real platforms are."
    ),
    "recognisability_synthetic": (
        "The same classifier's balanced accuracy on the synthetic posts of the platforms it was trained on."
    ),
    "recognisability_ratio": (
        "recognisability_synthetic / recognisability_real: 1 when synthetic posts are as recognisable as real "
        "ones; below 1 when the platforms blur together."
    ),
    "geometry_distance": (
        "Per set, the matrix of cosine distances (1 - cosine) between platform centroids (mean embedding of the "
        "platform's posts) for platforms present in both sets."
    ),
    "geometry_correlation": (
        "Pearson correlation between the upper triangles of the real and the synthetic centroid-distance "
        "matrices; needs 3 or more platforms (3 pairs). 1 when the platforms sit in the same arrangement."
    ),
    "geometry_mean_abs_difference": (
        "Mean absolute difference between the upper triangles of the real and synthetic centroid-distance "
        "matrices (2 or more platforms). 0 is identical; lower is better."
    ),
    "topic_platform_coverage": (
        f"Share of the real (topic, platform) cells with at least one real post whose k-NN ball (k={COVERAGE_K}, "
        "cosine on embeddings, among the real posts of that platform) contains a synthetic post of that "
        "platform. Topics come from the `topic` column (one cell per platform when there is none). Higher "
        "is better, in [0, 1]."
    ),
    "topic_platform_post_coverage": (
        "Mean over the real (topic, platform) cells of the share of the cell's real posts covered as above."
    ),
}


def compare_multiplatform(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    real_embeddings: np.ndarray,
    synthetic_embeddings: np.ndarray,
    seed: int = 0,
    real_features: pd.DataFrame | None = None,
    synthetic_features: pd.DataFrame | None = None,
    reference: Reference | None = None,
) -> dict[str, Any]:
    """Multi-platform metrics of synthetic against real posts (see the module docstring).

    Args:
        real: real posts (`platform`, `text`, optional `topic` columns). Not modified.
        synthetic: synthetic posts (same columns). Not modified.
        real_embeddings: one row per real post, in row order.
        synthetic_embeddings: one row per synthetic post, in row order.
        seed: seed of the real halves and of the classifier's sample.
        real_features: per-post lexical features of `real` when already computed (rows aligned); else
            computed with synth.metrics.lexical.lexical_features.
        synthetic_features: the same for `synthetic`.
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`):
            their features, marker counts and halves are taken from it rather than computed again.

    Returns:
        `{"platforms": {"real": [...], "synthetic": [...], "shared": [...]}, "fingerprint": {...},
        "recognisability": {...}, "geometry": {...}, "topic_platform_coverage": {...}}`, each section with its
        values and `_baseline` siblings.

    Raises:
        InputError: a set lacks a `platform` or `text` column.
    """
    real_vectors, real_platforms = posts_and_vectors(real, real_embeddings, "real")
    synthetic_vectors, synthetic_platforms = posts_and_vectors(synthetic, synthetic_embeddings, "synthetic")
    reference = fit_reference(real, seed=seed, reference=reference)
    first, second = reference.halves

    if real_features is None:
        real_features = reference.features
    if synthetic_features is None:
        from synth.metrics.lexical import lexical_features

        synthetic_features = lexical_features(synthetic)
    real_side = _Side(real_vectors, real_platforms, _fingerprint_matrix(real_features), _count_matrix(reference.counts))
    synthetic_side = _Side(synthetic_vectors, synthetic_platforms, _fingerprint_matrix(synthetic_features),
                           _count_matrix(count_features(synthetic[TEXT])))
    return json_ready(_sections(real_side, synthetic_side, _topics(real), first, second, seed=seed,
                                kth=lambda platform: kept_kth(reference, real_embeddings, platform)))


@dataclass(frozen=True)
class _Side:
    """What the sections need of one set of posts, one row per post: unit embeddings, platforms, fingerprint
    features and log marker counts."""

    vectors: np.ndarray
    platforms: np.ndarray
    fingerprint: np.ndarray
    counts: np.ndarray


def _sections(real: _Side, synthetic: _Side, real_topics: np.ndarray, first: np.ndarray, second: np.ndarray, *,
              seed: int, kth: Callable[[str], KthNeighbours]) -> dict[str, Any]:
    """Every section of `compare_multiplatform`; the real halves at positions `first` and `second` give the
    baselines. `kth(platform)`: the k-NN radii of the real posts of a platform (`kept_kth`)."""
    return {
        "platforms": {
            "real": sorted(set(real.platforms)), "synthetic": sorted(set(synthetic.platforms)),
            "shared": sorted(set(real.platforms) & set(synthetic.platforms)),
        },
        "fingerprint": _paired(
            fingerprint,
            (real.fingerprint, real.platforms), (synthetic.fingerprint, synthetic.platforms),
            (real.fingerprint[first], real.platforms[first]), (real.fingerprint[second], real.platforms[second]),
            scale=real.fingerprint,
        ),
        "recognisability": recognisability(
            (np.hstack([real.vectors, real.counts]), real.platforms),
            (np.hstack([synthetic.vectors, synthetic.counts]), synthetic.platforms),
            first, second, seed=seed, embedding_dim=real.vectors.shape[1],
        ),
        "geometry": _paired(
            geometry,
            (real.vectors, real.platforms), (synthetic.vectors, synthetic.platforms),
            (real.vectors[first], real.platforms[first]), (real.vectors[second], real.platforms[second]),
        ),
        "topic_platform_coverage": _with_baseline(
            topic_platform_coverage(real.vectors, real.platforms, real_topics, synthetic.vectors,
                                    synthetic.platforms, kth=kth),
            topic_platform_coverage(real.vectors[first], real.platforms[first], real_topics[first],
                                    real.vectors[second], real.platforms[second]),
        ),
    }


# The comparison values of each section that get a `_baseline` sibling (the rest describes one run).
_BASELINE_KEYS = {"distance", "rank_correlation", "correlation", "mean_abs_difference", "value", "post_coverage"}


def _paired(function: Any, real: tuple, synthetic: tuple, first: tuple, second: tuple, **options: Any) -> dict:
    """`function(real, synthetic)`, each comparison value beside `<key>_baseline` from `function(first, second)`."""
    return _with_baseline(function(*real, *synthetic, **options), function(*first, *second, **options))


def _with_baseline(compared: dict, baseline: dict) -> dict:
    """`compared` with each comparison value of `baseline` beside it as `<key>_baseline`."""
    out = dict(compared)
    for key in _BASELINE_KEYS & set(baseline):
        out[f"{key}_baseline"] = baseline[key]
    return out


def fingerprint(
    real: np.ndarray, real_platforms: np.ndarray, synthetic: np.ndarray, synthetic_platforms: np.ndarray,
    *, scale: np.ndarray,
) -> dict[str, Any]:
    """Platform fingerprints (standardised feature means) and how they compare (see DEFINITIONS)."""
    spread = np.nanstd(scale, axis=0, ddof=1) if len(scale) > 1 else np.ones(scale.shape[1])
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    shared = sorted(set(real_platforms) & set(synthetic_platforms))
    real_means = _platform_means(real / spread, real_platforms, shared)
    synthetic_means = _platform_means(synthetic / spread, synthetic_platforms, shared)
    distance = {
        platform: _rms(real_means[i] - synthetic_means[i]) for i, platform in enumerate(shared)
    }
    correlation = None
    if len(shared) >= 2:
        centred_real = real_means - np.nanmean(real_means, axis=0)
        centred_synthetic = synthetic_means - np.nanmean(synthetic_means, axis=0)
        correlation = _spearman(centred_real.ravel(), centred_synthetic.ravel())
    return {
        "features": list(FINGERPRINT_FEATURES),
        "real": _matrix_dict(real_means, shared),
        "synthetic": _matrix_dict(synthetic_means, shared),
        "distance": distance,
        "rank_correlation": correlation,
    }


def recognisability(
    real: tuple[np.ndarray, np.ndarray],
    synthetic: tuple[np.ndarray, np.ndarray],
    train_rows: np.ndarray,
    held_out_rows: np.ndarray,
    *,
    seed: int,
    embedding_dim: int,
) -> dict[str, Any]:
    """Platform classifier trained on real posts, scored on held-out real and on synthetic posts."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    features, platforms = real
    train_rows = _sample(train_rows, CLASSIFIER_MAX_TRAIN, np.random.default_rng(seed))
    classes = sorted(set(platforms[train_rows]))
    empty = {"platforms": classes, "real": None, "synthetic": None, "ratio": None}
    if len(classes) < 2:
        return {**empty, "note": "needs real posts of 2 or more platforms"}
    scaler = StandardScaler().fit(features[train_rows, embedding_dim:])

    def prepare(matrix: np.ndarray) -> np.ndarray:
        return np.hstack([matrix[:, :embedding_dim], scaler.transform(matrix[:, embedding_dim:])])

    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    held_out = held_out_rows[np.isin(platforms[held_out_rows], classes)]
    synthetic_features, synthetic_platforms = synthetic
    known = np.isin(synthetic_platforms, classes)
    with small_linear_algebra():
        model.fit(prepare(features[train_rows]), platforms[train_rows])
        real_score = _balanced_accuracy(platforms[held_out], model.predict(prepare(features[held_out])))
        synthetic_score = _balanced_accuracy(
            synthetic_platforms[known], model.predict(prepare(synthetic_features[known]))
        )
    ratio = synthetic_score / real_score if real_score and synthetic_score is not None else None
    return {"platforms": classes, "real": real_score, "synthetic": synthetic_score, "ratio": ratio}


def geometry(
    real: np.ndarray, real_platforms: np.ndarray, synthetic: np.ndarray, synthetic_platforms: np.ndarray
) -> dict[str, Any]:
    """Centroid-distance matrices of the shared platforms and how they agree (see DEFINITIONS)."""
    shared = sorted(set(real_platforms) & set(synthetic_platforms))
    real_distances = _centroid_distances(real, real_platforms, shared)
    synthetic_distances = _centroid_distances(synthetic, synthetic_platforms, shared)
    upper = np.triu_indices(len(shared), k=1)
    real_pairs, synthetic_pairs = real_distances[upper], synthetic_distances[upper]
    correlation = None
    if len(real_pairs) >= 3 and np.std(real_pairs) > 0 and np.std(synthetic_pairs) > 0:
        correlation = float(np.corrcoef(real_pairs, synthetic_pairs)[0, 1])
    return {
        "platforms": shared,
        "real": real_distances.tolist(),
        "synthetic": synthetic_distances.tolist(),
        "correlation": correlation,
        "mean_abs_difference": float(np.abs(real_pairs - synthetic_pairs).mean()) if len(real_pairs) else None,
    }


def topic_platform_coverage(
    real: np.ndarray, real_platforms: np.ndarray, real_topics: np.ndarray,
    synthetic: np.ndarray, synthetic_platforms: np.ndarray, *, kth: Callable[[str], KthNeighbours] | None = None,
) -> dict[str, Any]:
    """Which real (topic, platform) cells have synthetic neighbours (see DEFINITIONS). `kth(platform)`: the
    k-NN radii of the real posts of a platform, kept from earlier (`synth.metrics._geometry.kept_kth`)."""
    covered = np.zeros(len(real), dtype=bool)
    for platform in set(real_platforms):
        rows = np.flatnonzero(real_platforms == platform)
        covered[rows] = covered_by(real[rows], synthetic[synthetic_platforms == platform], COVERAGE_K,
                                   kth=kth(platform) if kth is not None else None)
    cells = (
        pd.DataFrame({"topic": real_topics, "platform": real_platforms, "covered": covered})
        .groupby(["topic", "platform"], sort=True)["covered"]
        .agg(n_real="size", covered_share="mean")
        .reset_index()
    )
    if cells.empty:
        return {"value": None, "post_coverage": None, "cells": []}
    return {
        "value": float((cells["covered_share"] > 0).mean()),
        "post_coverage": float(cells["covered_share"].mean()),
        "cells": cells.to_dict(orient="records"),
    }


def _balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    """Mean over the platforms present in `truth` of the share of their posts predicted right."""
    if len(truth) == 0:
        return None
    return float(np.mean([np.mean(predicted[truth == label] == label) for label in np.unique(truth)]))


def _fingerprint_matrix(features: pd.DataFrame) -> np.ndarray:
    return features.loc[:, list(FINGERPRINT_FEATURES)].to_numpy(dtype=float)


def _count_matrix(counts: pd.DataFrame) -> np.ndarray:
    """The recognisability classifier's count features: log(1 + count) of each `count_features` column."""
    return np.log1p(counts.to_numpy(dtype=float))


def _topics(posts: pd.DataFrame) -> np.ndarray:
    if TOPIC not in posts.columns:
        return np.full(len(posts), NO_TOPIC, dtype=object)
    return posts[TOPIC].astype("string").fillna(NO_TOPIC).to_numpy(dtype=object)


def _platform_means(matrix: np.ndarray, platforms: np.ndarray, order: list[str]) -> np.ndarray:
    out = np.full((len(order), matrix.shape[1]), np.nan)
    for i, platform in enumerate(order):
        rows = matrix[platforms == platform]
        counted = np.isfinite(rows).sum(axis=0)
        totals = np.where(np.isfinite(rows), rows, 0.0).sum(axis=0)
        out[i] = np.where(counted > 0, totals / np.maximum(counted, 1), np.nan)  # NaN-skipping mean
    return out


def _centroid_distances(vectors: np.ndarray, platforms: np.ndarray, order: list[str]) -> np.ndarray:
    if not order:
        return np.zeros((0, 0))
    centroids = np.array([centroid(vectors[platforms == platform]) for platform in order])
    distances = np.clip(1.0 - centroids @ centroids.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    return distances


def _rms(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.sqrt(np.mean(finite**2))) if len(finite) else None


def _spearman(first: np.ndarray, second: np.ndarray) -> float | None:
    from scipy.stats import spearmanr

    keep = np.isfinite(first) & np.isfinite(second)
    if keep.sum() < 3 or np.ptp(first[keep]) == 0 or np.ptp(second[keep]) == 0:
        return None
    return float(spearmanr(first[keep], second[keep]).statistic)


def _matrix_dict(means: np.ndarray, platforms: list[str]) -> dict[str, dict[str, float | None]]:
    return {
        platform: {feature: means[i, j] for j, feature in enumerate(FINGERPRINT_FEATURES)}
        for i, platform in enumerate(platforms)
    }


def _sample(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(rows, size=limit, replace=False)) if len(rows) > limit else rows
