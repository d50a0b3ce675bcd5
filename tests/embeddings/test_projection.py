"""Projections: shapes, seeds, the disk cache and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synth.embeddings.projection import (
    PCAProjection,
    TSNEProjection,
    UMAPProjection,
    cache_path,
    make_projection,
    project,
    vectors_hash,
)
from synth.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    # Two well separated blobs of 30 points in 12 dimensions.
    rng = np.random.default_rng(7)
    first = rng.normal(0.0, 0.1, size=(30, 12))
    second = rng.normal(0.0, 0.1, size=(30, 12)) + 3.0
    return np.vstack([first, second]).astype(np.float32)


def test_pca_shape_dtype_and_separation(vectors: np.ndarray) -> None:
    embedding = PCAProjection().fit(vectors).embedding_
    assert embedding.shape == (60, 2)
    assert embedding.dtype == np.float32
    # The blobs differ along the first component: all of one blob on one side.
    first, second = embedding[:30, 0], embedding[30:, 0]
    assert first.max() < second.min() or second.max() < first.min()


def test_pca_is_deterministic(vectors: np.ndarray) -> None:
    np.testing.assert_array_equal(PCAProjection().fit_transform(vectors), PCAProjection().fit_transform(vectors))


@pytest.mark.slow  # usually under a second, but up to 25 s on a busy 2-core machine
def test_tsne_shape_and_seed(vectors: np.ndarray) -> None:
    first = TSNEProjection(perplexity=5, random_state=1).fit_transform(vectors)
    again = TSNEProjection(perplexity=5, random_state=1).fit_transform(vectors)
    assert first.shape == (60, 2)
    np.testing.assert_allclose(first, again)


@pytest.mark.slow
def test_umap_shape_seed_and_clusters(vectors: np.ndarray) -> None:
    first = UMAPProjection(n_neighbors=5, n_epochs=50, random_state=3).fit_transform(vectors)
    again = UMAPProjection(n_neighbors=5, n_epochs=50, random_state=3).fit_transform(vectors)
    assert first.shape == (60, 2)
    np.testing.assert_allclose(first, again)
    # Each point's nearest map neighbour is in its own blob.
    distances = np.linalg.norm(first[:, None, :] - first[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert ((nearest < 30) == (np.arange(60) < 30)).all()


def test_project_caches_on_disk(vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = project(vectors, "pca", cache_dir=tmp_path)
    path = cache_path(vectors_hash(vectors), PCAProjection(), tmp_path)
    assert path.is_file()
    # A cache hit reads the file: prove it by planting a different array there.
    planted = np.ones((60, 2), dtype=np.float32)
    np.save(path, planted)
    np.testing.assert_array_equal(project(vectors, "pca", cache_dir=tmp_path), planted)
    assert not np.array_equal(first, planted)
    # Other parameters or other data are other entries.
    assert cache_path(vectors_hash(vectors), PCAProjection(random_state=1), tmp_path) != path
    assert cache_path(vectors_hash(vectors[:-1]), PCAProjection(), tmp_path) != path


def test_project_default_cache_dir_follows_env(
    vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path))
    project(vectors, "pca")
    assert len(list((tmp_path / "projections").glob("pca-*.npy"))) == 1


def test_vectors_hash_changes_with_content(vectors: np.ndarray) -> None:
    changed = vectors.copy()
    changed[0, 0] += 1
    assert vectors_hash(vectors) == vectors_hash(vectors.copy())
    assert vectors_hash(vectors) != vectors_hash(changed)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros(5), "2-D"),
        (np.zeros((2, 4)), "at least 3 posts"),
        (np.array([[0.0, np.nan], [1, 2], [3, 4], [5, 6]]), "NaN"),
    ],
)
def test_bad_vectors_raise_input_error(bad: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        PCAProjection().fit(bad)


def test_unknown_method_and_parameter() -> None:
    with pytest.raises(ConfigError, match="choose one of pca, umap, tsne"):
        make_projection("mds")
    with pytest.raises(ConfigError, match="bad parameter"):
        make_projection("pca", n_neighbors=3)
    assert isinstance(make_projection("UMAP", n_neighbors=4), UMAPProjection)


UMAP_CACHE_PROBE = """
import json, numba, umap.layouts
from synth.embeddings.projection import enable_umap_disk_cache
folder = enable_umap_disk_cache()
umap.layouts.clip(3.0)  # compiles one small function, which lands in the disk cache
print(json.dumps({
    "folder": str(folder),
    "again": str(enable_umap_disk_cache()),
    "numba_cache_dir_after": numba.config.CACHE_DIR,
    "serial": type(umap.layouts._nb_optimize_layout_euclidean_single_epoch._cache).__name__,
    "parallel": type(umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel._cache).__name__,
}))
"""


# With NUMBA_CACHE_DIR set, pynndescent's eagerly typed functions compile into the empty folder at import: slow.
@pytest.mark.parametrize("numba_env", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_umap_disk_cache_in_the_synth_cache_or_numba_cache_dir(tmp_path: Path, numba_env: bool) -> None:
    import json
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environment["SYNTH_CACHE_DIR"] = str(tmp_path / "synth")
    expected = tmp_path / "synth" / "numba"
    if numba_env:
        expected = tmp_path / "numba-elsewhere"
        environment["NUMBA_CACHE_DIR"] = str(expected)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", UMAP_CACHE_PROBE], env=environment | {"PYTHONPATH": str(root)}, cwd=tmp_path,
        capture_output=True, text=True, timeout=300, check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["folder"] == report["again"] == str(expected)
    assert list(expected.glob("umap_*/layouts.clip-*.nbi"))  # the compiled function was stored
    # Only umap-learn's functions were pointed at the folder: numba's global setting is left as it was.
    assert report["numba_cache_dir_after"] == (str(expected) if numba_env else "")
    # One function compiled serial and parallel shares one cache file name: only the serial one is cached.
    assert report["serial"] == "FunctionCache" and report["parallel"] == "NullCache"
