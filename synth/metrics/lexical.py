"""Lexical fidelity: how the surface of synthetic posts (length, hashtags, vocabulary, style) compares with
the real posts, per platform and overall, each number beside a real-vs-real baseline.

Layout of `compare_lexical`'s result (JSON-ready: floats, ints and None, never NaN)::

    {
      "all":     {<metric>: ..., ...},   # every post
      "twitter": {<metric>: ..., ...},   # one entry per platform found in the real or the synthetic posts
                                         # (posts with no platform form the group "unknown")
    }

Inside each group, a metric that describes ONE set of posts (a mean length, a vocabulary size) is an object
``{"real": <value on all real posts>, "synthetic": <value on the synthetic posts>, "baseline": <mean value on
the held-out real half>, "baseline_std": <its spread>}``. The real posts are split in two seeded halves,
stratified by platform (`synth.metrics.baseline.split_halves`), several times (`BASELINE_SPLITS` seeds); the
held-out half is the second one, a real sample in the place of the synthetic set, so ``synthetic`` should be
read against ``baseline``'s distance from ``real``, give or take ``baseline_std``.
A metric that already COMPARES two sets (KS statistic, Jensen-Shannon divergence, Jaccard overlaps) is a
single number, synthetic vs all real posts, and the same comparison between the two real halves sits under
the same key with the suffix ``_baseline`` (e.g. ``chars_ks`` and ``chars_ks_baseline``, the mean over the
splits, and ``chars_ks_baseline_std``): the score a perfect generator would get on data of this size.

A value is None where it is undefined: a set with no posts in that group, a mean over no posts that have
words, a share of pronouns when there are none. Counts of distinct items (vocabulary size, unique
hashtags) grow with the number of posts: compare them only between sets of similar size; the per-post
and ratio metrics do not depend on size in this way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from synth.errors import InputError
from synth.metrics.baseline import mean_and_spread
from synth.metrics.lexical_posts import COUNTED_KINDS, AnalysedPosts, analyse_posts, distinct_ngrams, top_counts
from synth.metrics.reference import Reference, fit_reference
from synth.schema import PLATFORM

ALL = "all"
UNKNOWN_PLATFORM = "unknown"  # the group of posts with no platform
LENGTH_MEASURES: dict[str, str] = {"chars": "characters", "tokens": "tokens"}
STATISTICS: tuple[str, ...] = ("mean", "std", "q25", "median", "q75")
NGRAM_SIZES: tuple[int, ...] = (1, 2, 3)
STATISTIC_LABELS: dict[str, str] = {
    "mean": "mean",
    "std": "sample standard deviation (divisor n - 1; None for a single post)",
    "q25": "first quartile (25th percentile, numpy's linear interpolation)",
    "median": "median",
    "q75": "third quartile (75th percentile, numpy's linear interpolation)",
}
LENGTH_UNITS: dict[str, str] = {
    "chars": "Characters are the Unicode code points of the raw text.",
    "tokens": "Tokens come from the social tokenizer (synth.text): URLs, @mentions, u/names, #hashtags and emoji "
    "(ZWJ sequences, flags and skin tones whole) are one token each; other tokens are runs of word characters "
    "with inner apostrophes. Punctuation is not a token. A URL ends at a space, quote, angle bracket or an "
    "emoji or symbol written straight after it. A hashtag is # followed by word characters with at least one "
    "letter, not after a word character, & or /: word#tag and #123 are not hashtags (tag and 123 are words), "
    "##tag is the hashtag #tag.",
}

DEFINITIONS: dict[str, str] = {
    "n_posts": "Number of posts in the set.",
    **{
        f"{measure}_{stat}": f"{label.capitalize()} per post: {STATISTIC_LABELS[stat]} over the posts of the set. "
        + LENGTH_UNITS[measure]
        for measure, label in LENGTH_MEASURES.items()
        for stat in STATISTICS
    },
    **{
        f"{measure}_ks": (
            f"Two-sample Kolmogorov-Smirnov statistic (scipy.stats.ks_2samp) between the {label}-per-post "
            "lengths of the synthetic and the real posts: the largest gap between their empirical cumulative "
            "distributions, 0 (same distribution) to 1 (no overlap)."
        )
        for measure, label in LENGTH_MEASURES.items()
    },
    **{
        f"{name}_per_post": f"Mean number of {name} per post, counted as tokens of the social tokenizer "
        "(so a hashtag or @ inside a URL is part of the URL; the same count feeds recognisability, the "
        "fingerprints and the leaderboard)."
        for name in COUNTED_KINDS
    },
    **{f"{name}_share": f"Share of posts with at least one of the {name}." for name in COUNTED_KINDS},
    **{
        f"{name}_unique": f"Number of distinct {name} in the set, lower-cased (case-insensitive)."
        for name in COUNTED_KINDS
    },
    "top_hashtags_jaccard": "Jaccard index |A∩B|/|A∪B| of the k most frequent hashtags (lower-cased; ties "
    "broken alphabetically) of the synthetic and of the real posts; 1 when neither set has hashtags.",
    "top_emoji_jaccard": "Jaccard index of the k most frequent emoji of the synthetic and of the real posts "
    "(ties broken by code point order); 1 when neither set has emoji.",
    "vocabulary_size": "Number of distinct vocabulary terms: the lower-cased tokens of the social tokenizer, "
    "with every URL replaced by one placeholder term (shortened links are unique per post).",
    "type_token_ratio": "Vocabulary size divided by the number of term occurrences in the set (depends on "
    "the set's size: larger sets have lower ratios).",
    **{
        f"unique_{n}grams_per_post": f"Number of distinct {n}-grams of vocabulary terms (runs of {n} consecutive "
        "terms within one post) in the set, divided by the number of posts: a size-normalised diversity."
        for n in NGRAM_SIZES
    },
    "unigram_jsd": "Jensen-Shannon divergence, base 2 (0 identical, 1 disjoint), between the relative "
    "frequencies of vocabulary terms in the synthetic and in the real posts (the square of "
    "scipy.spatial.distance.jensenshannon with base=2).",
    "vocabulary_jaccard": "Jaccard index of the two vocabularies (sets of distinct terms), synthetic vs real.",
    "flesch_kincaid_grade": "Mean over posts with at least one word of the Flesch-Kincaid grade "
    "0.39·(words/sentences) + 11.8·(syllables/words) − 15.59. Words are word tokens (not URLs, mentions, "
    "hashtags or emoji); a sentence ends at a run of . ! ? … followed by a space or the end of the post "
    "(URLs removed first), and a post with words has at least one; a word's syllables are its groups of "
    "vowels (a e i o u y) less a silent final e (not -le) when it has two or more, at least one. (textstat's "
    "English syllable counter needs NLTK's CMU dictionary, downloaded at run time; this estimate does not.)",
    "dale_chall": "Mean over posts with at least one word of the Dale-Chall score 0.1579·(100·difficult/words) "
    "+ 0.0496·(words/sentences), plus 3.6365 when more than 5% of the words are difficult; a difficult word is "
    "one not in the Dale-Chall list of 2,940 familiar words shipped with textstat (inflections not matched); "
    "words and sentences as for flesch_kincaid_grade.",
    **{
        f"pronoun_{person}_share": f"Share of {person}-person pronouns among all English personal pronouns "
        "(I/me/my/mine/myself/we/us/our/ours/ourselves; you/your/yours/yourself/yourselves/u/ur/yall; "
        "he/him/his/himself/she/her/hers/herself/it/its/itself/they/them/their/theirs/themselves) in the "
        "set; a contraction counts by its first part (i'm → i). The three shares sum to 1."
        for person in ("first", "second", "third")
    },
    "question_rate": "Share of posts with a question mark outside URLs.",
    "exclamation_rate": "Share of posts with an exclamation mark outside URLs.",
    "uppercase_ratio": "Mean over posts with at least one cased letter of the share of upper-case letters "
    "(Unicode category Lu) among the cased letters (Lu, Ll, Lt) of the post, URLs removed first; letters "
    "of scripts without case (Arabic, Devanagari, CJK...) do not count.",
}


def lexical_features(posts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Per-post lexical features, for drawing distributions.

    Args:
        posts: a frame with a `text` column, or a Series of texts. Not modified.

    Returns:
        One row per post with the input's index; columns `chars, tokens, hashtags, mentions, urls, emoji,
        words, sentences, syllables, difficult_words, pronouns_first, pronouns_second, pronouns_third,
        has_question, has_exclamation, cased_letters, uppercase_letters, uppercase_ratio, flesch_kincaid_grade,
        dale_chall` (see DEFINITIONS for how each is counted; ratios and scores are NaN where undefined).
    """
    return analyse_posts(posts).features


