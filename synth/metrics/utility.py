"""Utility and detectability: can a model trained on the synthetic posts do the real job, and can a detector
tell the synthetic posts from real ones?

- `compare_utility`: train on synthetic, test on real (TSTR) beside train on real, test on real (TRTR), on the
  same held-out real posts: the platform classifier, and the topic classifier where both sets have a `topic`
  column with two or more shared topics; each with TF-IDF + logistic regression (as InstaSynth does) and with
  logistic regression on the embeddings.
- `detector`: the classifier two-sample test as a detector's accuracy at telling synthetic from real posts,
  per platform and overall, with a bootstrap interval, beside the same detector on two real halves (~50%).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from synth.embeddings.embedder import normalise_rows
from synth.metrics._folds import stratified_group_folds
from synth.metrics._geometry import posts_and_vectors, small_linear_algebra
from synth.metrics.baseline import mean_and_spread
from synth.metrics.lexical import ALL
from synth.metrics.lexical_posts import post_texts
from synth.metrics.reference import Reference, fit_reference
from synth.metrics.semantic import CLASSIFIER_FOLDS, near_duplicate_groups

UTILITY_MAX_TRAIN = 3000
DETECTOR_MAX_PER_SIDE = 1500
DETECTOR_MIN_PER_SIDE = 20
BOOTSTRAP_REPLICATES = 1000
TOPIC = "topic"

DEFINITIONS: dict[str, str] = {
    "tstr_accuracy": "Train on synthetic, test on real: accuracy on held-out real posts (the second half of each "
    "real-vs-real split) of a classifier trained on the synthetic posts (a seeded sample as large as the TRTR "
    f"training set, at most {UTILITY_MAX_TRAIN}); mean over the splits. Test posts are those whose label both "
    "training sets hold. Classifiers: 'tfidf' = scikit-learn TfidfVectorizer (defaults) + LogisticRegression "
    "(max_iter=1000); 'embedding' = LogisticRegression on the post embeddings.",
    "trtr_accuracy": "Train on real, test on real: the same classifier trained on the first real half (at most "
    f"{UTILITY_MAX_TRAIN} posts), tested on the same held-out posts: the baseline TSTR is read against.",
    "tstr_macro_f1": "Macro-averaged F1 of the TSTR classifier on the same test posts (each label weighs the same).",
    "trtr_macro_f1": "Macro-averaged F1 of the TRTR classifier.",
    "utility_ratio": "tstr_accuracy / trtr_accuracy: 1 when synthetic posts train as good a classifier as real ones.",
    "detector_accuracy": "Accuracy of a detector telling synthetic from real posts: logistic regression "
    "(class_weight='balanced') on the embeddings, out-of-fold predictions of "
    f"{CLASSIFIER_FOLDS}-fold stratified cross-validation with near copies in one fold (as classifier_auc), on "
    f"equal seeded samples of each side (at most {DETECTOR_MAX_PER_SIDE}), so chance is 50%. 50% means "
    "undetectable; published 'computational Turing tests' find 70-80% for open models. Needs "
    f"{DETECTOR_MIN_PER_SIDE} posts per side.",
    "detector_interval": f"95% percentile bootstrap interval of detector_accuracy ({BOOTSTRAP_REPLICATES} seeded "
    "resamples of the posts' correct/incorrect outcomes).",
    "detector_baseline": "The same detector telling the first real half from the second (first split): about 50%, "
    "with its own interval.",
}


def compare_utility(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, real_embeddings: np.ndarray | None = None,
    synthetic_embeddings: np.ndarray | None = None, seed: int = 0, reference: Reference | None = None,
) -> dict[str, Any]:
    """TSTR beside TRTR for the platform and topic classifiers (see the module docstring and DEFINITIONS).

    Without embeddings only the TF-IDF classifier runs (the embedding block says so).

    Returns:
        `{"platform": {"tfidf": {...}, "embedding": {...}} or {"note": why not}, "topic": the same}`, each
        classifier block holding the keys of DEFINITIONS from tstr_accuracy to utility_ratio (means over the
        splits; `_std` their spread), `labels` and `n_train`.
    """
    if real_embeddings is None or synthetic_embeddings is None:
        real_vectors, synthetic_vectors = np.zeros((len(real), 0)), np.zeros((len(synthetic), 0))
        kinds: tuple[str, ...] = ("tfidf",)
    else:
        real_vectors, _ = posts_and_vectors(real, real_embeddings, "real")
        synthetic_vectors, _ = posts_and_vectors(synthetic, synthetic_embeddings, "synthetic")
        kinds = ("tfidf", "embedding")
    reference = fit_reference(real, seed=seed, reference=reference)
    texts = (post_texts(real).to_numpy(dtype=object), post_texts(synthetic).to_numpy(dtype=object))
    vectors = (real_vectors, synthetic_vectors)
    result: dict[str, Any] = {}
    for task, column in (("platform", "platform"), ("topic", TOPIC)):
        if column not in real.columns or column not in synthetic.columns:
            result[task] = {"note": f"no '{column}' column in both sets"}
            continue
        labels = (real[column].astype("string").to_numpy(dtype=object),
                  synthetic[column].astype("string").to_numpy(dtype=object))
        shared = sorted(set(labels[0][pd.notna(labels[0])]) & set(labels[1][pd.notna(labels[1])]))
        if len(shared) < 2:
            result[task] = {"note": f"fewer than two {column} values in both sets ({', '.join(shared) or 'none'})"}
            continue
        result[task] = {kind: _tstr(kind, texts, vectors, labels, shared, reference.splits, seed) for kind in kinds}
        if "embedding" not in kinds:
            result[task]["embedding"] = {"note": "no embeddings given"}
    return result


def _tstr(kind: str, texts: tuple[np.ndarray, np.ndarray], vectors: tuple[np.ndarray, np.ndarray],
          labels: tuple[np.ndarray, np.ndarray], shared: list[str], splits: list[tuple[np.ndarray, np.ndarray]],
          seed: int) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(seed)
    real_ok = np.isin(labels[0], shared)
    synthetic_rows = np.flatnonzero(np.isin(labels[1], shared))
    scores: dict[str, list[float]] = {key: [] for key in ("tstr_accuracy", "trtr_accuracy", "tstr_macro_f1",
                                                          "trtr_macro_f1")}
    n_train = 0
    for first, second in splits:
        train_real = first[real_ok[first]]
        test = second[real_ok[second]]
        n_train = min(len(train_real), len(synthetic_rows), UTILITY_MAX_TRAIN)
        train_real = np.sort(rng.choice(train_real, n_train, replace=False))
        train_synthetic = np.sort(rng.choice(synthetic_rows, n_train, replace=False))
        if len(test) == 0 or len(set(labels[0][train_real])) < 2 or len(set(labels[1][train_synthetic])) < 2:
            continue
        for name, side, rows in (("trtr", 0, train_real), ("tstr", 1, train_synthetic)):
            predicted = _fit_predict(kind, (texts[side][rows], vectors[side][rows]), labels[side][rows],
                                     (texts[0][test], vectors[0][test]))
            scores[f"{name}_accuracy"].append(float(accuracy_score(labels[0][test], predicted)))
            scores[f"{name}_macro_f1"].append(float(f1_score(labels[0][test], predicted, average="macro")))
    block: dict[str, Any] = {"labels": shared, "n_train": n_train}
    for key, values in scores.items():
        block[key], block[f"{key}_std"] = mean_and_spread(list(values))
    tstr, trtr = block["tstr_accuracy"], block["trtr_accuracy"]
    block["utility_ratio"] = tstr / trtr if tstr is not None and trtr else None
    return block


def _fit_predict(kind: str, train: tuple[np.ndarray, np.ndarray], labels: np.ndarray,
                 test: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000)
    with small_linear_algebra():
        if kind == "tfidf":
            vectoriser = TfidfVectorizer()
            model.fit(vectoriser.fit_transform(train[0]), labels)
            return np.asarray(model.predict(vectoriser.transform(test[0])))
        model.fit(train[1], labels)
        return np.asarray(model.predict(test[1]))


def detector(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, real_embeddings: np.ndarray, synthetic_embeddings: np.ndarray,
    seed: int = 0, reference: Reference | None = None,
) -> dict[str, dict[str, Any]]:
    """The detector headline per group ("all" and each platform): `detector_accuracy`, `detector_interval`
    ([low, high]), `detector_baseline` and `detector_baseline_interval`, `n_per_side`; None where a side has
    fewer than DETECTOR_MIN_PER_SIDE posts."""
    real_vectors, real_platforms = posts_and_vectors(real, real_embeddings, "real")
    synthetic_vectors, synthetic_platforms = posts_and_vectors(synthetic, synthetic_embeddings, "synthetic")
    reference = fit_reference(real, seed=seed, reference=reference)
    first, second = reference.halves
    real_texts = post_texts(real).to_numpy(dtype=object)
    synthetic_texts = post_texts(synthetic).to_numpy(dtype=object)
    result: dict[str, dict[str, Any]] = {}
    for group in [ALL, *sorted(set(real_platforms) | set(synthetic_platforms))]:
        real_rows = np.arange(len(real)) if group == ALL else np.flatnonzero(real_platforms == group)
        synthetic_rows = np.arange(len(synthetic)) if group == ALL else np.flatnonzero(synthetic_platforms == group)
        a, b = np.intersect1d(first, real_rows), np.intersect1d(second, real_rows)
        accuracy, interval, n = detector_accuracy(real_vectors[real_rows], synthetic_vectors[synthetic_rows],
                                                  real_texts[real_rows], synthetic_texts[synthetic_rows], seed=seed)
        # Real half against real half: kept on the reference for later blocks.
        baseline, baseline_interval, _ = reference.real_only(
            ("detector", group), partial(detector_accuracy, real_vectors[a], real_vectors[b], real_texts[a],
                                         real_texts[b], seed=seed),
            vectors=real_embeddings)
        result[group] = {"detector_accuracy": accuracy, "detector_interval": interval, "n_per_side": n,
                         "detector_baseline": baseline, "detector_baseline_interval": baseline_interval}
    return result


def detector_accuracy(real: np.ndarray, synthetic: np.ndarray, real_texts: np.ndarray, synthetic_texts: np.ndarray,
                      *, seed: int = 0) -> tuple[float | None, list[float] | None, int]:
    """(accuracy, [2.5%, 97.5%] bootstrap interval, posts per side) of the out-of-fold detector (rows are
    normalised to unit length first)."""
    from sklearn.linear_model import LogisticRegression

    n = min(len(real), len(synthetic), DETECTOR_MAX_PER_SIDE)
    if n < DETECTOR_MIN_PER_SIDE:
        return None, None, n
    rng = np.random.default_rng(seed)
    real_rows = np.sort(rng.choice(len(real), n, replace=False))
    synthetic_rows = np.sort(rng.choice(len(synthetic), n, replace=False))
    features = normalise_rows(np.vstack([real[real_rows], synthetic[synthetic_rows]]))
    labels = np.r_[np.zeros(n, int), np.ones(n, int)]
    groups = near_duplicate_groups(features, np.concatenate([real_texts[real_rows], synthetic_texts[synthetic_rows]]))
    folds = min(CLASSIFIER_FOLDS, len(np.unique(groups)))
    if folds < 2:
        return None, None, n
    correct = np.zeros(len(labels), dtype=bool)
    scored = np.zeros(len(labels), dtype=bool)
    with small_linear_algebra():
        for train, test in stratified_group_folds(labels, groups, folds, seed):
            if len(set(labels[train])) < 2:
                continue
            model = LogisticRegression(max_iter=1000, class_weight="balanced").fit(features[train], labels[train])
            correct[test] = model.predict(features[test]) == labels[test]
            scored[test] = True
    outcomes = correct[scored].astype(float)
    if not len(outcomes):
        return None, None, n
    resamples = rng.integers(0, len(outcomes), size=(BOOTSTRAP_REPLICATES, len(outcomes)))
    means = outcomes[resamples].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(outcomes.mean()), [float(low), float(high)], n
