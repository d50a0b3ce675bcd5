"""Stratified group k-fold splits, the same folds as scikit-learn's `StratifiedGroupKFold(shuffle=True)`.

scikit-learn places each group in turn with a Python loop over the folds and a few small numpy calls per fold
(and lists each fold's rows with a Python loop over the posts): on thousands of singleton groups that was most
of the classifier tests' time. Here each group's candidate folds are scored in one vectorised step, with the
same arithmetic in the same order, so the folds are identical (checked against scikit-learn in the tests).
"""

from __future__ import annotations

import numpy as np


def stratified_group_folds(labels: np.ndarray, groups: np.ndarray, n_splits: int,
                           seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of each fold, as `StratifiedGroupKFold(n_splits, shuffle=True,
    random_state=seed).split(X, labels, groups)` yields them.

    Raises:
        ValueError: fewer groups than folds, or more folds than posts of every class (as scikit-learn).
    """
    _, label_codes, label_counts = np.unique(labels, return_inverse=True, return_counts=True)
    if np.all(n_splits > label_counts):
        raise ValueError(f"n_splits={n_splits} cannot be greater than the number of members in each class.")
    _, group_codes, group_sizes = np.unique(groups, return_inverse=True, return_counts=True)
    n_groups, n_classes = len(group_sizes), len(label_counts)
    if n_splits > n_groups:
        raise ValueError(f"Cannot have number of splits n_splits={n_splits} greater than the number of groups: "
                         f"{n_groups}.")
    counts_per_group = np.zeros((n_groups, n_classes))
    np.add.at(counts_per_group, (group_codes, label_codes), 1)
    # The same shuffle of the groups as scikit-learn (np.random.RandomState(seed).shuffle).
    order = np.arange(n_groups)
    np.random.RandomState(seed).shuffle(order)
    counts_per_group = counts_per_group[order]
    position = np.empty_like(order)
    position[order] = np.arange(n_groups)
    group_codes = position[group_codes]

    counts_per_fold = np.zeros((n_splits, n_classes))
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    candidates = np.arange(n_splits)
    for group in np.argsort(-np.std(counts_per_group, axis=1), kind="stable"):
        # Row i of `trial`: the folds' class counts if the group went to fold i; scored as scikit-learn does
        # (mean over classes of the spread over folds of each class's share).
        trial = np.repeat(counts_per_fold[None], n_splits, axis=0)
        trial[candidates, candidates] += counts_per_group[group]
        scores = np.std(trial / label_counts, axis=1).mean(axis=1)
        sizes = counts_per_fold.sum(axis=1)
        best, best_score, best_size = 0, np.inf, np.inf
        for fold in range(n_splits):
            score = scores[fold]
            # np.isclose's rule (rtol 1e-5, atol 1e-8); best_score is finite whenever it is reached.
            if score < best_score or (abs(score - best_score) <= 1e-8 + 1e-5 * abs(best_score)
                                      and sizes[fold] < best_size):
                best, best_score, best_size = fold, score, sizes[fold]
        counts_per_fold[best] += counts_per_group[group]
        fold_of_group[group] = best

    fold_of_row = fold_of_group[group_codes]
    return [(np.flatnonzero(fold_of_row != fold), np.flatnonzero(fold_of_row == fold)) for fold in range(n_splits)]