def top_items(posts: pd.DataFrame | pd.Series, kind: str, k: int = 20) -> pd.DataFrame:
    """The k most frequent items of one kind in a set of posts.

    Args:
        posts: a frame with a `text` column, or a Series of texts. Not modified.
        kind: `hashtag`, `emoji`, `mention`, `url`, `word`, or `1gram`, `2gram`, `3gram` (n-grams of
            vocabulary terms, URLs as `<url>`).
        k: how many items to return (fewer when there are fewer).

    Returns:
        Columns `item`, `count` and `share` (count over the number of posts), most frequent first, ties in
        alphabetical order; items are lower-cased.

    Raises:
        InputError: unknown kind or k below 1.
    """
    if k < 1:
        raise InputError(f"k must be 1 or more, got {k}.")
    n = 1
    if kind.endswith("gram") and kind[:-4].isdigit():
        kind, n = "ngram", int(kind[:-4])
    analysed = analyse_posts(posts)
    counts = top_counts(analysed.tokens, kind, n).head(k)
    n_posts = max(len(analysed.features), 1)
    return pd.DataFrame(
        {"item": counts.index.to_numpy(dtype=object), "count": counts.to_numpy(), "share": counts.to_numpy() / n_posts}
    )


def compare_lexical(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int = 0, top_k: int = 20, reference: Reference | None = None
) -> dict[str, dict[str, Any]]:
    """Lexical metrics of real vs synthetic posts, per platform and overall, beside the real-vs-real baseline.

    Args:
        real: real posts (`text` and `platform` columns). Not modified.
        synthetic: synthetic posts (`text` and `platform` columns). Not modified.
        seed: seed of the real-vs-real split.
        top_k: how many top hashtags / emoji the Jaccard overlaps compare.
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`),
            so they are not tokenised again; fitted here when None.

    Returns:
        {group: {metric: {"real", "synthetic", "baseline"} or number}}: see the module docstring.

    Raises:
        InputError: a set is empty or lacks a `text` or `platform` column, or top_k is below 1.
    """
    if top_k < 1:
        raise InputError(f"top_k must be 1 or more, got {top_k}.")
    for frame, name in ((real, "real posts"), (synthetic, "synthetic posts")):
        if PLATFORM not in frame.columns:
            raise InputError(f"{name}: no '{PLATFORM}' column. Load them with synth.io.load_posts, which adds it.")
        if frame.empty:
            raise InputError(f"{name}: the table is empty. Load at least one post.")
    reference = fit_reference(real, seed=seed, reference=reference)
    real_analysed = reference.analysed
    synthetic_analysed = analyse_posts(synthetic, "synthetic posts")
    real_platforms = real[PLATFORM].astype("string").fillna(UNKNOWN_PLATFORM).to_numpy()
    synthetic_platforms = synthetic[PLATFORM].astype("string").fillna(UNKNOWN_PLATFORM).to_numpy()
    splits = reference.splits

    groups = [ALL, *sorted(set(real_platforms) | set(synthetic_platforms))]
    result: dict[str, dict[str, Any]] = {}
    for group in groups:
        real_mask = np.ones(len(real), dtype=bool) if group == ALL else real_platforms == group
        synthetic_mask = np.ones(len(synthetic), dtype=bool) if group == ALL else synthetic_platforms == group
        real_set = real_analysed.subset(np.flatnonzero(real_mask))
        synthetic_set = synthetic_analysed.subset(np.flatnonzero(synthetic_mask))
        described_real, described_synthetic = describe(real_set), describe(synthetic_set)
        compared = compare(real_set, synthetic_set, top_k)
        described_halves, compared_halves = [], []
        for held_in, held_out in splits:
            first_half = real_analysed.subset(held_in[real_mask[held_in]])
            second_half = real_analysed.subset(held_out[real_mask[held_out]])
            described_halves.append(describe(second_half))
            compared_halves.append(compare(first_half, second_half, top_k))
        metrics: dict[str, Any] = {}
        for key in described_real:
            mean, spread = mean_and_spread([values[key] for values in described_halves])
            metrics[key] = {"real": described_real[key], "synthetic": described_synthetic[key],
                            "baseline": mean, "baseline_std": spread}
        metrics["n_posts"]["baseline"] = described_halves[0]["n_posts"]  # a size, the same for every split
        for key, value in compared.items():
            metrics[key] = value
            metrics[f"{key}_baseline"], metrics[f"{key}_baseline_std"] = mean_and_spread(
                [values[key] for values in compared_halves]
            )
        result[group] = metrics
    return result


