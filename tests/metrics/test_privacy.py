from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError
from synth.metrics.privacy import DEFINITIONS, flag_copies, normalise_texts, privacy_report
from synth.metrics.privacy_neighbours import ngram_neighbours, shingle_matrix

REAL_TEXTS = [
    "Got my second Pfizer shot today, arm is sore but feeling fine! @NHS https://t.co/AbC",
    "The queue at the clinic was two hours long, not impressed at all",
    "Vaccines are tested for years before approval, read the data",
    "Zomato delivery was late again #fail",
]
SYNTHETIC_TEXTS = [
    "got my SECOND pfizer shot today -- arm is sore but feeling fine!! @nhs",  # exact copy once normalised
    "The queue at the clinic was two hours long, not impressed at all honestly",  # near copy of an example
    "I'm sorry, but I can't help with that request.",  # refusal
    "Here is a tweet about vaccines: thanks @nhs https://t.co/AbC.",  # boilerplate, real handle and URL
    "Here is a tweet about vaccines: thanks @nhs https://t.co/AbC.",  # duplicate of the previous one
    "Completely new words nobody wrote before",
]


def _frame(texts: list[str], prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"post_id": [f"{prefix}{i}" for i in range(len(texts))], "platform": "twitter", "text": texts}
    )


@pytest.fixture
def real() -> pd.DataFrame:
    return _frame(REAL_TEXTS, "r")


@pytest.fixture
def synthetic() -> pd.DataFrame:
    return _frame(SYNTHETIC_TEXTS, "s")


def test_normalised_text() -> None:
    texts = pd.Series(["Ｈello,  WORLD!! https://x.y/z 😀 it's", "", None])
    assert normalise_texts(texts).tolist() == ["hello world it s", "", ""]


