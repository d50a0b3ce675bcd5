"""Lexical and privacy metrics on real posts from ../shared/data (skipped when absent): another brand's posts
score worse than the real-vs-real baseline, and planted copies are found."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth.metrics.lexical import compare_lexical
from synth.metrics.privacy import privacy_report


def _load(shared_data: Path, name: str, n: int, seed: int) -> pd.DataFrame:
    posts = pd.read_csv(shared_data / name / "posts.csv", usecols=["post_id", "platform", "text"])
    return posts.sample(n, random_state=seed).reset_index(drop=True)


@pytest.mark.slow  # a few seconds on a busy machine
def test_other_posts_score_worse_than_the_baseline(shared_data: Path) -> None:
    covid = _load(shared_data, "covid_vaccine", 2000, 0)
    real, other_covid = covid.iloc[:1000], covid.iloc[1000:]
    zomato = _load(shared_data, "zomato", 1000, 0)
    unlike = compare_lexical(real, zomato)["all"]
    alike = compare_lexical(real, other_covid)["all"]
    for key in ("chars_ks", "tokens_ks", "unigram_jsd"):
        assert unlike[key] > unlike[f"{key}_baseline"], key
        assert alike[key] < unlike[key], key
    for key in ("vocabulary_jaccard", "top_hashtags_jaccard"):
        assert unlike[key] < unlike[f"{key}_baseline"], key
        assert alike[key] > unlike[key], key


def test_planted_copies_are_found(shared_data: Path) -> None:
    real = _load(shared_data, "covid_vaccine", 1000, 1)
    long_posts = real[real["text"].str.len() > 100]
    copied, edited = long_posts.iloc[:20], long_posts.iloc[20:30]
    synthetic = pd.concat(
        [
            _load(shared_data, "zomato", 400, 1)[["platform", "text"]],
            copied[["platform", "text"]],
            edited[["platform", "text"]].assign(text=edited["text"] + " indeed"),
        ],
        ignore_index=True,
    )
    report = privacy_report(real, synthetic, example_ids=set(copied["post_id"]))
    assert report["copies"]["exact"]["of_examples"] == 20
    assert report["copies"]["near_ngram"]["count"] >= 10
    assert report["copies"]["near_ngram"]["of_examples"] == 0
