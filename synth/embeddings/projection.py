"""2-D maps of post embeddings: PCA (instant), UMAP and t-SNE, in the scikit-learn style.

Each projection stores its parameters in `__init__`, does its work in `fit` and leaves the 2-D coordinates
in `embedding_`. `project` adds a disk cache keyed by (a hash of the input array, method, parameters),
so a map is computed once per dataset and setting, by any process.

UMAP and t-SNE first reduce the vectors to `pca_dims` dimensions with PCA (most of the structure, a
fraction of the cost). UMAP then gets exact nearest neighbours from scikit-learn's brute-force search
(one BLAS matrix product, a couple of seconds for 20k posts) instead of building its own approximate
index: faster here and deterministic. UMAP's numba code compiles on its first call in a process (15-45 s);
`enable_umap_disk_cache` keeps the compiled code on disk (`$SYNTH_CACHE_DIR/numba`) so only the first process
on a machine pays it, and `warm_up_umap` pays it on a tiny array ahead of time.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from synth.errors import ConfigError, InputError
from synth.paths import CACHE_ENV, cache_dir

PCA = "pca"
UMAP = "umap"
TSNE = "tsne"
METHODS: tuple[str, ...] = (PCA, UMAP, TSNE)


def _check_vectors(vectors: object, *, min_rows: int) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise InputError(f"embeddings must be a 2-D array (posts x dimensions), got shape {array.shape}.")
    if array.shape[0] < min_rows:
        raise InputError(
            f"a map needs at least {min_rows} posts, got {array.shape[0]}. Load or generate more posts."
        )
    if not np.isfinite(array).all():
        raise InputError("embeddings contain NaN or infinite values; embed the posts again.")
    return array


def _reduce(vectors: np.ndarray, dims: int, random_state: int) -> np.ndarray:
    """PCA down to `dims` dimensions when the vectors have more (and there are enough rows)."""
    dims = min(dims, vectors.shape[0] - 1, vectors.shape[1])
    if dims >= vectors.shape[1]:
        return vectors
    from sklearn.decomposition import PCA as SkPCA

    return SkPCA(n_components=dims, random_state=random_state).fit_transform(vectors).astype(np.float32)


class Projection:
    """Base class: parameters in `__init__`, `fit(X)` sets `embedding_` (n_rows x 2, float32)."""

    method: str = ""
    min_rows: int = 3
    embedding_: np.ndarray

    def get_params(self) -> dict[str, Any]:
        """The parameters that determine the result (they key the disk cache)."""
        return {name: value for name, value in vars(self).items() if not name.endswith("_")}

    def fit(self, vectors: np.ndarray) -> Projection:
        raise NotImplementedError

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        """Fit and return `embedding_`."""
        return self.fit(vectors).embedding_


class PCAProjection(Projection):
    """The first two principal components: linear, instant, a faithful view of the largest variations.

    Args:
        random_state: seed of the randomised solver scikit-learn picks for large inputs.
    """

    method = PCA

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, vectors: np.ndarray) -> PCAProjection:
        from sklearn.decomposition import PCA as SkPCA

        array = _check_vectors(vectors, min_rows=self.min_rows)
        self.embedding_ = SkPCA(n_components=2, random_state=self.random_state).fit_transform(array)
        self.embedding_ = self.embedding_.astype(np.float32)
        return self


class UMAPProjection(Projection):
    """UMAP (umap-learn): neighbourhoods kept, clusters visible; distances between clusters mean little.

    Args:
        n_neighbors: neighbours per point; larger favours global structure (capped at n_rows - 1).
        min_dist: how tightly points may pack.
        n_epochs: optimisation rounds (None: umap-learn's default, 200 for large data).
        pca_dims: PCA dimensions before UMAP.
        random_state: seed; the same seed and data give the same map.
    """

    method = UMAP
    min_rows = 4

    def __init__(
        self,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        n_epochs: int | None = None,
        pca_dims: int = 50,
        random_state: int = 42,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.n_epochs = n_epochs
        self.pca_dims = pca_dims
        self.random_state = random_state

    def fit(self, vectors: np.ndarray) -> UMAPProjection:
        import warnings

        from sklearn.neighbors import NearestNeighbors

        array = _reduce(_check_vectors(vectors, min_rows=self.min_rows), self.pca_dims, self.random_state)
        enable_umap_disk_cache()
        if self.n_neighbors < 2:
            raise ConfigError(f"UMAP needs n_neighbors >= 2, got {self.n_neighbors}.")
        n_neighbors = min(self.n_neighbors, array.shape[0] - 1)
        distances, indices = NearestNeighbors(n_neighbors=n_neighbors).fit(array).kneighbors(array)
        import umap

        model = umap.UMAP(
            n_neighbors=n_neighbors, min_dist=self.min_dist, n_epochs=self.n_epochs,
            random_state=self.random_state, precomputed_knn=(indices, distances.astype(np.float32), None),
        )
        with warnings.catch_warnings():
            # "n_jobs overridden by setting random_state" and the missing search index are expected here.
            warnings.simplefilter("ignore", UserWarning)
            self.embedding_ = np.asarray(model.fit_transform(array), dtype=np.float32)
        return self


class TSNEProjection(Projection):
    """t-SNE (scikit-learn, Barnes-Hut): local clusters, slower than UMAP (minutes beyond ~10k posts).

    Args:
        perplexity: effective number of neighbours (capped below n_rows).
        pca_dims: PCA dimensions before t-SNE.
        random_state: seed.
    """

    method = TSNE
    min_rows = 4

    def __init__(self, perplexity: float = 30.0, pca_dims: int = 50, random_state: int = 42) -> None:
        self.perplexity = perplexity
        self.pca_dims = pca_dims
        self.random_state = random_state

    def fit(self, vectors: np.ndarray) -> TSNEProjection:
        from sklearn.manifold import TSNE as SkTSNE

        array = _reduce(_check_vectors(vectors, min_rows=self.min_rows), self.pca_dims, self.random_state)
        perplexity = min(self.perplexity, (array.shape[0] - 1) / 3)
        model = SkTSNE(n_components=2, perplexity=perplexity, init="pca", random_state=self.random_state)
        self.embedding_ = model.fit_transform(array).astype(np.float32)
        return self


_CLASSES: dict[str, type[Projection]] = {PCA: PCAProjection, UMAP: UMAPProjection, TSNE: TSNEProjection}


def make_projection(method: str, **params: Any) -> Projection:
    """Build the projection named `method` (one of METHODS) with `params`.

    Raises:
        ConfigError: unknown method or parameter.
    """
    cls = _CLASSES.get(method.lower())
    if cls is None:
        raise ConfigError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}.")
    try:
        return cls(**params)
    except TypeError as error:
        raise ConfigError(f"bad parameter for {method}: {error}") from None


def vectors_hash(vectors: np.ndarray) -> str:
    """A content hash of an array of vectors (shape, dtype and bytes): equal arrays give equal hashes."""
    array = np.ascontiguousarray(vectors)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype.str}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()[:32]


def default_cache_dir() -> Path:
    """`$SYNTH_CACHE_DIR/projections` when that variable is set, else `.synth-cache/projections`."""
    return cache_dir("projections")


def cache_path(data_key: str, projection: Projection, cache_dir: str | Path | None = None) -> Path:
    """Where the map of the data with key `data_key` made by `projection` is stored."""
    params = json.dumps(projection.get_params(), sort_keys=True)
    key = hashlib.sha256(f"{data_key}|{projection.method}|{params}".encode()).hexdigest()[:32]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / f"{projection.method}-{key}.npy"


def project(
    vectors: np.ndarray,
    method: str = PCA,
    *,
    data_key: str | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    **params: Any,
) -> np.ndarray:
    """The 2-D map of `vectors` by `method`, read from the disk cache when it was made before.

    Args:
        vectors: one row per post.
        method: one of METHODS.
        data_key: a key of `vectors` when the caller already has one (saves hashing them again).
        cache_dir: cache folder (default: `default_cache_dir()`).
        use_cache: False computes and stores nothing.
        **params: parameters of the projection class.

    Returns:
        float32 array (n_rows x 2).
    """
    projection = make_projection(method, **params)
    if not use_cache:
        return projection.fit_transform(vectors)
    path = cache_path(data_key or vectors_hash(np.asarray(vectors, dtype=np.float32)), projection, cache_dir)
    if path.is_file():
        cached = np.load(path, allow_pickle=False)
        if cached.shape == (len(vectors), 2):
            return cached
    result = projection.fit_transform(vectors)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, result, allow_pickle=False)
        partial.replace(path)  # atomic: a reader never sees half a file
    except OSError as error:
        raise ConfigError(f"cannot write the projection cache at {path} ({error}); set {CACHE_ENV}.") from error
    return result


_UMAP_MODULES = ("umap.umap_", "umap.layouts", "umap.utils", "umap.distances", "umap.sparse", "umap.spectral")
_disk_cache_lock = threading.Lock()
_disk_cache_dir: Path | None = None


def enable_umap_disk_cache() -> Path:
    """Keep umap-learn's numba-compiled functions on disk, so a new process loads them instead of compiling.

    umap-learn compiles its functions on first use in every process (30-60 s on two busy cores); it marks
    none of the expensive ones `cache=True` (pynndescent does). This turns numba's own on-disk cache on for
    them. Numba keys each entry by the function's source file (path and modification time), its argument
    types and the CPU, so an upgraded umap-learn or another machine compiles afresh rather than loading
    stale code. The folder is `$NUMBA_CACHE_DIR` when set, else `$SYNTH_CACHE_DIR/numba` (made absolute,
    chosen once per process). Safe to call often, from any thread.

    Returns:
        the folder numba caches into.
    """
    global _disk_cache_dir
    with _disk_cache_lock:
        if _disk_cache_dir is not None:
            return _disk_cache_dir
        import importlib

        from numba.core import config as numba_config
        from numba.core.registry import CPUDispatcher

        config: Any = numba_config  # its settings are made at run time, unknown to mypy

        # Imported first, so pynndescent's own `cache=True` functions keep numba's default place (beside
        # its source, where its signature-typed functions were compiled when it was installed).
        found = {  # by identity: a module also holds the functions it imports from another
            id(value): value
            for module in map(importlib.import_module, _UMAP_MODULES)
            for value in vars(module).values()
            if isinstance(value, CPUDispatcher)
        }
        dispatchers = list(found.values())
        functions = [dispatcher.py_func for dispatcher in dispatchers]
        previous = config.CACHE_DIR
        folder = previous or str(cache_dir("numba").resolve())  # NUMBA_CACHE_DIR wins
        # Numba reads its folder when a function's cache is made: set it for umap-learn's functions only.
        config.CACHE_DIR = folder
        try:
            for dispatcher in dispatchers:
                # Numba keys a cache file by the Python function, not by its compile options: where
                # umap-learn compiles one function twice (serial and parallel), only the serial one (the
                # one a seeded run uses) is cached, so neither can load the other's code.
                shared = functions.count(dispatcher.py_func) > 1
                if not (shared and dispatcher.targetoptions.get("parallel")):
                    dispatcher.enable_caching()
        except RuntimeError:  # no writable cache folder: the rest compile in memory, as before
            pass
        finally:
            config.CACHE_DIR = previous
        _disk_cache_dir = Path(folder)
        return _disk_cache_dir


def warm_up_umap() -> float:
    """Compile UMAP's numba code on a tiny array so the first real map does not pay for it.

    Returns:
        seconds spent.
    """
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    UMAPProjection(n_neighbors=5, n_epochs=10).fit(rng.normal(size=(64, 8)).astype(np.float32))
    return time.perf_counter() - start
