"""Affect and offensiveness: did the model keep the mood and the rudeness of the real conversation?

Per post (`affect_features`): VADER's sentiment (Hutto and Gilbert, 2014, `vaderSentiment`, built for social
media text: slang, emoji, capitals, "!!!"), the words of the NRC Emotion Lexicon (Mohammad and Turney, 2013,
as shipped by `nrclex`) for eight emotions, and the probability that the post is offensive from
`alt-profanity-check` (a linear SVM on TF-IDF trained on 200k human-labelled offensive texts, shipped with the
package). All three run offline and are English: for other languages VADER scores only the emoji and the
English words a post contains, and a post with no lexicon word counts as neutral with no emotion;
`emotion_coverage` says how many posts the lexicon reached, so a low value means "not measured", not "calm".

`compare_affect` returns the layout of `synth.metrics.grouped` (per platform and overall, each beside the
real-vs-real baseline with its spread over the splits).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from synth.errors import InputError
from synth.metrics.grouped import grouped_metrics, platforms_of
from synth.metrics.lexical_posts import post_texts
from synth.metrics.reference import Reference, fit_reference
from synth.text import token_kinds, tokenize_series

EMOTIONS: tuple[str, ...] = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
# VADER's own thresholds on the compound score (Hutto and Gilbert's README).
POSITIVE_FROM, NEGATIVE_TO = 0.05, -0.05
OFFENSIVE_FROM = 0.5  # alt-profanity-check's predict() threshold on its probability

DEFINITIONS: dict[str, str] = {
    "sentiment_compound_mean": "Mean over posts of VADER's compound score (vaderSentiment 3.3.2, "
    "SentimentIntensityAnalyzer.polarity_scores on the raw text), from -1 (most negative) to +1 (most positive).",
    "sentiment_positive_share": f"Share of posts with a VADER compound score of at least {POSITIVE_FROM} (VADER's "
    "own threshold for positive).",
    "sentiment_neutral_share": f"Share of posts with a compound score strictly between {NEGATIVE_TO} and "
    f"{POSITIVE_FROM}. The three sentiment shares sum to 1.",
    "sentiment_negative_share": f"Share of posts with a compound score of at most {NEGATIVE_TO}.",
    **{
        f"emotion_{emotion}_share": f"Share of the NRC emotion-word occurrences of the set that carry {emotion}: "
        "every word token (synth.text tokenizer, lower-cased, not lemmatised) found in the NRC Emotion Lexicon "
        "as shipped by nrclex 4.1.0 adds one to each of its emotions (positive/negative not counted); the "
        "eight shares sum to 1. None when no word of the set is in the lexicon."
        for emotion in EMOTIONS
    },
    "emotion_coverage": "Share of posts with at least one word in the NRC Emotion Lexicon: how much of the set the "
    "English lexicon measured (low for other languages).",
    "offensive_rate": f"Share of posts whose alt-profanity-check 1.9.1 probability of offensive language is at "
    f"least {OFFENSIVE_FROM} (the package's predict()). Lower synthetic than real means the model sanitised the "
    "conversation.",
    "offensive_probability_mean": "Mean over posts of alt-profanity-check's probability of offensive language.",
    "emotion_jsd": "Jensen-Shannon divergence (base 2, 0 identical to 1 disjoint) between the eight emotion "
    "shares of the synthetic and of the real posts. None when either side has no emotion word.",
    "sentiment_ks": "Two-sample Kolmogorov-Smirnov statistic between the VADER compound scores of the synthetic "
    "and of the real posts (0 same distribution, 1 no overlap).",
}


# For `synth.metrics.scorecard.scorecard(group, AFFECT_SCORECARD, AFFECT_SHARES)`.
AFFECT_SCORECARD: dict[str, tuple[str, str]] = {
    "sentiment_compound_mean": ("Mean sentiment (VADER compound)", "set"),
    "sentiment_positive_share": ("Positive posts", "set"),
    "sentiment_negative_share": ("Negative posts", "set"),
    "sentiment_ks": ("Sentiment distribution (KS)", "distance"),
    "emotion_jsd": ("Emotion mix (JSD)", "distance"),
    **{f"emotion_{emotion}_share": (f"Emotion words: {emotion}", "set") for emotion in EMOTIONS},
    "offensive_rate": ("Offensive posts", "set"),
}
AFFECT_SHARES: frozenset[str] = frozenset(
    ["sentiment_positive_share", "sentiment_negative_share", "offensive_rate",
     *(f"emotion_{emotion}_share" for emotion in EMOTIONS)]
)


def affect_features(posts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Per-post affect: `compound` (VADER), one count column per emotion of EMOTIONS (NRC words carrying it),
    `emotion_words` (words found in the lexicon) and `offensive` (alt-profanity-check's probability).

    Each distinct text is scored once. Returns one row per post with the input's index.
    """
    texts = post_texts(posts)
    frame = sentiment_and_offence(texts)
    emotions = _emotion_counts(texts)
    for column in (*EMOTIONS, "emotion_words"):
        frame[column] = emotions[column].to_numpy()
    return frame


