"""TSTR beside TRTR, and the detector headline: exact values where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.metrics.utility import compare_utility, detector, detector_accuracy

PLATFORMS = ("twitter", "reddit")
WORDS = {"twitter": "lol rt followers trending", "reddit": "upvote subreddit thread op"}


def _posts(n: int, prefix: str, swap: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    platforms = [PLATFORMS[i % 2] for i in range(n)]
    styled = [PLATFORMS[1 - i % 2] if swap else p for i, p in enumerate(platforms)]
    texts = [f"{WORDS[s]} {prefix} {i}" for i, s in enumerate(styled)]
    rng = np.random.default_rng(len(prefix))
    centres = {"twitter": np.r_[np.ones(8), np.zeros(8)], "reddit": np.r_[np.zeros(8), np.ones(8)]}
    vectors = np.stack([centres[s] for s in styled]) + 0.3 * rng.standard_normal((n, 16))
    frame = pd.DataFrame({"post_id": [f"{prefix}{i}" for i in range(n)], "platform": platforms, "text": texts,
                          "topic": ["vaccines" if i % 3 else "travel" for i in range(n)]})
    return frame, vectors.astype(np.float32)


def test_faithful_synthetic_posts_train_as_well_as_real_ones_and_swapped_ones_fail() -> None:
    real, real_vectors = _posts(80, "real")
    good, good_vectors = _posts(60, "synthetic")
    result = compare_utility(real, good, real_embeddings=real_vectors, synthetic_embeddings=good_vectors)
    for kind in ("tfidf", "embedding"):
        block = result["platform"][kind]
        assert block["labels"] == ["reddit", "twitter"]
        assert block["tstr_accuracy"] == block["trtr_accuracy"] == 1.0 and block["utility_ratio"] == 1.0
    assert set(result["topic"]) == {"tfidf", "embedding"}  # two topics shared: the topic classifier runs
    swapped, swapped_vectors = _posts(60, "synthetic", swap=True)
    bad = compare_utility(real, swapped, real_embeddings=real_vectors, synthetic_embeddings=swapped_vectors)
    for kind in ("tfidf", "embedding"):
        assert bad["platform"][kind]["tstr_accuracy"] == 0.0 and bad["platform"][kind]["trtr_accuracy"] == 1.0


def test_utility_says_why_a_classifier_cannot_run() -> None:
    real, vectors = _posts(40, "real")
    one_platform = real[real["platform"] == "twitter"].drop(columns="topic")
    result = compare_utility(real, one_platform, real_embeddings=vectors,
                             synthetic_embeddings=vectors[real["platform"].to_numpy() == "twitter"])
    assert result["platform"] == {"note": "fewer than two platform values in both sets (twitter)"}
    assert result["topic"] == {"note": "no 'topic' column in both sets"}


def test_detector_is_at_chance_on_copies_and_perfect_on_disjoint_sets() -> None:
    real, vectors = _posts(80, "real")
    texts = real["text"].to_numpy(dtype=object)
    # Copies share a fold and a feature vector: the detector gives both the same label, one right, one wrong.
    accuracy, interval, n = detector_accuracy(vectors, vectors.copy(), texts, texts.copy())
    assert (accuracy, n) == (0.5, 80)
    assert interval is not None and interval[0] < 0.5 < interval[1]
    far = vectors + np.r_[np.zeros(15), 50.0].astype(np.float32)
    assert detector_accuracy(vectors, far, texts, np.array([f"x{i}" for i in range(80)], dtype=object))[0] == 1.0
    assert detector_accuracy(vectors[:5], vectors[:5], texts[:5], texts[:5])[0] is None  # too few posts


def test_detector_groups_and_baseline() -> None:
    real, vectors = _posts(80, "real")
    synthetic, synthetic_vectors = _posts(60, "synthetic")
    result = detector(real, synthetic, real_embeddings=vectors, synthetic_embeddings=synthetic_vectors)
    assert list(result) == ["all", "reddit", "twitter"]
    for group in result.values():
        low, high = group["detector_baseline_interval"]
        assert low <= group["detector_baseline"] <= high
    assert result["all"]["n_per_side"] == 60
    assert result["all"]["detector_baseline"] == pytest.approx(0.5, abs=0.2)
