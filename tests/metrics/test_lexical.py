from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError
from synth.metrics.baseline import split_halves
from synth.metrics.lexical import DEFINITIONS, compare_lexical, lexical_features, top_items

COMPARISONS = ("chars_ks", "tokens_ks", "top_hashtags_jaccard", "top_emoji_jaccard", "unigram_jsd",
               "vocabulary_jaccard")
LOWER_IS_BETTER = ("chars_ks", "tokens_ks", "unigram_jsd")


def _posts(texts: list[str], platform: str | list[str] = "twitter") -> pd.DataFrame:
    platforms = [platform] * len(texts) if isinstance(platform, str) else platform
    return pd.DataFrame(
        {"post_id": [f"p{i}" for i in range(len(texts))], "platform": platforms, "text": texts, "source": "real"}
    )


def test_per_post_features_exact_values() -> None:
    texts = pd.Series(
        ["I love #Vaccines 💉! https://t.co/AbC", "Are YOU sure? @bob", "We went there. It was fine, they said.", ""],
        index=[7, 3, 5, 1],
    )
    features = lexical_features(texts)
    assert features.index.tolist() == [7, 3, 5, 1]
    expected = {
        "chars": [36, 18, 38, 0],
        "tokens": [5, 4, 8, 0],
        "hashtags": [1, 0, 0, 0],
        "mentions": [0, 1, 0, 0],
        "urls": [1, 0, 0, 0],
        "emoji": [1, 0, 0, 0],
        "words": [2, 3, 8, 0],
        "sentences": [1, 1, 2, 0],
        # love -> 1 (silent e), are -> 1, you -> 1 (y is a vowel), sure -> 1, there -> 1, fine -> 1, they -> 1.
        "syllables": [2, 3, 8, 0],
        "difficult_words": [0, 0, 0, 0],
        "pronouns_first": [1, 0, 1, 0],
        "pronouns_second": [0, 1, 0, 0],
        "pronouns_third": [0, 0, 2, 0],
        "has_question": [False, True, False, False],
        "has_exclamation": [True, False, False, False],
        # The URL's letters (t, c, o, A, b, C) do not count.
        "cased_letters": [13, 13, 28, 0],
        "uppercase_letters": [2, 4, 2, 0],
    }
    for column, values in expected.items():
        assert features[column].tolist() == values, column
    assert features["uppercase_ratio"].iloc[:3].tolist() == pytest.approx([2 / 13, 4 / 13, 2 / 28])
    # FK = 0.39 * words/sentences + 11.8 * syllables/words - 15.59
    assert features["flesch_kincaid_grade"].iloc[:3].tolist() == pytest.approx([-3.01, -2.62, -2.23])
    # Dale-Chall with no difficult word = 0.0496 * words/sentences
    assert features["dale_chall"].iloc[:3].tolist() == pytest.approx([0.0992, 0.1488, 0.1984])
    assert features.iloc[3][["uppercase_ratio", "flesch_kincaid_grade", "dale_chall"]].isna().all()


def test_difficult_words_and_contractions() -> None:
    features = lexical_features(pd.Series(["Pfizer's vaccination programme... I'm you're they're"]))
    row = features.iloc[0]
    # pfizer's, vaccination, programme are not on the Dale-Chall list (i'm, you're, they're are); the
    # contractions count as pronouns by their first part.
    assert row["words"] == 6 and row["difficult_words"] == 3
    assert (row["pronouns_first"], row["pronouns_second"], row["pronouns_third"]) == (1, 1, 1)
    # "..." followed by a space ends a sentence.
    assert row["sentences"] == 1
    percent = 100 * row["difficult_words"] / 6
    assert row["dale_chall"] == pytest.approx(0.1579 * percent + 0.0496 * 6 + 3.6365)


def test_top_items_counts_shares_and_ties() -> None:
    posts = _posts(["#B #a 😀", "#a #c", "#b 😀 😀 x y z"])
    hashtags = top_items(posts, "hashtag", 2)
    assert hashtags.to_dict("list") == {"item": ["#a", "#b"], "count": [2, 2], "share": [2 / 3, 2 / 3]}
    assert top_items(posts, "emoji", 5)["count"].tolist() == [3]
    assert top_items(posts, "3gram", 1).to_dict("list") == {"item": ["#b #a 😀"], "count": [1], "share": [1 / 3]}
    with pytest.raises(InputError, match="unknown kind 'colour'"):
        top_items(posts, "colour")
    with pytest.raises(InputError, match="k must be 1 or more"):
        top_items(posts, "hashtag", 0)


