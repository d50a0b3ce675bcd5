from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synth.errors import InputError
from synth.metrics.leaderboard import ALL, COMPONENTS, build_leaderboard, ks_statistic, score_posts

WORDS = [
    "vaccine", "dose", "clinic", "booked", "arm", "sore", "today", "tomorrow", "finally", "nurse", "queue", "friends",
]


def _posts(texts: list[str], platform: str, source: str, model: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "post_id": [f"{source}-{model}-{platform}-{i}" for i in range(len(texts))],
            "platform": platform,
            "text": texts,
            "source": source,
        }
    )
    if model is not None:
        frame["model"] = model
    return frame


def _tweets(n: int, offset: int) -> list[str]:
    return [f"{WORDS[(i + offset) % 12]} {WORDS[(i * 5 + offset) % 12]} #vax{i % 3} @clinic{i % 2}" for i in range(n)]


def _reddit(n: int, offset: int) -> list[str]:
    return [" ".join(WORDS[(i + j + offset) % 12] for j in range(8 + i % 5)) + "?" for i in range(n)]


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return pd.concat([_posts(_tweets(30, 0), "twitter", "real"), _posts(_reddit(30, 0), "reddit", "real")])


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    good = [
        _posts(_tweets(20, 1), "twitter", "synthetic", "good"),
        _posts(_reddit(20, 1), "reddit", "synthetic", "good"),
    ]
    # "bad" writes long, tagless tweets and short tagged Reddit posts: the platforms' styles swapped.
    bad = [_posts(_reddit(20, 2), "twitter", "synthetic", "bad"), _posts(_tweets(20, 2), "reddit", "synthetic", "bad")]
    return pd.concat([*good, *bad], ignore_index=True)


def test_ks_statistic_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = np.sort(rng.integers(0, 50, 40)), np.sort(rng.integers(0, 60, 25))
        assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic)


def test_score_of_tiny_sets_is_exact() -> None:
    real = _posts(["a b #x", "c d"], "twitter", "real")
    synthetic = _posts(["a b", "c d"], "twitter", "synthetic")
    # lengths [6, 3] vs [3, 3]: the CDFs differ by 0.5 at 3. Hashtag share 0.5 vs 0, other markers equal.
    # unigrams: five tokens once each vs the four without #x.
    p, q = np.array([0.2, 0.2, 0.2, 0.2, 0.2]), np.array([0.25, 0.25, 0.25, 0.25, 0.0])
    m = (p + q) / 2
    kl = lambda x: sum(xi * math.log2(xi / mi) for xi, mi in zip(x, m, strict=True) if xi > 0)  # noqa: E731
    jsd = (kl(p) + kl(q)) / 2
    result = score_posts(real, synthetic)
    assert result["length_similarity"] == pytest.approx(0.5)
    assert result["marker_similarity"] == pytest.approx(1 - 0.5 / 4)
    assert result["vocabulary_similarity"] == pytest.approx(1 - jsd)
    # No word of either set carries sentiment or offence: both distributions are all zeros, identical.
    assert result["sentiment_similarity"] == pytest.approx(1) and result["offensive_similarity"] == pytest.approx(1)
    assert result["score"] == pytest.approx(100 * (0.5 + 0.875 + 1 - jsd + 1 + 1) / 5)


def test_sentiment_and_offensiveness_components_are_exact() -> None:
    real = _posts(["you are a damn idiot", "this is fucking shit", "the bus is late", "ok"], "twitter", "real")
    # A sanitised, cheerful rewrite: no offensive post left, every post positive.
    synthetic = _posts(["what a wonderful day", "I love this, great job", "happy and grateful", "so nice"],
                       "twitter", "synthetic")
    from synth.metrics.affect import OFFENSIVE_FROM, affect_features

    real_affect, synthetic_affect = affect_features(real), affect_features(synthetic)
    real_offensive = (real_affect["offensive"] >= OFFENSIVE_FROM).mean()
    assert real_offensive >= 0.5 and (synthetic_affect["offensive"] < OFFENSIVE_FROM).all()
    result = score_posts(real, synthetic)
    assert result["offensive_similarity"] == pytest.approx(1 - real_offensive)
    assert result["sentiment_similarity"] == pytest.approx(
        1 - ks_2samp(real_affect["compound"], synthetic_affect["compound"]).statistic)
    assert result["sentiment_similarity"] < 0.5  # every synthetic post is more positive than every real one
    assert score_posts(real, real)["sentiment_similarity"] == pytest.approx(1)


def test_identical_sets_score_100(real: pd.DataFrame) -> None:
    result = score_posts(real, real)
    assert result["score"] == pytest.approx(100)
    assert all(result[c] == pytest.approx(1) for c in COMPONENTS)