def sentiment_and_offence(posts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The `compound` and `offensive` columns of `affect_features` alone (no emotion lexicon, so no
    tokenising): what the leaderboard scores. Each distinct text is scored once."""
    texts = post_texts(posts)
    distinct, codes = _distinct(texts)
    analyser = _vader()
    compound = np.array([analyser.polarity_scores(text)["compound"] for text in distinct], dtype=float)
    offensive = _profanity_probability(distinct)
    return pd.DataFrame({"compound": compound[codes], "offensive": offensive[codes]}, index=texts.index)


def compare_affect(real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int = 0,
                   reference: Reference | None = None,
                   synthetic_features: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """Affect and offensiveness per platform and overall, beside the real-vs-real baseline.

    Args:
        real: real posts (`platform`, `text`). Not modified.
        synthetic: synthetic posts (same columns). Not modified.
        seed: seed of the real-vs-real splits.
        reference: the real posts already fitted; their affect is computed once there (`Reference.affect`).
        synthetic_features: `affect_features(synthetic)` when already computed.

    Raises:
        InputError: a set is empty or lacks a column.
    """
    for frame, name in ((real, "real posts"), (synthetic, "synthetic posts")):
        if frame.empty:
            raise InputError(f"{name}: the table is empty. Load at least one post.")
    reference = fit_reference(real, seed=seed, reference=reference)
    synthetic_side = synthetic_features if synthetic_features is not None else affect_features(synthetic)
    return grouped_metrics(reference.affect.reset_index(drop=True), synthetic_side.reset_index(drop=True),
                           platforms_of(real), platforms_of(synthetic), reference.splits, describe_affect,
                           _compare, remember=lambda group, compute: reference.real_only(("affect", group), compute))


def describe_affect(features: pd.DataFrame) -> dict[str, float | None]:
    """The one-set metrics of DEFINITIONS from `affect_features` rows (None over no posts)."""
    n = len(features)
    if not n:
        return dict.fromkeys((*_SET_KEYS,))
    compound = features["compound"].to_numpy()
    totals = features[list(EMOTIONS)].to_numpy().sum(axis=0)
    all_emotions = totals.sum()
    values: dict[str, float | None] = {
        "sentiment_compound_mean": float(compound.mean()),
        "sentiment_positive_share": float((compound >= POSITIVE_FROM).mean()),
        "sentiment_neutral_share": float(((compound > NEGATIVE_TO) & (compound < POSITIVE_FROM)).mean()),
        "sentiment_negative_share": float((compound <= NEGATIVE_TO).mean()),
    }
    for emotion, total in zip(EMOTIONS, totals, strict=True):
        values[f"emotion_{emotion}_share"] = float(total / all_emotions) if all_emotions else None
    values["emotion_coverage"] = float((features["emotion_words"].to_numpy() > 0).mean())
    values["offensive_rate"] = float((features["offensive"].to_numpy() >= OFFENSIVE_FROM).mean())
    values["offensive_probability_mean"] = float(features["offensive"].to_numpy().mean())
    return values


_SET_KEYS: tuple[str, ...] = (
    "sentiment_compound_mean", "sentiment_positive_share", "sentiment_neutral_share", "sentiment_negative_share",
    *(f"emotion_{emotion}_share" for emotion in EMOTIONS), "emotion_coverage", "offensive_rate",
    "offensive_probability_mean",
)


def _compare(reference: pd.DataFrame, other: pd.DataFrame) -> dict[str, float | None]:
    from scipy.stats import ks_2samp

    if reference.empty or other.empty:
        return {"emotion_jsd": None, "sentiment_ks": None}
    p = reference[list(EMOTIONS)].to_numpy().sum(axis=0).astype(float)
    q = other[list(EMOTIONS)].to_numpy().sum(axis=0).astype(float)
    jsd = float(jensenshannon(p / p.sum(), q / q.sum(), base=2) ** 2) if p.sum() and q.sum() else None
    ks = float(ks_2samp(reference["compound"].to_numpy(), other["compound"].to_numpy()).statistic)
    return {"emotion_jsd": jsd, "sentiment_ks": ks}


def _distinct(texts: pd.Series) -> tuple[list[str], np.ndarray]:
    codes, uniques = pd.factorize(texts.astype(object))
    return [str(text) for text in uniques], codes


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _profanity_probability(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros(0)
    from profanity_check import predict_prob

    return np.asarray(predict_prob(texts), dtype=float)


@lru_cache(maxsize=1)
def emotion_lexicon() -> pd.DataFrame:
    """The NRC Emotion Lexicon shipped with nrclex: one row per (word, emotion) of EMOTIONS."""
    from nrclex import NRCLex

    lexicon: dict[str, list[str]] = NRCLex(lexicon_file=None).__lexicon__
    pairs = [(word, emotion) for word, affects in lexicon.items() for emotion in affects if emotion in EMOTIONS]
    return pd.DataFrame(pairs, columns=["word", "emotion"])


def _emotion_counts(texts: pd.Series) -> pd.DataFrame:
    """Per post: how many of its word tokens carry each emotion, and how many are in the lexicon."""
    tokens = tokenize_series(texts.reset_index(drop=True)).explode().dropna()
    words = tokens[token_kinds(tokens) == "word"]
    lexicon = emotion_lexicon()
    matched = pd.DataFrame({"post": words.index.to_numpy(dtype=np.int64), "word": words.to_numpy(dtype=object)})
    matched = matched[matched["word"].isin(set(lexicon["word"]))]
    counts = pd.DataFrame(0, index=np.arange(len(texts)), columns=[*EMOTIONS, "emotion_words"], dtype=np.int64)
    if len(matched):
        pairs = matched.merge(lexicon, on="word")
        table = pd.crosstab(pairs["post"], pairs["emotion"])
        for emotion in table.columns:
            counts.loc[table.index, emotion] = table[emotion].to_numpy()
        counts.loc[:, "emotion_words"] = np.bincount(matched["post"].to_numpy(), minlength=len(texts))
    return counts