def test_exact_and_near_copies_with_few_shot_examples_apart(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    report = privacy_report(real, synthetic, example_ids={"r1"})
    n = len(SYNTHETIC_TEXTS)
    assert report["copies"]["exact"] == {"count": 1, "rate": 1 / n, "of_examples": 0, "of_other_real": 1}
    assert report["copies"]["near_ngram"] == {"count": 1, "rate": 1 / n, "of_examples": 1, "of_other_real": 0}
    assert report["copies"]["any"] == {"count": 2, "rate": 2 / n, "of_examples": 1, "of_other_real": 1}
    assert report["copies"]["near_embedding"] is None
    assert (report["n_real"], report["n_synthetic"], report["n_examples"]) == (4, n, 1)
    json.dumps(report, allow_nan=False)


def test_exact_copy_of_an_example_counts_as_example(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    report = privacy_report(real, synthetic, example_ids={"r0", "r1"})
    assert report["copies"]["exact"]["of_examples"] == 1
    assert report["copies"]["any"]["of_examples"] == 2


def test_near_copy_threshold_is_respected(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    similarity = ngram_neighbours(normalise_texts(real["text"]), normalise_texts(synthetic["text"]))[0][1]
    assert 0.8 < similarity < 1
    above = privacy_report(real, synthetic, ngram_threshold=similarity + 1e-9)
    assert above["copies"]["near_ngram"]["count"] == 0


def test_handles_urls_refusals_boilerplate_and_repetition(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    report = privacy_report(real, synthetic)
    n = len(SYNTHETIC_TEXTS)
    # @nhs (any case) is a real handle: in synthetic posts 0, 3 and 4; the t.co link in posts 3 and 4.
    assert report["reproduced"]["handles"] == {"unique": 1, "post_rate": 3 / n, "top": {"@nhs": 3}}
    assert report["reproduced"]["urls"] == {"unique": 1, "post_rate": 2 / n, "top": {"https://t.co/AbC": 2}}
    quality = report["quality"]
    assert quality["refusal_rate"] == 1 / n
    assert quality["boilerplate_rate"] == 2 / n
    assert quality["duplicate_rate"] == pytest.approx(1 / n)
    assert 0 < quality["distinct_1"] < 1 and 0 < quality["distinct_2"] <= 1


def test_distinct_n_exact() -> None:
    report = privacy_report(_frame(["x"], "r"), _frame(["a b a", "a b"], "s"))
    # terms a b a | a b: 2 distinct of 5; bigrams "a b", "b a" | "a b": 2 distinct of 3.
    assert report["quality"]["distinct_1"] == pytest.approx(2 / 5)
    assert report["quality"]["distinct_2"] == pytest.approx(2 / 3)
    assert report["distance_to_closest_real"] == {"ngram": None, "embedding": None}  # one real post: no halves


def test_embedding_near_copies_and_distance_baseline(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    real_embeddings = rng.normal(size=(len(real), 8))
    synthetic_embeddings = rng.normal(size=(len(synthetic), 8))
    synthetic_embeddings[5] = real_embeddings[2] * 3 + 0.01  # same direction: cosine ~1
    report = privacy_report(real, synthetic, embeddings=(real_embeddings, synthetic_embeddings),
                            example_ids={"r2"}, near_duplicate_threshold=0.99)
    assert report["copies"]["near_embedding"] == {"count": 1, "rate": 1 / 6, "of_examples": 1, "of_other_real": 0}
    flagged = flag_copies(real, synthetic, embeddings=(real_embeddings, synthetic_embeddings),
                          near_duplicate_threshold=0.99)
    assert flagged.loc[flagged["post_id"] == "s5", ["copy_kind", "real_post_id"]].values.tolist() == [
        ["near_embedding", "r2"]
    ]
    distance = report["distance_to_closest_real"]["embedding"]
    assert set(distance) == {"synthetic", "baseline", "share_below_baseline_p05"}
    assert distance["synthetic"]["p05"] <= distance["synthetic"]["median"]


def test_identical_sets_are_all_copies_and_closer_than_the_baseline() -> None:
    texts = [f"post number {i} about the {w} clinic queue today" for i, w in enumerate("abcdefghijklmnop")]
    real = _frame(texts, "r")
    report = privacy_report(real, real.copy())
    assert report["copies"]["exact"]["rate"] == 1.0
    ngram = report["distance_to_closest_real"]["ngram"]
    assert ngram["synthetic"]["p05"] <= ngram["baseline"]["p05"]
    assert ngram["synthetic"]["mean"] < ngram["baseline"]["mean"]


def test_flag_copies_returns_the_offending_rows(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    flagged = flag_copies(real, synthetic, example_ids={"r1"})
    assert flagged["post_id"].tolist() == ["s0", "s1"]
    assert flagged["copy_kind"].tolist() == ["exact", "near_ngram"]
    assert flagged["real_post_id"].tolist() == ["r0", "r1"]
    assert flagged["of_example"].tolist() == [False, True]
    assert flagged["similarity"].iloc[0] == 1.0
    assert flagged["real_text"].iloc[1] == REAL_TEXTS[1]
    assert flag_copies(real, _frame(["nothing like it at all"], "s")).empty


def test_shingle_matrix_is_binary_and_exact() -> None:
    matrix = shingle_matrix(pd.Series(["aaaaaa", "abcde", "abc", ""]))
    # "aaaaaa" holds one distinct 5-gram twice; "abcde" one; short texts none.
    assert matrix.sum(axis=1).A.ravel().tolist() == [1, 1, 0, 0]
    assert matrix.data.tolist() == [1.0, 1.0]


def test_inputs_are_not_modified(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    before_real, before_synthetic = real.copy(deep=True), synthetic.copy(deep=True)
    privacy_report(real, synthetic, example_ids=["r1"])
    flag_copies(real, synthetic)
    pd.testing.assert_frame_equal(real, before_real)
    pd.testing.assert_frame_equal(synthetic, before_synthetic)


def test_every_reported_number_is_defined() -> None:
    for key in ("exact", "near_ngram", "near_embedding", "handles", "urls", "refusal_rate", "boilerplate_rate",
                "duplicate_rate", "distinct_n", "distance_to_closest_real"):
        assert key in DEFINITIONS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ngram_threshold": 0}, "ngram_threshold must be in"),
        ({"near_duplicate_threshold": 1.5}, "near_duplicate_threshold must be in"),
        ({"embeddings": (np.zeros((2, 3)), np.zeros((6, 3)))}, "embed the same posts"),
        ({"embeddings": (np.zeros((4, 3)), np.zeros((6, 4)))}, "different widths"),
        ({"embeddings": (np.zeros(4), np.zeros(6))}, "2-D arrays"),
    ],
)
def test_bad_input_raises_input_error(real: pd.DataFrame, synthetic: pd.DataFrame, kwargs: dict,
                                      message: str) -> None:
    with pytest.raises(InputError, match=message):
        privacy_report(real, synthetic, **kwargs)


def test_empty_sets_and_missing_text_raise_input_error(real: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="synthetic posts: the table is empty"):
        privacy_report(real, real.iloc[:0])
    with pytest.raises(InputError, match="no 'text' column"):
        privacy_report(real, real.drop(columns="text"))


def test_reddit_usernames_and_dotted_handles_count_as_handles() -> None:
    real = _frame(["thanks u/Some_User and @anna.bsky.social", "nothing here"], "r")
    synthetic = _frame(["ask u/some_user", "hi @Anna.bsky.social", "hi @anna"], "s")
    handles = privacy_report(real, synthetic)["reproduced"]["handles"]
    assert handles == {"unique": 2, "post_rate": 2 / 3, "top": {"@anna.bsky.social": 1, "u/some_user": 1}}


def test_repeated_index_labels_are_separate_posts(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    relabelled = synthetic.set_axis([0] * len(synthetic))
    assert privacy_report(real, relabelled) == privacy_report(real, synthetic)


@pytest.mark.parametrize(
    "texts", [["😀😀", "🇫🇷", "👨‍👩‍👧‍👦"], ["   ", "\n\t", "!!!"], ["疫苗 很好", "مرحبا بالعالم #سلام", "ok"]]
)
def test_texts_with_nothing_left_once_normalised_still_report(texts: list[str]) -> None:
    posts = pd.DataFrame({"post_id": ["a", "b", "c"], "platform": [None, "twitter", "reddit"], "text": texts})
    for real, synthetic in ((posts, _frame(REAL_TEXTS, "s")), (_frame(REAL_TEXTS, "r"), posts), (posts, posts)):
        json.dumps(privacy_report(real, synthetic), allow_nan=False)
        flag_copies(real, synthetic)
    # One post per platform: no second real half, so no distance baseline.
    assert privacy_report(posts, posts)["distance_to_closest_real"] == {"ngram": None, "embedding": None}


def test_best_embedding_neighbours_equals_embedding_neighbours_within_each_mask() -> None:
    from synth.metrics.privacy_neighbours import best_embedding_neighbours, embedding_neighbours

    rng = np.random.default_rng(3)
    reference, queries = rng.standard_normal((700, 8)), rng.standard_normal((40, 8))
    half = rng.random(700) < 0.5
    everything, within_half = best_embedding_neighbours(reference, queries, [np.ones(700, dtype=bool), half])
    want_all, want_all_at = embedding_neighbours(reference, queries)
    want_half, want_half_at = embedding_neighbours(reference[half], queries)
    np.testing.assert_allclose(everything[0], want_all, rtol=1e-12)
    np.testing.assert_allclose(within_half[0], want_half, rtol=1e-12)
    np.testing.assert_array_equal(everything[1], want_all_at)
    np.testing.assert_array_equal(within_half[1], np.flatnonzero(half)[want_half_at])  # rows of the whole reference
