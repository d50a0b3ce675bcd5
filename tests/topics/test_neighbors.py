"""The exact cosine neighbours topic discovery hands to UMAP (instead of UMAP's own search)."""

from __future__ import annotations

import numpy as np
import pytest

from synth.embeddings.embedder import normalise_rows
from synth.topics.discover import exact_cosine_neighbors


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    rng = np.random.default_rng(3)
    rows = normalise_rows(rng.normal(size=(40, 6)))
    return np.concatenate([rows, rows[:2]])  # rows 40 and 41 repeat rows 0 and 1: exact ties


def test_neighbours_are_the_nearest_by_cosine_nearest_first_and_itself_first(vectors: np.ndarray) -> None:
    indices, distances = exact_cosine_neighbors(vectors, 5)
    assert indices.shape == distances.shape == (len(vectors), 5)
    assert indices.dtype == np.int64 and distances.dtype == np.float32
    assert (indices[:, 0] == np.arange(len(vectors))).all()  # itself first, even beside its duplicate
    assert (distances[:, 0] == 0).all()
    assert (np.diff(distances, axis=1) >= 0).all()
    full = 1 - vectors @ vectors.T
    for row in range(len(vectors)):
        expected = np.sort(full[row])[:5]
        np.testing.assert_allclose(distances[row], np.clip(expected, 0, 2), atol=1e-5)
        np.testing.assert_allclose(full[row, indices[row]], distances[row], atol=1e-5)
    assert indices[0, 1] == 40 and indices[41, 1] == 1  # a duplicate is the nearest other post


def test_blocks_do_not_change_the_result(vectors: np.ndarray) -> None:
    whole = exact_cosine_neighbors(vectors, 4)
    blocked = exact_cosine_neighbors(vectors, 4, block=7)
    np.testing.assert_array_equal(whole[0], blocked[0])
    np.testing.assert_array_equal(whole[1], blocked[1])


def test_umap_gets_exact_neighbours_below_its_small_data_threshold_and_searches_itself_above(
    vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synth.topics import discover

    indices, distances, index = discover._umap_neighbours(vectors, 4)
    np.testing.assert_array_equal(indices, exact_cosine_neighbors(vectors, 4)[0])
    assert index is None
    monkeypatch.setattr(discover, "UMAP_SMALL_DATA", len(vectors))
    assert discover._umap_neighbours(vectors, 4) == (None, None, None)  # umap-learn's default: NN-descent
