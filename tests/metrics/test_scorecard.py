from __future__ import annotations

import pandas as pd
import pytest

from synth.metrics.lexical import compare_lexical
from synth.metrics.scorecard import (
    AMBER,
    GREEN,
    GREY,
    RED,
    SCORECARD_METRICS,
    TOO_FEW,
    rate,
    scorecard,
    size_factors,
)


def test_rate_thresholds() -> None:
    assert rate(0.2, 0.1, 0.0) == (pytest.approx(2.0), GREEN)
    assert rate(0.3, 0.1, 0.0) == (pytest.approx(3.0), AMBER)
    assert rate(0.41, 0.1, 0.0) == (pytest.approx(4.1), RED)
    # The floor keeps a near-zero baseline gap from making a tiny difference red.
    assert rate(0.01, 0.0, 0.02) == (pytest.approx(0.5), GREEN)
    assert rate(None, 0.1, 0.0) == (None, GREY)


def test_size_factors_follow_the_set_sizes() -> None:
    group = {"n_posts": {"real": 100, "synthetic": 50, "baseline": 50}}
    factors = size_factors(group)
    assert factors["set"] == pytest.approx(((1 / 50 + 1 / 100) / (1 / 50 - 1 / 100)) ** 0.5)
    assert factors["comparison"] == pytest.approx(((1 / 50 + 1 / 100) / (1 / 50 + 1 / 50)) ** 0.5)
    assert size_factors({}) == {"set": 1.0, "comparison": 1.0}


def test_scorecard_rates_set_metrics_and_comparisons() -> None:
    group = {
        "n_posts": {"real": 100, "synthetic": 100, "baseline": 50},  # set factor sqrt(2/100 / 1/100) = sqrt(2)
        "chars_mean": {"real": 100.0, "synthetic": 130.0, "baseline": 104.0},
        "hashtags_per_post": {"real": 1.0, "synthetic": None, "baseline": 1.0},
        "chars_ks": 0.3, "chars_ks_baseline": 0.1,  # comparison factor sqrt(2/100 / 4/100)
        "top_hashtags_jaccard": 0.5, "top_hashtags_jaccard_baseline": 0.9,
    }
    card = scorecard(group).set_index("metric")
    assert list(card.index) == ["chars_mean", "chars_ks", "hashtags_per_post", "top_hashtags_jaccard"]
    assert card.loc["chars_mean", "baseline_gap"] == pytest.approx(4)
    assert card.loc["chars_mean", "allowed"] == pytest.approx(max(4 * 2**0.5, 5.0))
    assert card.loc["chars_mean", "ratio"] == pytest.approx(30 / max(4 * 2**0.5, 5.0))
    assert card.loc["chars_mean", "rating"] == RED
    assert card.loc["chars_ks", "ratio"] == pytest.approx(0.3 / (0.1 * 0.5**0.5))
    assert card.loc["chars_ks", "rating"] == RED
    # overlap 0.5 -> gap 0.5; baseline overlap 0.9 -> gap 0.1 x 0.707 -> ratio 7.07
    assert card.loc["top_hashtags_jaccard", "gap"] == pytest.approx(0.5)
    assert card.loc["hashtags_per_post", "rating"] == GREY


def test_a_feature_absent_from_the_real_posts_still_has_a_scale() -> None:
    group = {"emoji_per_post": {"real": 0.0, "synthetic": 0.05, "baseline": 0.0},
             "urls_per_post": {"real": 0.0, "synthetic": 0.005, "baseline": 0.0}}
    card = scorecard(group).set_index("metric")
    assert card.loc["emoji_per_post", "ratio"] == pytest.approx(5.0) and card.loc["emoji_per_post", "rating"] == RED
    assert card.loc["urls_per_post", "rating"] == GREEN


def test_identical_sets_are_all_green() -> None:
    texts = [f"post {i} about the #clinic and @nurse {'?' if i % 3 else '!'} {'x ' * (i % 7)}" for i in range(40)]
    posts = pd.DataFrame({"post_id": [str(i) for i in range(40)], "platform": "twitter", "text": texts,
                          "source": "real"})
    card = scorecard(compare_lexical(posts, posts)["all"])
    assert set(card["metric"]) == set(SCORECARD_METRICS)
    assert set(card["rating"]) <= {GREEN, GREY}
    assert (card.loc[card["rating"] == GREEN, "gap"] == 0).all()


def test_a_value_far_worse_than_real_vs_real_is_never_green() -> None:
    # The case a reviewer found: top hashtags overlap 0.053 against a real-vs-real 0.905.
    group = {"n_posts": {"real": 4000, "synthetic": 3000, "baseline": 2000},
             "top_hashtags_jaccard": 0.053, "top_hashtags_jaccard_baseline": 0.905,
             "top_hashtags_jaccard_baseline_std": 0.02}
    row = scorecard(group).set_index("metric").loc["top_hashtags_jaccard"]
    assert row["rating"] == RED
    assert row["baseline"] == 0.905 and row["baseline_std"] == 0.02 and row["baseline_gap"] == pytest.approx(0.095)
    assert row["allowed"] == pytest.approx((0.095 + 0.02) * row["size_factor"])
    # With 40 synthetic posts against 4,000 real ones the same numbers are not judged at all.
    small = {**group, "n_posts": {"real": 4000, "synthetic": 40, "baseline": 2000}}
    row = scorecard(small).set_index("metric").loc["top_hashtags_jaccard"]
    assert (row["rating"], row["note"], row["ratio"]) == (GREY, TOO_FEW, None)


def test_too_few_synthetic_posts_are_not_judged_and_shares_are_marked() -> None:
    group = {"n_posts": {"real": 40, "synthetic": 20, "baseline": 20},
             "question_rate": {"real": 0.5, "synthetic": 0.5, "baseline": 0.45, "baseline_std": 0.05}}
    row = scorecard(group).set_index("metric").loc["question_rate"]
    assert (row["rating"], row["note"], row["unit"]) == (GREY, TOO_FEW, "share")


def test_the_baseline_spread_widens_the_tolerance() -> None:
    base = {"n_posts": {"real": 100, "synthetic": 100, "baseline": 50},
            "chars_mean": {"real": 100.0, "synthetic": 125.0, "baseline": 110.0}}
    steady = scorecard(base).set_index("metric").loc["chars_mean"]
    noisy = scorecard({**base, "chars_mean": {**base["chars_mean"], "baseline_std": 10.0}}).set_index("metric")
    assert noisy.loc["chars_mean", "allowed"] == pytest.approx((10 + 10) * 2**0.5)
    assert noisy.loc["chars_mean", "ratio"] < steady["ratio"]
