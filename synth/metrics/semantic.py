"""Semantic fidelity: how the synthetic posts sit among the real ones in embedding space.

`compare_semantic` follows the layout of `synth.metrics.lexical.compare_lexical`: `{group: {metric: ...}}`
with groups `all` and every platform found in the real or the synthetic posts. A metric describing ONE set
(`n_posts`, `intra_set_similarity`) is `{"real", "synthetic", "baseline"}`, the baseline being the value on the
held-out (second) real half. A metric that already COMPARES two sets is a single number, synthetic vs all real
posts, and the same comparison of the second real half against the first sits under the same key with the
suffix `_baseline` (halves from `synth.metrics.baseline.split_halves`, the mean over BASELINE_SPLITS seeded
splits, their spread under `_baseline_std`; `baseline` and `baseline_std` for one-set metrics): the score a
generator drawing fresh posts from the real distribution would get. A value is None where it is undefined (a side with
fewer than two posts in that group, MAUVE below its minimum sample).

The halves are half the size of the real set, so size-sensitive metrics (nearest cosine, coverage, Frechet
distance, MAUVE) are a little harsher on the baseline than on a synthetic set as large as the real one;
`DEFINITIONS` says which direction is better for each metric.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from synth.metrics._folds import stratified_group_folds
from synth.metrics._geometry import (
    SIMILARITY_TOLERANCE,
    KthNeighbours,
    blocks,
    centroid,
    kept_kth,
    kth_neighbour_similarity,
    mean_pairwise_similarity,
    posts_and_vectors,
    small_linear_algebra,
)
from synth.metrics.baseline import mean_and_spread
from synth.metrics.reference import Reference, fit_reference
from synth.schema import TEXT

K_NEIGHBOURS = 5  # Naeem et al. (2020) recommend k = 5 for PRDC; also used for top-k recall
CLASSIFIER_MAX_PER_SIDE = 3000
CLASSIFIER_FOLDS = 5
MAUVE_MIN_PER_SIDE = 50
MAUVE_RELIABLE_PER_SIDE = 1000
MAUVE_SEEDS = 3  # k-means seeds MAUVE is averaged over: one seed alone moves it by 0.06 on 1,000+ posts
MIN_POSTS_PER_SIDE = 2
# Cosine at or above which two posts are near copies (as in the privacy metrics): kept in one fold.
NEAR_DUPLICATE_COSINE = 0.95

DEFINITIONS: dict[str, str] = {
    **{
        f"nearest_real_cosine_{stat}": (
            f"{label} over synthetic posts of the cosine similarity between a post's embedding and that of its "
            "nearest real post (quartiles by linear interpolation). Higher is closer; 1 means a copy "
            "(see the privacy metrics)."
        )
        for stat, label in (("mean", "Mean"), ("median", "Median"), ("q25", "First quartile"),
                            ("q75", "Third quartile"))
    },
    "top_k_recall": (
        f"Share of synthetic posts with at least one real post among their k={K_NEIGHBOURS} nearest neighbours "
        "in the pooled set (real and synthetic posts, itself excluded): 1 when every synthetic post sits among "
        "real ones, 0 when the synthetic posts form their own island. Higher is better, in [0, 1]."
    ),
    "centroid_cosine": "Cosine similarity between the mean embedding of the real and of the synthetic posts. "
    "Higher is closer, 1 at most.",
    "n_posts": "Number of posts in the set.",
    "intra_set_similarity": (
        "Mean cosine similarity over all pairs of distinct posts within one set; lower means more diverse. "
        "A faithful set matches the real value."
    ),
    "precision": (
        f"Naeem et al. (2020) precision: share of synthetic posts inside at least one real post's k-NN ball "
        f"(k={K_NEIGHBOURS}, radius = distance to the k-th nearest other real post; inside means strictly "
        "closer than the radius, as in the `prdc` package, so a point on the boundary is outside). Fidelity; "
        "higher is better."
    ),
    "recall": (
        f"Naeem et al. (2020) recall: share of real posts inside at least one synthetic post's k-NN ball "
        f"(k={K_NEIGHBOURS}, among synthetic posts). Variety; higher is better."
    ),
    "density": (
        "Naeem et al. (2020) density: for each synthetic post, the number of real k-NN balls containing it "
        "divided by k, averaged (balls as for precision). Exactly 1 for a copy of the real posts (without ties); "
        "about 1 when synthetic posts are spread like real ones; above 1 when they crowd dense real regions."
    ),
    "coverage": (
        "Naeem et al. (2020) coverage: share of real posts whose own k-NN ball (among real posts) contains at "
        "least one synthetic post. Higher is better, in [0, 1]."
    ),
    "frechet_distance": (
        "Frechet distance between Gaussians fitted to the two embedding sets: |mu_r - mu_s|^2 + "
        "Tr(S_r + S_s - 2 (S_r S_s)^(1/2)) (as in FID, on sentence embeddings). 0 for identical sets; "
        "lower is better."
    ),
    "classifier_auc": (
        f"Classifier two-sample test: logistic regression on embeddings to tell real from synthetic posts, "
        f"ROC AUC averaged over {CLASSIFIER_FOLDS}-fold stratified cross-validation, with near copies kept in "
        f"one fold (clusters of posts linked by the same normalised text or an embedding cosine of at least "
        f"{NEAR_DUPLICATE_COSINE}, on either side); at most {CLASSIFIER_MAX_PER_SIDE} posts per side (seeded "
        "sample). class_weight='balanced'. 0.5 means "
        "indistinguishable, 1 means always told apart; values a little below 0.5 are chance, so read the "
        "distance from 0.5."
    ),
    "mauve": (
        "MAUVE (Pillutla et al., 2021; mauve-text's compute_mauve on these embeddings, k-means buckets = "
        f"n/10): area under the divergence frontier of the two quantised distributions, in (0, 1]; higher is "
        f"closer. The mean over {MAUVE_SEEDS} k-means seeds (seed, seed + 1, ...), as one quantisation alone "
        f"moves it by several hundredths (each baseline split uses one seed: the spread over splits holds "
        f"that noise). Computed from {MAUVE_MIN_PER_SIDE} posts per side; `mauve_reliable` is false below "
        f"{MAUVE_RELIABLE_PER_SIDE} posts per side, where quantisation noise dominates (the baseline compares "
        f"two halves, so it needs {2 * MAUVE_RELIABLE_PER_SIDE} real posts for the same)."
    ),
    "mauve_std": f"Sample standard deviation of MAUVE over its {MAUVE_SEEDS} k-means seeds: the quantisation "
    "noise of the mean; differences in MAUVE smaller than a few times this are noise.",
    "mauve_reliable": f"True when both sets have at least {MAUVE_RELIABLE_PER_SIDE} posts (see mauve).",
}


def compare_semantic(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    real_embeddings: np.ndarray,
    synthetic_embeddings: np.ndarray,
    seed: int = 0,
    reference: Reference | None = None,
) -> dict[str, Any]:
    """Semantic metrics of synthetic against real posts, for all posts and per platform (see module doc).

    Args:
        real: real posts (`platform` and `text` columns).
        synthetic: synthetic posts (same columns).
        real_embeddings: one row per real post, in row order (normalised here if not already).
        synthetic_embeddings: one row per synthetic post, in row order.
        seed: seed of the real halves, of the classifier's sampling and folds, and of MAUVE's k-means.
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`),
            whose halves are used; fitted here when None.

    Returns:
        `{group: {metric: value}}`; see the module docstring. Inputs are not modified.

    Raises:
        InputError: a set lacks a `platform` or `text` column.
        ValueError: an embeddings array does not have one row per post.
    """
    real_vectors, real_platforms = posts_and_vectors(real, real_embeddings, "real")
    synthetic_vectors, synthetic_platforms = posts_and_vectors(synthetic, synthetic_embeddings, "synthetic")
    real_texts = real[TEXT].astype("string").fillna("").to_numpy()
    synthetic_texts = synthetic[TEXT].astype("string").fillna("").to_numpy()
    reference = fit_reference(real, seed=seed, reference=reference)

    result: dict[str, dict[str, Any]] = {}
    for group in ["all", *sorted(set(real_platforms) | set(synthetic_platforms))]:
        real_mask = np.ones(len(real), bool) if group == "all" else real_platforms == group
        synthetic_mask = np.ones(len(synthetic), bool) if group == "all" else synthetic_platforms == group
        halves = [
            ((real_vectors[a], real_texts[a]), (real_vectors[b], real_texts[b]))
            for first_half, second_half in reference.splits
            for a, b in [(first_half[real_mask[first_half]], second_half[real_mask[second_half]])]
        ]
        # The real-vs-real part depends on the real posts alone: kept on the reference for later blocks.
        baseline = reference.real_only(("semantic", group), partial(_baseline_metrics, halves, seed=seed),
                                       vectors=real_embeddings)
        result[group] = _group_metrics(
            (real_vectors[real_mask], real_texts[real_mask]),
            (synthetic_vectors[synthetic_mask], synthetic_texts[synthetic_mask]),
            baseline,
            seed=seed,
            kth=kept_kth(reference, real_embeddings, group),
        )
    return result


Side = tuple[np.ndarray, np.ndarray]  # (unit vectors, texts) of one set


def _baseline_metrics(halves: list[tuple[Side, Side]], *, seed: int) -> dict[str, Any]:
    """What `_group_metrics` reads from the real halves of every split: `n_posts` (of the first split's held-out
    half), `intra` (intra-set similarity of each held-out half) and `compared` (each split's comparison)."""
    return {
        "n_posts": len(halves[0][1][0]),
        "intra": [mean_pairwise_similarity(second[0]) for _, second in halves],
        # One MAUVE seed per split (seed + split number): the spread over the splits then holds its k-means noise.
        "compared": [_compare_or_none(first, second, seed + number, mauve_seeds=1)
                     for number, (first, second) in enumerate(halves)],
    }


def _group_metrics(real: Side, synthetic: Side, baseline: dict[str, Any], *, seed: int,
                   kth: KthNeighbours) -> dict[str, Any]:
    intra_mean, intra_spread = mean_and_spread(baseline["intra"])
    metrics: dict[str, Any] = {
        "n_posts": {"real": len(real[0]), "synthetic": len(synthetic[0]), "baseline": baseline["n_posts"]},
        "intra_set_similarity": {
            "real": mean_pairwise_similarity(real[0]),
            "synthetic": mean_pairwise_similarity(synthetic[0]),
            "baseline": intra_mean,
            "baseline_std": intra_spread,
        },
    }
    compared = _compare_or_none(real, synthetic, seed, kth=kth)
    compared_halves = baseline["compared"]
    for key, value in compared.items():
        metrics[key] = value
        if key == "mauve_std":
            continue  # the baseline's MAUVE spread is mauve_baseline_std, over the splits
        metrics[f"{key}_baseline"], metrics[f"{key}_baseline_std"] = mean_and_spread(
            [values[key] for values in compared_halves]
        )
    metrics["mauve_reliable"] = min(len(real[0]), len(synthetic[0])) >= MAUVE_RELIABLE_PER_SIDE
    return metrics


def _compare_or_none(reference: Side, other: Side, seed: int, *, mauve_seeds: int = MAUVE_SEEDS,
                     kth: KthNeighbours | None = None) -> dict[str, Any]:
    if min(len(reference[0]), len(other[0])) < MIN_POSTS_PER_SIDE:
        return dict.fromkeys(COMPARISON_KEYS)
    return compare_embedding_sets(reference[0], other[0], reference[1], other[1], seed=seed, mauve_seeds=mauve_seeds,
                                  kth=kth)


COMPARISON_KEYS: tuple[str, ...] = (
    "nearest_real_cosine_mean", "nearest_real_cosine_median", "nearest_real_cosine_q25",
    "nearest_real_cosine_q75", "top_k_recall", "precision", "recall", "density", "coverage",
    "centroid_cosine", "frechet_distance", "classifier_auc", "mauve", "mauve_std",
)


def compare_embedding_sets(
    real: np.ndarray,
    synthetic: np.ndarray,
    real_texts: np.ndarray | None = None,
    synthetic_texts: np.ndarray | None = None,
    *,
    seed: int = 0,
    k: int = K_NEIGHBOURS,
    mauve_seeds: int = MAUVE_SEEDS,
    kth: KthNeighbours | None = None,
) -> dict[str, Any]:
    """Every comparison metric of `DEFINITIONS` between two sets of unit vectors (at least 2 rows each).

    Texts, when given, keep near copies in one cross-validation fold of the classifier test. MAUVE is the
    mean over `mauve_seeds` k-means seeds from `seed`. `kth`: as for `neighbour_metrics`.
    """
    if min(len(real), len(synthetic)) < MIN_POSTS_PER_SIDE:
        raise ValueError(f"each set needs at least {MIN_POSTS_PER_SIDE} rows, got {len(real)} and {len(synthetic)}")
    neighbours = neighbour_metrics(real, synthetic, k=k, kth=kth)
    with small_linear_algebra():
        return {
            **neighbours,
            "centroid_cosine": float(centroid(real) @ centroid(synthetic)),
            "frechet_distance": frechet_distance(real, synthetic),
            "classifier_auc": classifier_auc(real, synthetic, real_texts, synthetic_texts, seed=seed),
            **mauve_over_seeds(real, synthetic, seed=seed, seeds=mauve_seeds),
        }


def neighbour_metrics(real: np.ndarray, synthetic: np.ndarray, *, k: int,
                      kth: KthNeighbours | None = None) -> dict[str, Any]:
    """Nearest-real cosine, top-k recall and PRDC from one blocked pass over synthetic x real similarities.

    `kth`: computes `kth_neighbour_similarity(real, k)` for the real radii, or returns it kept from an earlier
    call (`synth.metrics._geometry.kept_kth`); computed here when None."""
    k_real = min(k, len(real) - 1)
    k_synthetic = min(k, len(synthetic) - 1)
    # Inside a ball means strictly closer than its k-th neighbour (Naeem et al., 2020; `prdc`): similarity
    # above the radius by more than float32 noise.
    real_radius = (kth or kth_neighbour_similarity)(real, k_real) + SIMILARITY_TOLERANCE
    synthetic_kth = kth_neighbour_similarity(synthetic, k_synthetic)
    synthetic_radius = synthetic_kth + SIMILARITY_TOLERANCE

    nearest = np.empty(len(synthetic), dtype=np.float32)
    in_real_ball = np.empty(len(synthetic), dtype=bool)
    real_balls_hit = np.empty(len(synthetic), dtype=np.int64)
    covered = np.zeros(len(real), dtype=bool)
    recalled = np.zeros(len(real), dtype=bool)
    for start, stop in blocks(synthetic, len(real)):
        similarities = synthetic[start:stop] @ real.T
        nearest[start:stop] = np.clip(similarities.max(axis=1), -1.0, 1.0)
        inside = similarities > real_radius[None, :]
        in_real_ball[start:stop] = inside.any(axis=1)
        real_balls_hit[start:stop] = inside.sum(axis=1)
        covered |= inside.any(axis=0)
        recalled |= (similarities > synthetic_radius[start:stop, None]).any(axis=0)

    quartiles = np.quantile(nearest.astype(np.float64), [0.25, 0.5, 0.75])
    return {
        "nearest_real_cosine_mean": float(nearest.mean(dtype=np.float64)),
        "nearest_real_cosine_median": float(quartiles[1]),
        "nearest_real_cosine_q25": float(quartiles[0]),
        "nearest_real_cosine_q75": float(quartiles[2]),
        # A real post is among the k nearest pooled neighbours iff it is at least as near as the k-th nearest
        # synthetic one (a tie within float32 noise counts for the real post).
        "top_k_recall": float((nearest >= synthetic_kth - SIMILARITY_TOLERANCE).mean()),
        "precision": float(in_real_ball.mean()),
        "recall": float(recalled.mean()),
        "density": float(real_balls_hit.mean() / max(k_real, 1)),
        "coverage": float(covered.mean()),
    }


def frechet_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two sets of vectors (rows), as in FID."""
    mu1, mu2 = first.mean(axis=0, dtype=np.float64), second.mean(axis=0, dtype=np.float64)
    sigma1 = np.cov(first, rowvar=False, dtype=np.float64)
    sigma2 = np.cov(second, rowvar=False, dtype=np.float64)
    # Tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of S1^(1/2) S2 S1^(1/2)), a symmetric PSD matrix: two
    # symmetric eigendecompositions, stabler and much faster than scipy.linalg.sqrtm on the product.
    values, vectors = np.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    trace_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0, None)).sum())
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_covmean
    return max(0.0, float(distance))


def classifier_auc(
    real: np.ndarray,
    synthetic: np.ndarray,
    real_texts: np.ndarray | None = None,
    synthetic_texts: np.ndarray | None = None,
    *,
    seed: int = 0,
    max_per_side: int = CLASSIFIER_MAX_PER_SIDE,
) -> float | None:
    """Cross-validated ROC AUC of a logistic regression telling real (0) from synthetic (1) vectors.

    Near copies share a fold (`near_duplicate_groups`), so a copy is never scored by a model that saw its
    twin. Returns None when a side has fewer than 2 rows.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    real_rows = _sample(len(real), max_per_side, rng)
    synthetic_rows = _sample(len(synthetic), max_per_side, rng)
    folds = min(CLASSIFIER_FOLDS, len(real_rows), len(synthetic_rows))
    if folds < 2:
        return None
    features = np.vstack([real[real_rows], synthetic[synthetic_rows]])
    labels = np.r_[np.zeros(len(real_rows), int), np.ones(len(synthetic_rows), int)]
    texts = None
    if real_texts is not None and synthetic_texts is not None:
        texts = np.concatenate([real_texts[real_rows], synthetic_texts[synthetic_rows]]).astype(object)
    groups = near_duplicate_groups(features, texts)
    folds = min(folds, len(np.unique(groups)))
    if folds < 2:
        return None  # everything is one cluster of near copies: nothing can be held out

    scores = []
    for train, test in stratified_group_folds(labels, groups, folds, seed):
        if len(set(labels[train])) < 2 or len(set(labels[test])) < 2:
            continue  # a fold holding one class cannot be scored
        model = LogisticRegression(max_iter=1000, class_weight="balanced")
        model.fit(features[train], labels[train])
        scores.append(roc_auc_score(labels[test], model.decision_function(features[test])))
    return float(np.mean(scores)) if scores else None


def near_duplicate_groups(vectors: np.ndarray, texts: np.ndarray | None = None, *,
                          threshold: float = NEAR_DUPLICATE_COSINE) -> np.ndarray:
    """A cluster number per row: rows linked by a cosine of at least `threshold` (unit vectors) or by the same
    normalised text (`synth.metrics.privacy.normalise_texts`), taken transitively (connected components)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(vectors)
    rows, columns = [], []
    for start, stop in blocks(vectors, n):
        linked = np.argwhere(vectors[start:stop] @ vectors.T >= threshold)
        rows.append(linked[:, 0] + start)
        columns.append(linked[:, 1])
    if texts is not None:
        from synth.metrics.privacy import normalise_texts

        same_text = pd.factorize(normalise_texts(pd.Series(texts, dtype=object)).to_numpy())[0]
        first_of_text = pd.Series(np.arange(n)).groupby(same_text).transform("min").to_numpy()
        rows.append(np.arange(n))
        columns.append(first_of_text)
    graph = coo_matrix((np.ones(sum(map(len, rows)), dtype=np.int8), (np.concatenate(rows), np.concatenate(columns))),
                       shape=(n, n))
    return connected_components(graph, directed=False)[1]


def mauve_over_seeds(real: np.ndarray, synthetic: np.ndarray, *, seed: int = 0,
                     seeds: int = MAUVE_SEEDS) -> dict[str, float | None]:
    """`mauve` (the mean of `mauve_score` over `seeds` k-means seeds from `seed`) and `mauve_std` (None for one)."""
    scores = [mauve_score(real, synthetic, seed=seed + offset) for offset in range(seeds)]
    if scores[0] is None:
        return {"mauve": None, "mauve_std": None}
    values = np.array(scores, dtype=float)
    return {"mauve": float(values.mean()), "mauve_std": float(values.std(ddof=1)) if len(values) > 1 else None}


def mauve_score(real: np.ndarray, synthetic: np.ndarray, *, seed: int = 0) -> float | None:
    """MAUVE between the two sets of vectors for one k-means seed (None below MAUVE_MIN_PER_SIDE rows per side)."""
    if min(len(real), len(synthetic)) < MAUVE_MIN_PER_SIDE:
        return None
    import mauve

    # One seeded k-means run of at most 100 iterations (the package's advice for speed). The package's defaults
    # (5 runs x 500) cost several times more and do not remove the seed noise: on real posts they move the
    # score by 0.06-0.09, so the caller averages over seeds instead.
    result = mauve.compute_mauve(
        p_features=real, q_features=synthetic, seed=seed, kmeans_num_redo=1, kmeans_max_iter=100, verbose=False
    )
    return float(result.mauve)


def _sample(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=limit, replace=False)) if n > limit else np.arange(n)