def test_leaderboard_ranks_the_faithful_model_first_with_certainty(
    real: pd.DataFrame, synthetic: pd.DataFrame
) -> None:
    board = build_leaderboard(real, synthetic, n_boot=100, seed=1)
    cells = board.cells.set_index(["model", "platform"])
    assert set(cells.index) == {(m, p) for m in ("good", "bad") for p in ("twitter", "reddit", ALL)}
    for platform in ("twitter", "reddit", ALL):
        good, bad = cells.loc[("good", platform)], cells.loc[("bad", platform)]
        assert good["score"] > bad["score"]
        assert good["score_low"] <= good["score"] <= good["score_high"]
        assert good["p_best"] == 1.0 and bad["p_best"] == 0.0
    best = board.best.set_index("platform")
    assert best.loc["twitter", "best_model"] == "good" and bool(best.loc["twitter", "clear"])
    assert "good is best on twitter" in best.loc["twitter", "verdict"]
    # The "all" row is the unweighted mean of the model's platform scores.
    assert cells.loc[("good", ALL), "score"] == pytest.approx(
        (cells.loc[("good", "twitter"), "score"] + cells.loc[("good", "reddit"), "score"]) / 2
    )
    assert cells.loc[("good", "twitter"), "n_synthetic"] == 20
    assert 0 < cells.loc[("good", "twitter"), "baseline_score"] <= 100


def test_two_copies_of_one_model_are_a_tie(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    good = synthetic[synthetic["model"] == "good"]
    twins = pd.concat([good, good.assign(model="twin", post_id=good["post_id"] + "-twin")], ignore_index=True)
    board = build_leaderboard(real, twins, n_boot=100, seed=0)
    assert not board.best["clear"].any()
    assert "tied" in board.best.set_index("platform").loc["twitter", "verdict"]


def test_bootstrap_is_reproducible_with_a_seed(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    first = build_leaderboard(real, synthetic, n_boot=30, seed=7).cells
    again = build_leaderboard(real, synthetic, n_boot=30, seed=7).cells
    other = build_leaderboard(real, synthetic, n_boot=30, seed=8).cells
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["score_low"], other["score_low"])
    pd.testing.assert_series_equal(first["score"], other["score"])  # the point scores do not depend on the seed


def test_no_bootstrap_gives_no_intervals(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    board = build_leaderboard(real, synthetic, n_boot=0)
    assert board.cells["score_low"].isna().all() and board.cells["p_best"].isna().all()
    assert board.cells["score"].notna().all()


def test_small_cells_are_skipped_with_a_reason(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    extra = _posts(["one post on youtube", "and another"], "youtube", "synthetic", "good")
    tiny = _posts(["short"], "twitter", "synthetic", "tiny")
    board = build_leaderboard(real, pd.concat([synthetic, extra, tiny]), n_boot=0)
    reasons = board.skipped.set_index(["model", "platform"])["reason"]
    assert "0 real post(s) on youtube" in reasons[("good", "youtube")]
    assert "1 synthetic post(s)" in reasons[("tiny", "twitter")]
    assert "youtube" not in set(board.cells["platform"])


def test_posts_without_a_model_column_are_one_model(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    board = build_leaderboard(real, synthetic.drop(columns="model"), n_boot=0)
    assert set(board.cells["model"]) == {"(unknown model)"}


def test_bad_input_is_a_clear_error(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="missing column"):
        build_leaderboard(real.drop(columns="text"), synthetic)
    with pytest.raises(InputError, match="no model and platform has enough posts"):
        build_leaderboard(real[real["platform"] == "reddit"], synthetic[synthetic["platform"] == "twitter"])
    with pytest.raises(InputError, match="n_boot"):
        build_leaderboard(real, synthetic, n_boot=-1)
    with pytest.raises(InputError, match="no posts"):
        score_posts(real.iloc[:0], synthetic)


def test_inputs_are_not_modified(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    before_real, before_synthetic = real.copy(), synthetic.copy()
    build_leaderboard(real, synthetic, n_boot=5)
    pd.testing.assert_frame_equal(real, before_real)
    pd.testing.assert_frame_equal(synthetic, before_synthetic)


def test_baseline_is_the_mean_over_the_seeded_splits_with_its_spread(real: pd.DataFrame,
                                                                     synthetic: pd.DataFrame) -> None:
    from synth.metrics.baseline import split_halves, split_seeds
    from synth.metrics.leaderboard import _components, _samples
    from synth.metrics.reference import Reference

    board = build_leaderboard(real, synthetic, n_boot=0, seed=3)
    cells = board.cells.set_index(["model", "platform"])
    reference = Reference(real.reset_index(drop=True), seed=3)
    real_all, _ = _samples(reference, synthetic.reset_index(drop=True))
    per_split = []
    for seed in split_seeds(3):
        first, second = (half[half["platform"] == "twitter"].index.to_numpy()
                         for half in split_halves(real.reset_index(drop=True), seed=seed))
        per_split.append(100 * _components(real_all.subset(first).totals(), real_all.subset(second).totals()).mean())
    assert cells.loc[("good", "twitter"), "baseline_score"] == pytest.approx(np.mean(per_split))
    assert cells.loc[("good", "twitter"), "baseline_std"] == pytest.approx(np.std(per_split, ddof=1))
    assert cells.loc[("good", "all"), "baseline_std"] >= 0