def describe(posts: AnalysedPosts) -> dict[str, float | int | None]:
    """Every one-set lexical metric (the keys of DEFINITIONS that describe a set) of analysed posts."""
    features, tokens = posts.features, posts.tokens
    n_posts = len(features)
    values: dict[str, float | int | None] = {"n_posts": n_posts}
    for measure in LENGTH_MEASURES:
        lengths = features[measure].to_numpy(dtype=float)
        empty = n_posts == 0
        quartiles = [None] * 3 if empty else np.quantile(lengths, [0.25, 0.5, 0.75])
        values[f"{measure}_mean"] = None if empty else lengths.mean()
        values[f"{measure}_std"] = None if n_posts < 2 else lengths.std(ddof=1)
        values[f"{measure}_q25"], values[f"{measure}_median"], values[f"{measure}_q75"] = quartiles
    for name, kind in COUNTED_KINDS.items():
        counts = features[name].to_numpy()
        values[f"{name}_per_post"] = _mean(counts)
        values[f"{name}_share"] = _mean(counts > 0)
        values[f"{name}_unique"] = int(tokens.loc[(tokens["kind"] == kind).to_numpy(), "token"].nunique())
    terms = tokens["term"]
    vocabulary_size = int(terms.nunique())
    values["vocabulary_size"] = vocabulary_size
    values["type_token_ratio"] = vocabulary_size / len(terms) if len(terms) else None
    for n in NGRAM_SIZES:
        distinct = vocabulary_size if n == 1 else distinct_ngrams(tokens, n)
        values[f"unique_{n}grams_per_post"] = distinct / n_posts if n_posts else None
    values["flesch_kincaid_grade"] = _mean(features["flesch_kincaid_grade"].dropna().to_numpy())
    values["dale_chall"] = _mean(features["dale_chall"].dropna().to_numpy())
    pronoun_totals = {person: int(features[f"pronouns_{person}"].sum()) for person in ("first", "second", "third")}
    all_pronouns = sum(pronoun_totals.values())
    for person, total in pronoun_totals.items():
        values[f"pronoun_{person}_share"] = total / all_pronouns if all_pronouns else None
    values["question_rate"] = _mean(features["has_question"].to_numpy())
    values["exclamation_rate"] = _mean(features["has_exclamation"].to_numpy())
    values["uppercase_ratio"] = _mean(features["uppercase_ratio"].dropna().to_numpy())
    return {key: _plain(value) for key, value in values.items()}