def test_set_metrics_and_comparisons_exact_values() -> None:
    real = _posts(["#x a b", "#x #y c"])
    synthetic = _posts(["#x a b", "d 😀"])
    result = compare_lexical(real, synthetic, top_k=20)
    assert set(result) == {"all", "twitter"}
    group = result["twitter"]
    real_values = {key: value["real"] for key, value in group.items() if isinstance(value, dict)}
    assert real_values["n_posts"] == 2
    assert real_values["chars_mean"] == 6.5
    assert real_values["chars_std"] == pytest.approx(math.sqrt(0.5))
    assert (real_values["chars_q25"], real_values["chars_median"], real_values["chars_q75"]) == (6.25, 6.5, 6.75)
    assert (real_values["hashtags_per_post"], real_values["hashtags_share"], real_values["hashtags_unique"]) == (
        1.5, 1.0, 2
    )
    assert real_values["vocabulary_size"] == 5
    assert real_values["type_token_ratio"] == pytest.approx(5 / 6)
    # 1-grams: #x a b #y c; 2-grams: "#x a", "a b", "#x #y", "#y c"; 3-grams: "#x a b", "#x #y c".
    assert (real_values["unique_1grams_per_post"], real_values["unique_2grams_per_post"],
            real_values["unique_3grams_per_post"]) == (2.5, 2.0, 1.0)
    assert real_values["pronoun_first_share"] is None
    assert group["emoji_per_post"]["synthetic"] == 0.5 and group["emoji_unique"]["synthetic"] == 1

    # chars real [6, 7] vs synthetic [6, 3]; tokens [3, 3] vs [3, 2]: the ECDFs differ by 1/2 at most.
    assert group["chars_ks"] == 0.5 and group["tokens_ks"] == 0.5
    assert group["top_hashtags_jaccard"] == 0.5  # {#x, #y} vs {#x}
    assert compare_lexical(real, synthetic, top_k=1)["twitter"]["top_hashtags_jaccard"] == 1.0
    assert group["top_emoji_jaccard"] == 0.0
    assert group["vocabulary_jaccard"] == pytest.approx(3 / 7)
    p = np.array([2, 1, 1, 1, 1, 0, 0]) / 6  # #x a b #y c d 😀
    q = np.array([1, 1, 1, 0, 0, 1, 1]) / 5
    m = (p + q) / 2

    def entropy(v: np.ndarray) -> float:
        return float(-(v[v > 0] * np.log2(v[v > 0])).sum())

    assert group["unigram_jsd"] == pytest.approx(entropy(m) - (entropy(p) + entropy(q)) / 2)


def test_baseline_is_the_held_out_real_half_averaged_over_the_splits() -> None:
    from synth.metrics.baseline import split_seeds

    real = _posts(["one", "two two", "three three three", "four four four four"], ["twitter", "twitter", "reddit",
                                                                                       "reddit"])
    synthetic = _posts(["x"], "twitter")
    result = compare_lexical(real, synthetic, seed=5)
    for platform in ("twitter", "reddit"):
        held_out = []
        for seed in split_seeds(5):
            second = split_halves(real, seed=seed)[1]
            held_out.append(second[second["platform"] == platform]["text"].str.len().mean())
        assert result[platform]["chars_mean"]["baseline"] == pytest.approx(np.mean(held_out))
        assert result[platform]["chars_mean"]["baseline_std"] == pytest.approx(np.std(held_out, ddof=1))
    assert result["all"]["n_posts"] == {"real": 4, "synthetic": 1, "baseline": 2, "baseline_std": 0.0}
    # Reddit has no synthetic posts: synthetic values and comparisons are None, the baseline is not.
    assert result["reddit"]["chars_mean"]["synthetic"] is None
    assert result["reddit"]["chars_ks"] is None
    assert result["reddit"]["chars_ks_baseline"] is not None


def _styled_real_posts() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = ["vaccine", "shot", "dose", "clinic", "today", "booster", "arm", "sore", "queue", "nurse"]
    tags = ["#covid", "#vaccine", "#pfizer", "#moderna"]
    texts = []
    for i in range(60):
        body = " ".join(rng.choice(words, size=int(rng.integers(3, 12))))
        texts.append(f"Got my {body} {rng.choice(tags)} {'😷' if i % 3 else '💉'}{'!' if i % 2 else '?'}")
    return _posts(texts, ["twitter" if i % 4 else "reddit" for i in range(60)])


def test_identical_sets_score_best_and_the_baseline_sits_between() -> None:
    real = _styled_real_posts()
    unlike = _posts(
        ["The committee convened on Tuesday to deliberate extensively about municipal infrastructure budgets, "
         f"particularly regarding maintenance item {i} and its long-term financing considerations." for i in range(60)],
        ["twitter" if i % 4 else "reddit" for i in range(60)],
    )
    same = compare_lexical(real, real.copy(), seed=1)["all"]
    bad = compare_lexical(real, unlike, seed=1)["all"]
    for key in COMPARISONS:
        best = 0.0 if key in LOWER_IS_BETTER else 1.0
        assert same[key] == pytest.approx(best, abs=1e-9), key
        baseline, worse = same[f"{key}_baseline"], bad[key]
        if key in LOWER_IS_BETTER:
            assert best <= baseline < worse, key
        else:
            assert worse < baseline <= best, key
    for key, value in same.items():
        if isinstance(value, dict):
            assert value["real"] == value["synthetic"], key


def test_inputs_are_not_modified() -> None:
    real = _styled_real_posts()
    synthetic = _posts(["Hello #World 😀 @you https://x.org"] * 3)
    before_real, before_synthetic = real.copy(deep=True), synthetic.copy(deep=True)
    compare_lexical(real, synthetic)
    lexical_features(real)
    top_items(synthetic, "hashtag")
    pd.testing.assert_frame_equal(real, before_real)
    pd.testing.assert_frame_equal(synthetic, before_synthetic)


