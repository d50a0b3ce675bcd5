"""Affect and offensiveness: exact values on tiny frames, identical sets at the best value, and a sanitised
synthetic set (offensive words removed, positive words added) moving the metrics the right way."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synth.metrics.affect import DEFINITIONS, EMOTIONS, affect_features, compare_affect, describe_affect


def _posts(texts: list[str], platform: str | list[str] = "twitter") -> pd.DataFrame:
    platforms = platform if isinstance(platform, list) else [platform] * len(texts)
    return pd.DataFrame({"post_id": [f"p{i}" for i in range(len(texts))], "platform": platforms, "text": texts})


def test_per_post_affect_exact_values() -> None:
    features = affect_features(pd.Series(["I hate this stupid fucking queue", "What a lovely happy day!",
                                          "the bus is at noon"], index=[7, 8, 9]))
    assert features.index.tolist() == [7, 8, 9]
    # VADER compound scores of vaderSentiment 3.3.2 (a lexicon and rules: deterministic).
    assert features["compound"].tolist() == [-0.8271, 0.8313, 0.0]
    # NRC: hate -> anger, disgust, fear, sadness; lovely -> anticipation, joy, sadness, surprise, trust;
    # happy -> anticipation, joy, trust. "stupid", "queue", "bus", "noon", "day" carry no emotion.
    assert features.loc[7, list(EMOTIONS)].tolist() == [1, 0, 1, 1, 0, 1, 0, 0]
    assert features.loc[8, list(EMOTIONS)].tolist() == [0, 2, 0, 0, 2, 1, 1, 2]
    assert features["emotion_words"].tolist() == [1, 2, 0]
    assert features.loc[7, "offensive"] > 0.5 > features.loc[8, "offensive"]


def test_set_metrics_by_hand() -> None:
    features = pd.DataFrame({"compound": [0.5, 0.05, 0.0, -0.05, -0.9], "offensive": [0.9, 0.1, 0.2, 0.6, 0.0],
                             **{e: [0] * 5 for e in EMOTIONS}, "emotion_words": [1, 0, 0, 0, 0]})
    features.loc[0, ["joy", "trust"]] = [3, 1]
    values = describe_affect(features)
    assert values["sentiment_compound_mean"] == pytest.approx(-0.4 / 5)
    assert (values["sentiment_positive_share"], values["sentiment_neutral_share"],
            values["sentiment_negative_share"]) == (0.4, 0.2, 0.4)
    assert values["emotion_joy_share"] == 0.75 and values["emotion_trust_share"] == 0.25
    assert values["emotion_anger_share"] == 0.0 and values["emotion_coverage"] == 0.2
    assert values["offensive_rate"] == 0.4 and values["offensive_probability_mean"] == pytest.approx(0.36)
    assert describe_affect(features.iloc[:0])["offensive_rate"] is None


ANGRY = ["this fucking vaccine queue is a disaster", "I hate waiting, stupid clinic", "worst rollout ever, damn it",
         "angry and scared about the side effects", "what a shitty day at the clinic"]
CALM = ["got my dose today", "the clinic opens at nine", "second shot next month", "queue moved fast",
        "nurse was kind and helpful"]


def _real() -> pd.DataFrame:
    texts = [f"{text} {i}" for i in range(8) for text in ANGRY + CALM]
    return _posts(texts, ["twitter" if i % 2 else "reddit" for i in range(len(texts))])


def test_identical_sets_give_the_best_value_and_the_baseline_sits_between() -> None:
    real = _real()
    same = compare_affect(real, real.copy())["all"]
    for key in ("sentiment_compound_mean", "offensive_rate", "emotion_joy_share"):
        assert same[key]["synthetic"] == same[key]["real"]
    assert same["emotion_jsd"] == 0.0 and same["sentiment_ks"] == 0.0
    assert same["sentiment_ks_baseline"] >= 0.0 and same["sentiment_ks_baseline_std"] is not None
    # An all-calm synthetic set is far from the real mix; the real halves are in between.
    calm = compare_affect(real, _posts(CALM * 8, "twitter"))["all"]
    assert same["sentiment_ks"] <= same["sentiment_ks_baseline"] < calm["sentiment_ks"]
    json.dumps(same, allow_nan=False)


def test_a_sanitised_synthetic_set_moves_affect_and_offensiveness_the_right_way() -> None:
    real = _real()
    sanitised_texts = [text.replace("fucking ", "").replace("stupid", "lovely").replace("shitty", "wonderful")
                       .replace("damn it", "great job").replace("hate", "love").replace("worst", "best")
                       + " so happy" for text in real["text"]]
    result = compare_affect(real, _posts(sanitised_texts, real["platform"].tolist()))
    for group in ("all", "twitter", "reddit"):
        metrics = result[group]
        assert metrics["offensive_rate"]["synthetic"] < metrics["offensive_rate"]["real"]
        assert metrics["sentiment_compound_mean"]["synthetic"] > metrics["sentiment_compound_mean"]["real"] + 0.2
        assert metrics["sentiment_negative_share"]["synthetic"] < metrics["sentiment_negative_share"]["real"]
        assert metrics["emotion_joy_share"]["synthetic"] > metrics["emotion_joy_share"]["real"]
        assert metrics["emotion_jsd"] > metrics["emotion_jsd_baseline"]


def test_every_key_is_defined() -> None:
    result = compare_affect(_real(), _posts(CALM))
    keys = {key.removesuffix("_baseline_std").removesuffix("_baseline") for key in result["all"]} - {"n_posts"}
    assert keys == set(DEFINITIONS)
    assert result["reddit"]["offensive_rate"]["synthetic"] is None  # no synthetic reddit posts
    assert np.isfinite(result["reddit"]["offensive_rate"]["baseline"])
