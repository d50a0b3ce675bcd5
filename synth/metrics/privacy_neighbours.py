"""Nearest real neighbours of synthetic posts: character n-gram Jaccard and embedding cosine, exact and
chunked (a chunk of queries against every reference at once), so 10k x 10k posts fit in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

NGRAM_SIZE = 5
_CELLS_PER_CHUNK = 4_000_000  # query x reference similarities held at once (a few float64 arrays of this size)


def _chunk_rows(n_reference: int) -> int:
    """How many queries to compare with every reference at once, so memory stays bounded as sets grow."""
    return max(1, min(512, _CELLS_PER_CHUNK // max(n_reference, 1)))


def ngram_neighbours(
    reference: pd.Series, queries: pd.Series, within: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each query text, the highest character n-gram Jaccard index with any reference text and the
    position of that reference text (0.0 and -1 when the query or every reference has no n-gram).

    Args:
        reference: normalised reference texts.
        queries: normalised query texts.
        within: optional boolean mask over `reference`: only those texts are candidates.
    """
    mask = within if within is not None else np.ones(len(reference), dtype=bool)
    return best_ngram_neighbours(reference, queries, [mask])[0]


def shingle_matrix(texts: pd.Series, n: int = NGRAM_SIZE) -> sparse.csr_matrix:
    """Binary matrix of texts x character n-grams (columns: 64-bit hashes of the n-grams, numbered in order
    of first appearance). Built with numpy over the concatenated code points: no Python loop per n-gram."""
    values = [str(t).replace("\x00", " ") for t in texts]
    codes = np.frombuffer("\x00".join(values).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    separators = np.concatenate([[0], np.cumsum(codes == 0)])
    starts = np.arange(max(len(codes) - n + 1, 0))
    valid = separators[starts + n] - separators[starts] == 0
    hashed = np.zeros(len(starts), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(n):  # polynomial hash, wrapping modulo 2**64
            hashed = hashed * np.uint64(1_000_003) + codes[starts + offset]
    documents = separators[starts][valid].astype(np.int64)
    ids, _ = pd.factorize(hashed[valid])
    width = int(ids.max()) + 1 if len(ids) else 0
    # Building the matrix sums repeated (text, n-gram) pairs; setting every stored value to 1 makes it binary.
    matrix = sparse.csr_matrix(
        (np.ones(len(ids)), (documents, ids)), shape=(len(values), width), dtype=np.float64
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def best_ngram_neighbours(
    reference: pd.Series, queries: pd.Series, candidate_masks: list[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`ngram_neighbours` for several candidate subsets (boolean masks) of the reference at once, from one
    matrix product: one (similarity, position) pair of arrays per mask."""
    results = [(np.zeros(len(queries)), np.full(len(queries), -1, dtype=np.int64)) for _ in candidate_masks]
    matrix = shingle_matrix(pd.concat([reference, queries], ignore_index=True))
    if matrix.shape[1] == 0:
        return results
    reference_matrix, query_matrix = matrix[: len(reference)], matrix[len(reference) :]
    reference_sizes = np.asarray(reference_matrix.sum(axis=1)).ravel()
    query_sizes = np.asarray(query_matrix.sum(axis=1)).ravel()
    reference_t = reference_matrix.T.tocsr()  # CSR @ CSR: no conversion inside the loop
    rows = _chunk_rows(len(reference))
    for start in range(0, len(queries), rows):
        stop = min(start + rows, len(queries))
        shared = (query_matrix[start:stop] @ reference_t).toarray()
        union = query_sizes[start:stop, None] + reference_sizes[None, :] - shared
        jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        for mask, (best, best_at) in zip(candidate_masks, results, strict=True):
            if not mask.any():
                continue
            columns = np.flatnonzero(mask)
            candidates = jaccard if len(columns) == len(mask) else jaccard[:, columns]
            at = candidates.argmax(axis=1)
            top = candidates[np.arange(len(at)), at]
            best[start:stop] = top
            best_at[start:stop] = np.where(top > 0, columns[at], -1)
    return results


def embedding_neighbours(reference: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query embedding, the highest cosine similarity with any reference embedding and its row."""
    reference = _unit_rows(reference)
    queries = _unit_rows(queries)
    best = np.empty(len(queries))
    best_at = np.empty(len(queries), dtype=np.int64)
    rows = _chunk_rows(len(reference))
    for start in range(0, len(queries), rows):
        cosine = queries[start : start + rows] @ reference.T
        at = cosine.argmax(axis=1)
        best_at[start : start + rows] = at
        best[start : start + rows] = cosine[np.arange(len(at)), at]
    return best, best_at


def best_embedding_neighbours(
    reference: np.ndarray, queries: np.ndarray, candidate_masks: list[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`embedding_neighbours` for several candidate subsets (boolean masks, none empty) of the reference rows
    at once, from one matrix product: one (similarity, row) pair of arrays per mask."""
    reference = _unit_rows(reference)
    queries = _unit_rows(queries)
    results = [(np.empty(len(queries)), np.empty(len(queries), dtype=np.int64)) for _ in candidate_masks]
    rows = _chunk_rows(len(reference))
    for start in range(0, len(queries), rows):
        cosine = queries[start : start + rows] @ reference.T
        for mask, (best, best_at) in zip(candidate_masks, results, strict=True):
            columns = np.flatnonzero(mask)
            candidates = cosine if len(columns) == len(mask) else cosine[:, columns]
            at = candidates.argmax(axis=1)
            best[start : start + rows] = candidates[np.arange(len(at)), at]
            best_at[start : start + rows] = columns[at]
    return results


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
