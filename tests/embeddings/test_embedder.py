from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from synth.embeddings.embedder import (
    CachedEmbedder,
    Embedder,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    default_cache_dir,
    get_default_embedder,
)


class CountingEmbedder:
    """Wraps an embedder and records every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed(texts)


def test_hashing_embedder_is_deterministic_unit_length_and_lexical() -> None:
    embedder = HashingEmbedder(dim=64)
    vectors = embedder.embed(["vaccine works #covid", "vaccine works #covid", "pizza delivery late", "!!!"])
    assert isinstance(embedder, Embedder)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(vectors, HashingEmbedder(dim=64).embed(["vaccine works #covid", "vaccine works #covid",
                                                                   "pizza delivery late", "!!!"]))
    assert vectors[0] @ vectors[1] == pytest.approx(1.0)
    assert not vectors[3].any()  # no token, zero vector


def test_cache_embeds_each_distinct_text_once_across_instances(tmp_path: Path) -> None:
    counting = CountingEmbedder(HashingEmbedder(dim=32))
    cached = CachedEmbedder(counting, tmp_path)
    first = cached.embed(["a b", "c d", "a b"])
    assert counting.calls == [["a b", "c d"]]
    assert (cached.hits, cached.misses) == (0, 2)

    again = CachedEmbedder(counting, tmp_path)  # a new process would see the same file
    second = again.embed(["c d", "e f", "a b"])
    assert counting.calls[-1] == ["e f"]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert (again.hits, again.misses) == (2, 1)
    assert cached.embed([]).shape == (0, 32)


def test_new_vectors_are_stored_a_chunk_at_a_time(tmp_path: Path) -> None:
    class FailsOnThirdCall(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            if len(self.calls) == 2:
                raise RuntimeError("interrupted")
            return super().embed(texts)

    texts = [f"text {i}" for i in range(10)]
    failing = FailsOnThirdCall(HashingEmbedder(dim=16))
    with pytest.raises(RuntimeError, match="interrupted"):
        CachedEmbedder(failing, tmp_path, write_every=4).embed(texts)
    resumed = CountingEmbedder(HashingEmbedder(dim=16))
    CachedEmbedder(resumed, tmp_path, write_every=4).embed(texts)
    assert resumed.calls == [texts[8:]]  # the two finished chunks were kept


def test_cache_is_keyed_by_model_name(tmp_path: Path) -> None:
    small, large = HashingEmbedder(dim=16), HashingEmbedder(dim=48)
    CachedEmbedder(small, tmp_path).embed(["same text"])
    assert CachedEmbedder(large, tmp_path).embed(["same text"]).shape == (1, 48)


def test_cache_rejects_an_embedder_returning_the_wrong_shape(tmp_path: Path) -> None:
    class Broken:
        name, dim = "broken", 4

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), 3), dtype=np.float32)

    with pytest.raises(ValueError, match="expected"):
        CachedEmbedder(Broken(), tmp_path).embed(["x"])


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SYNTH_CACHE_DIR", raising=False)
    assert default_cache_dir() == Path(".synth-cache") / "embeddings"
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "embeddings"


class SeededEmbedder:
    """Unit vectors drawn from a seeded generator: cheap to make 20k of, so the test times the cache only."""

    name, dim = "seeded-384", 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dim), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_warm_lookup_of_20k_cached_texts_embeds_nothing_again(tmp_path: Path) -> None:
    texts = [f"post number {i} about topic {i % 97}" for i in range(20_000)]
    cold = CachedEmbedder(SeededEmbedder(), tmp_path)
    vectors = cold.embed(texts)
    warm = CachedEmbedder(SeededEmbedder(), tmp_path)
    again = warm.embed(texts)
    # Every vector comes back from disk unchanged; benchmarks/bench_metrics.py reports how fast.
    assert np.array_equal(vectors, again) and warm.misses == 0


@pytest.mark.slow
def test_bundled_minilm_embeds_offline_with_meaningful_geometry(tmp_path: Path) -> None:
    model = SentenceTransformerEmbedder()
    assert (model.name, model.dim) == ("all-MiniLM-L6-v2", 384)
    vectors = CachedEmbedder(model, tmp_path).embed(
        ["The vaccine rollout starts next week.", "Vaccinations begin in a few days.", "My pizza arrived cold."]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_default_embedder_is_built_once() -> None:
    assert get_default_embedder() is get_default_embedder()
    assert get_default_embedder().name == "all-MiniLM-L6-v2"
