"""Embedding-space primitives shared by the semantic and multi-platform metrics.

Rows are unit vectors, so a dot product is a cosine similarity and Euclidean distance is
sqrt(2 - 2 cos): every k-NN question is answered in similarity space with chunked matrix products, never
with an n x n matrix held in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synth.embeddings.embedder import normalise_rows
from synth.errors import InputError
from synth.metrics.lexical import UNKNOWN_PLATFORM
from synth.schema import PLATFORM, TEXT

if TYPE_CHECKING:
    from synth.metrics.reference import Reference

# Rows of the query block per matrix product: 16M similarities (64 MB) at most per block.
_BLOCK_CELLS = 16_000_000
# Ties in float32 dot products: a point on a ball's boundary (within a few float32 steps at 1.0, the noise
# of one dot product computed in two blocks) counts as OUTSIDE, as in Naeem et al. (2020) and the `prdc`
# package (distance < radius, strictly): a copy of a real post is inside the balls its twin is strictly
# inside, never in the ball its twin bounds. Wider would also drop genuine near-ties.
SIMILARITY_TOLERANCE = 1e-6


def small_linear_algebra() -> AbstractContextManager[object]:
    """One BLAS/OpenMP thread for small dense work (eigendecompositions, PCA, logistic regression, k-means):
    on a busy machine a second thread makes a 384 x 384 eigendecomposition 20x slower, and on an idle one
    it saves little at these sizes. Large matrix products are left to the default thread count."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def unit_rows(vectors: np.ndarray, rows: int, what: str) -> np.ndarray:
    """A float32, unit-length copy of `vectors`, checked to hold one row per post."""
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ValueError(f"{what}: expected one embedding row per post ({rows} rows), got shape {array.shape}")
    return normalise_rows(array)


def posts_and_vectors(posts: pd.DataFrame, embeddings: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one set of posts and its embeddings; return the unit-length vectors and each row's platform
    (posts without one under UNKNOWN_PLATFORM), as the semantic and multi-platform metrics take them.

    Raises:
        InputError: the posts lack a `platform` or `text` column.
        ValueError: the embeddings do not have one row per post.
    """
    missing = [column for column in (PLATFORM, TEXT) if column not in posts.columns]
    if missing:
        raise InputError(f"{side} posts: no {', '.join(missing)} column. Load them with synth.io.load_posts.")
    vectors = unit_rows(embeddings, len(posts), f"{side}_embeddings")
    platforms = posts[PLATFORM].astype("string").fillna(UNKNOWN_PLATFORM).to_numpy(dtype=object)
    return vectors, platforms


def blocks(queries: np.ndarray, reference_rows: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of query blocks small enough that a block x reference similarity matrix fits the budget."""
    size = max(1, _BLOCK_CELLS // max(1, reference_rows))
    for start in range(0, len(queries), size):
        yield start, min(start + size, len(queries))


def kth_neighbour_similarity(vectors: np.ndarray, k: int) -> np.ndarray:
    """For each row, its cosine to its k-th nearest *other* row (the k-NN radius of Naeem et al., 2020,
    in similarity space: larger similarity means a smaller ball)."""
    import torch

    n = len(vectors)
    out = np.empty(n, dtype=np.float32)
    for start, stop in blocks(vectors, n):
        similarities = vectors[start:stop] @ vectors.T
        similarities[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not its own neighbour
        # torch's top-k picks the same element as numpy's partition, several times faster for a small k.
        top = torch.topk(torch.from_numpy(similarities), k, dim=1, sorted=True).values
        out[start:stop] = top[:, k - 1].numpy()
    return out


KthNeighbours = Callable[[np.ndarray, int], np.ndarray]  # (vectors, k) -> kth_neighbour_similarity(vectors, k)


def kept_kth(reference: Reference, real_embeddings: np.ndarray, group: str) -> KthNeighbours:
    """`kth_neighbour_similarity` of the real posts of `group` ("all" or a platform), kept on the reference:
    the semantic metrics and the multi-platform coverage ask for the same radii, in every block."""
    def kth(vectors: np.ndarray, k: int) -> np.ndarray:
        return reference.real_only(("kth", group, len(vectors), k), partial(kth_neighbour_similarity, vectors, k),
                                   vectors=real_embeddings)

    return kth


def mean_pairwise_similarity(vectors: np.ndarray) -> float | None:
    """Mean cosine over all pairs of distinct rows, in O(n d): (|sum|^2 - sum |x|^2) / (n (n - 1))."""
    n = len(vectors)
    if n < 2:
        return None
    total = vectors.astype(np.float64).sum(axis=0)
    squared_norms = float(np.einsum("ij,ij->", vectors, vectors, dtype=np.float64))
    return float((total @ total - squared_norms) / (n * (n - 1)))


def centroid(vectors: np.ndarray) -> np.ndarray:
    """Mean of the rows, scaled to unit length (float64)."""
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else mean


def covered_by(real: np.ndarray, other: np.ndarray, k: int, *, kth: KthNeighbours | None = None) -> np.ndarray:
    """For each real row, whether some `other` row lies inside its k-NN ball among the real rows
    (Naeem et al.'s coverage, per point). All False when either set is too small to have a ball.
    `kth`: computes `kth_neighbour_similarity(real, k)` (or returns it kept from earlier; `kept_kth`)."""
    if len(real) < 2 or len(other) == 0:
        return np.zeros(len(real), dtype=bool)
    k = min(k, len(real) - 1)
    radius = (kth or kth_neighbour_similarity)(real, k) + SIMILARITY_TOLERANCE
    closest = np.full(len(real), -np.inf, dtype=np.float32)
    for start, stop in blocks(other, len(real)):
        closest = np.maximum(closest, (other[start:stop] @ real.T).max(axis=0))
    return closest > radius
