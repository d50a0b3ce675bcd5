from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synth.metrics.lexical_posts as lexical_posts
import synth.metrics.multiplatform as multiplatform
import synth.metrics.reference as reference_module
from synth.embeddings.embedder import HashingEmbedder
from synth.errors import InputError
from synth.metrics.baseline import split_positions
from synth.metrics.evaluate import evaluate
from synth.metrics.lexical import compare_lexical, lexical_features
from synth.metrics.reference import Reference, fit_reference
from synth.text import count_features


def _posts(n: int, prefix: str, **extra: list[str]) -> pd.DataFrame:
    texts = [f"post {i} about the #vaccine with @clinic{i % 3} 🙂 https://x.co/{i}" for i in range(n)]
    platforms = ["twitter", "reddit", "youtube"] * (n // 3) + ["twitter"] * (n % 3)
    return pd.DataFrame({"post_id": [f"{prefix}{i}" for i in range(n)], "platform": platforms, "text": texts,
                         **extra})


def test_parts_match_the_functions_they_stand_for() -> None:
    real = _posts(31, "r")
    reference = Reference(real, seed=4)
    pd.testing.assert_frame_equal(reference.features, lexical_features(real))
    pd.testing.assert_frame_equal(reference.counts, count_features(real["text"]))
    for mine, theirs in zip(reference.halves, split_positions(real, seed=4), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert reference.vectors is None


def test_with_vectors_keeps_what_was_computed_and_checks_the_length() -> None:
    reference = Reference(_posts(9, "r"))
    analysed = reference.analysed
    fitted = reference.with_vectors(np.ones((9, 4)))
    assert fitted.analysed is analysed and fitted.vectors is not None and reference.vectors is None
    assert fitted.counts is reference.counts  # parts computed later are shared too
    with pytest.raises(InputError, match="8 embeddings for 9 posts"):
        reference.with_vectors(np.ones((8, 4)))


def test_a_reference_of_other_posts_or_seed_is_refused() -> None:
    real = _posts(12, "r")
    with pytest.raises(InputError, match="seed"):
        compare_lexical(real, _posts(6, "s"), seed=1, reference=Reference(real, seed=2))
    with pytest.raises(InputError, match="same posts"):
        fit_reference(real.head(5), reference=Reference(real))


def test_lexical_with_a_reference_equals_lexical_without() -> None:
    real, synthetic = _posts(30, "r"), _posts(12, "s")
    assert compare_lexical(real, synthetic, seed=2, reference=Reference(real, seed=2)) == compare_lexical(
        real, synthetic, seed=2
    )


def test_evaluate_by_model_tokenises_the_real_posts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _posts(45, "r")
    synthetic = _posts(24, "s", model=["alpha", "beta"] * 12)
    tokenised: list[int] = []
    counted: list[int] = []
    tokenize_series, count = lexical_posts.tokenize_series, reference_module.count_features

    def spy_tokenize(texts: pd.Series) -> pd.Series:
        tokenised.append(len(texts))
        return tokenize_series(texts)

    def spy_count(texts: pd.Series) -> pd.DataFrame:
        counted.append(len(texts))
        return count(texts)

    monkeypatch.setattr(lexical_posts, "tokenize_series", spy_tokenize)
    monkeypatch.setattr(reference_module, "count_features", spy_count)
    monkeypatch.setattr(multiplatform, "count_features", spy_count)
    metrics = evaluate(real, synthetic, embedder=HashingEmbedder(dim=32), seed=1, by="model")
    assert set(metrics["by_model"]) == {"alpha", "beta"}
    assert tokenised.count(len(real)) == 1  # pooled block and both models share one tokenisation
    assert counted.count(len(real)) == 1
    assert tokenised.count(len(synthetic)) >= 1 and tokenised.count(12) >= 2  # synthetic sides are their own


def test_affect_and_splits_are_fitted_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    import synth.metrics.affect as affect_module
    from synth.metrics.affect import affect_features, compare_affect
    from synth.metrics.baseline import split_seeds

    real = _posts(30, "r")
    reference = Reference(real, seed=2)
    for (first, second), seed in zip(reference.splits, split_seeds(2), strict=True):
        for mine, theirs in zip((first, second), split_positions(real, seed=seed), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    pd.testing.assert_frame_equal(reference.affect, affect_features(real))
    calls = []
    original = affect_module.affect_features
    monkeypatch.setattr(affect_module, "affect_features", lambda posts: calls.append(len(posts)) or original(posts))
    fitted = reference.with_vectors(np.ones((30, 4)))
    compare_affect(real, _posts(6, "s"), seed=2, reference=fitted)
    assert calls == [6]  # the synthetic posts only: the real side came from the reference


def test_real_only_results_are_computed_once_per_key_and_only_for_the_references_own_vectors() -> None:
    vectors = np.ones((9, 4))
    reference = Reference(_posts(9, "r")).with_vectors(vectors)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name

    assert reference.real_only(("a", "all"), lambda: compute("a")) == "a"
    assert reference.real_only(("a", "all"), lambda: compute("again"), vectors=vectors) == "a"
    assert reference.real_only(("a", "all"), lambda: compute("other"), vectors=vectors.copy()) == "other"
    assert reference.real_only(("b", "all"), lambda: compute("b")) == "b"
    assert calls == ["a", "other", "b"]
    assert reference.with_vectors(vectors).real_only(("a", "all"), lambda: compute("new copy")) == "new copy"


def test_evaluate_by_model_computes_each_baseline_once_and_a_block_equals_its_own_evaluation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import synth.metrics.semantic as semantic

    real = _posts(60, "r")
    synthetic = _posts(40, "s", model=["alpha", "beta"] * 20)
    seen: list[int] = []
    original = semantic._baseline_metrics

    def spy(halves, *, seed):  # type: ignore[no-untyped-def]
        seen.append(seed)
        return original(halves, seed=seed)

    monkeypatch.setattr(semantic, "_baseline_metrics", spy)
    embedder = HashingEmbedder(dim=32)
    metrics = evaluate(real, synthetic, embedder=embedder, seed=1, by="model")
    assert len(seen) == 4  # one per group ("all" and three platforms), shared by the pooled block and both models
    alone = evaluate(real, synthetic[synthetic["model"] == "alpha"], embedder=embedder, seed=1)
    for section in ("semantic", "privacy", "affect", "diversity", "detector"):
        assert metrics["by_model"]["alpha"][section] == alone[section]