def compare(reference: AnalysedPosts, other: AnalysedPosts, top_k: int = 20) -> dict[str, float | None]:
    """Every two-set lexical metric of `other` against `reference` (None where either set is empty)."""
    keys = [f"{m}_ks" for m in LENGTH_MEASURES] + [
        "top_hashtags_jaccard", "top_emoji_jaccard", "unigram_jsd", "vocabulary_jaccard"
    ]
    if reference.features.empty or other.features.empty:
        return dict.fromkeys(keys)
    values: dict[str, float | None] = {}
    for measure in LENGTH_MEASURES:
        statistic = ks_2samp(reference.features[measure].to_numpy(), other.features[measure].to_numpy()).statistic
        values[f"{measure}_ks"] = float(statistic)
    for kind, key in (("hashtag", "top_hashtags_jaccard"), ("emoji", "top_emoji_jaccard")):
        values[key] = _jaccard(
            set(top_counts(reference.tokens, kind).index[:top_k]), set(top_counts(other.tokens, kind).index[:top_k])
        )
    reference_counts = reference.tokens["term"].value_counts()
    other_counts = other.tokens["term"].value_counts()
    values["unigram_jsd"] = _jsd(reference_counts, other_counts)
    values["vocabulary_jaccard"] = _jaccard(set(reference_counts.index), set(other_counts.index))
    return values


def _jsd(first: pd.Series, second: pd.Series) -> float | None:
    if first.empty or second.empty:
        return None
    aligned = pd.concat([first.rename("a"), second.rename("b")], axis=1).fillna(0)
    distance = jensenshannon(aligned["a"].to_numpy(dtype=float), aligned["b"].to_numpy(dtype=float), base=2)
    return float(distance) ** 2


def _jaccard(first: set[str], second: set[str]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 1.0


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _plain(value: Any) -> float | int | None:
    """A JSON-ready number: numpy scalars to Python ones, NaN to None."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return None if np.isnan(number) else number