def test_result_is_json_ready_and_every_key_is_defined() -> None:
    real = _styled_real_posts()
    result = compare_lexical(real, _posts(["one post only", "and another"], "youtube"))
    json.dumps(result, allow_nan=False)
    assert set(result) == {"all", "reddit", "twitter", "youtube"}
    for key in result["all"]:
        assert key.removesuffix("_baseline_std").removesuffix("_baseline") in DEFINITIONS, key
    assert set(DEFINITIONS) == {k for k in result["all"] if not k.endswith(("_baseline", "_baseline_std"))}


@pytest.mark.parametrize(
    ("real", "synthetic", "kwargs", "message"),
    [
        (pd.DataFrame({"platform": ["twitter"]}), _posts(["x"]), {}, "real posts: no 'text' column"),
        (pd.DataFrame({"text": ["x"]}), _posts(["x"]), {}, "real posts: no 'platform' column"),
        (_posts(["x"]), _posts([]), {}, "synthetic posts: the table is empty"),
        (_posts(["x"]), _posts(["y"]), {"top_k": 0}, "top_k must be 1 or more"),
    ],
)
def test_bad_input_raises_input_error(real: pd.DataFrame, synthetic: pd.DataFrame, kwargs: dict,
                                      message: str) -> None:
    with pytest.raises(InputError, match=message):
        compare_lexical(real, synthetic, **kwargs)


def test_one_real_post_has_no_baseline_and_missing_text_counts_as_empty() -> None:
    real = _posts(["only one"])
    synthetic = pd.DataFrame({"platform": ["twitter", "twitter"], "text": ["x", None]})
    result = compare_lexical(real, synthetic)["twitter"]
    assert result["chars_mean"] == {"real": 8.0, "synthetic": 0.5, "baseline": None, "baseline_std": None}
    assert result["chars_ks_baseline"] is None


def test_repeated_index_labels_are_separate_posts() -> None:
    real = _styled_real_posts()
    synthetic = _posts(["Hello #World 😀", "again #world", "third one?"])
    relabelled = compare_lexical(real.set_axis([7] * len(real)), synthetic.set_axis([1, 1, 1]))
    assert relabelled == compare_lexical(real, synthetic)


def test_posts_without_platform_form_the_unknown_group_and_uncased_scripts_have_no_case_ratio() -> None:
    real = pd.DataFrame({"platform": [None, "twitter", "twitter"], "text": ["疫苗 很好", "مرحبا #سلام", "OK then"]})
    result = compare_lexical(real, real)
    assert set(result) == {"all", "twitter", "unknown"}
    assert lexical_features(real)["uppercase_ratio"].iloc[:2].isna().all()
    assert result["all"]["uppercase_ratio"]["real"] == pytest.approx(2 / 6)
    json.dumps(result, allow_nan=False)


def test_syllable_estimate() -> None:
    from synth.metrics.lexical_posts import syllable_counts

    words = pd.Series(["love", "there", "table", "you", "rhythm", "2020", "vaccination", "love"])
    # love: o|e less silent e; table: -le keeps its e; rhythm: y; 2020: no vowel, at least 1; vaccination: a|i|a|io
    assert syllable_counts(words).tolist() == [1, 1, 2, 1, 1, 1, 4, 1]
    assert syllable_counts(words.iloc[:0]).tolist() == []


def test_set_aggregates_of_per_post_features_exact_values() -> None:
    posts = _posts(["I love #Vaccines 💉! https://t.co/AbC", "Are YOU sure? @bob",
                    "We went there. It was fine, they said."])
    group = compare_lexical(posts, posts)["twitter"]
    real = {key: value["real"] for key, value in group.items() if isinstance(value, dict)}
    # tokens per post 5, 4, 8
    assert real["tokens_mean"] == pytest.approx(17 / 3)
    assert real["tokens_std"] == pytest.approx(math.sqrt(26 / 6))
    assert (real["tokens_q25"], real["tokens_median"], real["tokens_q75"]) == (4.5, 5.0, 6.5)
    for name in ("mentions", "urls", "emoji", "hashtags"):
        assert (real[f"{name}_per_post"], real[f"{name}_share"], real[f"{name}_unique"]) == pytest.approx(
            (1 / 3, 1 / 3, 1)
        ), name
    assert real["flesch_kincaid_grade"] == pytest.approx((-3.01 - 2.62 - 2.23) / 3)
    assert real["dale_chall"] == pytest.approx((0.0992 + 0.1488 + 0.1984) / 3)
    # pronouns: I, We | YOU | It, they
    assert (real["pronoun_first_share"], real["pronoun_second_share"], real["pronoun_third_share"]) == (
        pytest.approx(0.4), pytest.approx(0.2), pytest.approx(0.4)
    )
    assert (real["question_rate"], real["exclamation_rate"]) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert real["uppercase_ratio"] == pytest.approx((2 / 13 + 4 / 13 + 2 / 28) / 3)
