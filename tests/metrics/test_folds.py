"""The fast stratified group folds are scikit-learn's StratifiedGroupKFold(shuffle=True) folds, row for row."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from synth.metrics._folds import stratified_group_folds


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "n_groups", "n_classes", "n_splits"),
                         [(40, 40, 2, 5), (300, 120, 2, 5), (500, 500, 2, 3), (200, 60, 3, 4), (30, 8, 2, 2)])
def test_same_folds_as_scikit_learn(seed: int, n: int, n_groups: int, n_classes: int, n_splits: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    groups = rng.integers(0, n_groups, n) * 7  # group ids need not be 0..n-1
    expected = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(
        np.zeros((n, 1)), labels, groups)
    got = stratified_group_folds(labels, groups, n_splits, seed)
    for (train, test), (want_train, want_test) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(test, want_test)
        np.testing.assert_array_equal(train, want_train)


def test_too_few_groups_is_an_error() -> None:
    with pytest.raises(ValueError, match="number of groups"):
        stratified_group_folds(np.array([0, 1, 0, 1]), np.array([1, 1, 1, 1]), 2, 0)
