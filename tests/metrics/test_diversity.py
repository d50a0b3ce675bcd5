"""Diversity: exact values on tiny sets, self-BLEU equal to nltk's, identical sets at the real value."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from synth.metrics.diversity import DEFINITIONS, compare_diversity, describe_texts, self_bleu


def _posts(texts: list[str], platform: str = "twitter") -> pd.DataFrame:
    return pd.DataFrame({"post_id": [f"p{i}" for i in range(len(texts))], "platform": platform, "text": texts})


def test_text_measures_by_hand() -> None:
    values = describe_texts(pd.Series(["a b a", "a b", "A b!", "c"]))
    # unigrams: a b a | a b | a b | c -> 3 distinct of 8; bigrams: ab ba | ab | ab -> 2 of 4; trigrams 1 of 1
    assert values["distinct_1"] == pytest.approx(3 / 8)
    assert values["distinct_2"] == pytest.approx(2 / 4)
    assert values["distinct_3"] == 1.0
    assert values["repeated_share"] == 0.5  # "a b" and "A b!" normalise alike
    raw = b"a b a\na b\nA b!\nc"
    import gzip

    assert values["compression_ratio"] == pytest.approx(len(raw) / len(gzip.compress(raw, 9, mtime=0)))


def test_self_bleu_equals_nltk() -> None:
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    rng = random.Random(0)
    smoothing = SmoothingFunction().method1
    for _ in range(15):
        lists = [[rng.choice("abcde") for _ in range(rng.randint(0, 9))] for _ in range(rng.randint(2, 8))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nltk warns about zero counts
            expected = np.mean([sentence_bleu(lists[:i] + lists[i + 1:], lists[i], smoothing_function=smoothing)
                                for i in range(len(lists))])
        assert self_bleu(lists) == pytest.approx(expected, abs=1e-12)
    assert self_bleu([["a", "b", "c", "d"]] * 3) == pytest.approx(1.0)
    assert self_bleu([["a"]]) is None


def test_identical_sets_match_the_real_value_and_a_repetitive_set_does_not() -> None:
    words = ["vaccine", "dose", "clinic", "nurse", "queue", "arm", "sore", "booster", "today", "tomorrow", "week",
             "fever"]
    rng = random.Random(1)
    real = _posts([" ".join(rng.choice(words) for _ in range(8)) + f" {i}" for i in range(80)])
    vectors = np.random.default_rng(0).standard_normal((80, 16)).astype(np.float32)
    same = compare_diversity(real, real.copy(), real_embeddings=vectors, synthetic_embeddings=vectors.copy())["all"]
    for key in DEFINITIONS:
        assert same[key]["synthetic"] == pytest.approx(same[key]["real"]), key
        assert same[key]["baseline_std"] is not None, key
    repetitive = _posts(["vaccine dose clinic today"] * 40 + ["vaccine dose clinic tomorrow"] * 40)
    bad = compare_diversity(real, repetitive)["all"]
    assert bad["distinct_2"]["synthetic"] < bad["distinct_2"]["baseline"] <= 1
    assert bad["self_bleu"]["synthetic"] > bad["self_bleu"]["baseline"]
    assert bad["compression_ratio"]["synthetic"] > bad["compression_ratio"]["baseline"]
    assert bad["repeated_share"]["synthetic"] == 1.0 and bad["repeated_share"]["real"] == 0.0
    assert bad["within_cosine"]["synthetic"] is None  # no embeddings given
