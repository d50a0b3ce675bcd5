"""Diversity: is the synthetic set as varied as the real one, or does the model repeat itself?

Every diversity measure depends on the size of the set (more posts, fewer new n-grams, better compression),
so each is computed on a seeded sample of at most SAMPLE_POSTS posts of the set (the real posts, the
synthetic posts, each held-out real half): sets of equal size wherever the sets are large enough, and the
real value and its real-vs-real baseline read beside the synthetic one. `compare_diversity` returns the
layout of `synth.metrics.grouped`.
"""

from __future__ import annotations

import gzip
import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.metrics._geometry import mean_pairwise_similarity, unit_rows
from synth.metrics.grouped import grouped_metrics, platforms_of
from synth.metrics.lexical_posts import distinct_ngrams, post_texts, token_table
from synth.metrics.reference import Reference, fit_reference

SAMPLE_POSTS = 1000
SELF_BLEU_POSTS = 100
BLEU_ORDER = 4
BLEU_EPSILON = 0.1  # smoothing method 1 of Chen and Cherry (2014), as nltk's SmoothingFunction().method1

DEFINITIONS: dict[str, str] = {
    **{
        f"distinct_{n}": f"Distinct-{n} (Li et al., 2016): distinct {n}-grams of vocabulary terms (synth.metrics."
        f"lexical_posts, URLs as one term) within posts divided by all {n}-gram occurrences, on a seeded sample "
        f"of at most {SAMPLE_POSTS} posts. 1 means no repetition; higher is more diverse."
        for n in (1, 2, 3)
    },
    "self_bleu": f"Self-BLEU (Zhu et al., 2018): mean over a seeded sample of at most {SELF_BLEU_POSTS} posts of the "
    f"BLEU-{BLEU_ORDER} of each post (tokens of the social tokenizer) against all the other posts of the sample as "
    "references, uniform weights, smoothing method 1 (epsilon 0.1), brevity penalty against the closest "
    "reference length; equal to nltk's sentence_bleu. Lower is more diverse.",
    "compression_ratio": f"Bytes of the texts of a seeded sample of at most {SAMPLE_POSTS} posts (UTF-8, joined by "
    "newlines) divided by the bytes of their gzip compression (level 9; Shaib et al., 2024). Higher means "
    "more repetitive text.",
    "within_cosine": f"Mean cosine similarity over all pairs of distinct posts of the same seeded sample of at most "
    f"{SAMPLE_POSTS} posts (embeddings). Lower is more diverse.",
    "repeated_share": f"Share of the posts of the seeded sample (at most {SAMPLE_POSTS}) whose normalised text "
    "(synth.metrics.privacy.normalise_texts) is shared with another post of the sample: the posts that "
    "repeat one another. 0 when every post is different.",
}


# For `synth.metrics.scorecard.scorecard(group, DIVERSITY_SCORECARD, DIVERSITY_SHARES)`.
DIVERSITY_SCORECARD: dict[str, tuple[str, str]] = {
    "distinct_1": ("Distinct words (distinct-1)", "set"),
    "distinct_2": ("Distinct word pairs (distinct-2)", "set"),
    "distinct_3": ("Distinct word triples (distinct-3)", "set"),
    "self_bleu": ("Self-BLEU (lower is more varied)", "set"),
    "compression_ratio": ("Compression ratio (higher is more repetitive)", "set"),
    "within_cosine": ("Mean similarity within the set", "set"),
    "repeated_share": ("Posts repeating another post", "set"),
}
DIVERSITY_SHARES: frozenset[str] = frozenset(["repeated_share"])


def compare_diversity(real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int = 0,
                      real_embeddings: np.ndarray | None = None, synthetic_embeddings: np.ndarray | None = None,
                      reference: Reference | None = None) -> dict[str, dict[str, Any]]:
    """Diversity per platform and overall, each beside the real set's value and the real-vs-real baseline.

    Args:
        real: real posts (`platform`, `text`). Not modified.
        synthetic: synthetic posts (same columns). Not modified.
        seed: seed of the samples and of the real-vs-real splits.
        real_embeddings: one row per real post (for `within_cosine`; the reference's when None).
        synthetic_embeddings: one row per synthetic post; without embeddings `within_cosine` is None.
        reference: the real posts already fitted.

    Raises:
        InputError: a set is empty.
    """
    for frame, name in ((real, "real posts"), (synthetic, "synthetic posts")):
        if frame.empty:
            raise InputError(f"{name}: the table is empty. Load at least one post.")
    reference = fit_reference(real, seed=seed, reference=reference)
    if real_embeddings is None:
        real_embeddings = reference.vectors
    vectors = None
    if real_embeddings is not None and synthetic_embeddings is not None:
        vectors = (unit_rows(real_embeddings, len(real), "real_embeddings"),
                   unit_rows(synthetic_embeddings, len(synthetic), "synthetic_embeddings"))

    from synth.metrics.privacy import normalise_texts

    tables = (reference.tokens, token_table(synthetic, "synthetic posts"))

    def side(posts: pd.DataFrame, which: int) -> pd.DataFrame:
        texts = post_texts(posts)
        return pd.DataFrame({"text": texts.to_numpy(dtype=object), "normal": normalise_texts(texts).to_numpy(),
                             "side": which, "row": np.arange(len(posts))})

    def describe(rows: pd.DataFrame) -> dict[str, float | None]:
        sample = rows.iloc[_sample(len(rows), SAMPLE_POSTS, seed)]
        which = int(sample["side"].iloc[0]) if len(sample) else 0
        values = describe_sample(sample["text"], sample["normal"], _tokens_of(tables[which], sample["row"].to_numpy()))
        values["within_cosine"] = None
        if vectors is not None and len(sample):
            values["within_cosine"] = mean_pairwise_similarity(vectors[which][sample["row"].to_numpy()])
        return values

    return grouped_metrics(side(real, 0), side(synthetic, 1), platforms_of(real), platforms_of(synthetic),
                           reference.splits, describe,
                           remember=lambda group, compute: reference.real_only(("diversity", group), compute,
                                                                               vectors=real_embeddings))


def describe_texts(texts: pd.Series) -> dict[str, float | None]:
    """distinct_1/2/3, self_bleu, compression_ratio and repeated_share of a set of texts (no sampling here)."""
    from synth.metrics.privacy import normalise_texts

    texts = post_texts(pd.Series(texts, dtype=object).reset_index(drop=True))
    return describe_sample(texts, normalise_texts(texts), token_table(texts))


def describe_sample(texts: pd.Series, normal: pd.Series, tokens: pd.DataFrame) -> dict[str, float | None]:
    """The text measures of DEFINITIONS from a sample's texts, normalised texts and token table (posts
    numbered 0..n-1 in the order of `texts`)."""
    n_posts = len(texts)
    if not n_posts:
        return dict.fromkeys(("distinct_1", "distinct_2", "distinct_3", "self_bleu", "compression_ratio",
                              "repeated_share"))
    post = tokens["post"].to_numpy()
    lengths = np.bincount(post, minlength=n_posts)
    values: dict[str, float | None] = {}
    for n in (1, 2, 3):
        occurrences = int(np.maximum(lengths - n + 1, 0).sum())
        values[f"distinct_{n}"] = distinct_ngrams(tokens, n) / occurrences if occurrences else None
    first = tokens[post < SELF_BLEU_POSTS]
    token_lists: list[list[str]] = [[] for _ in range(min(n_posts, SELF_BLEU_POSTS))]
    for position, token in zip(first["post"].to_numpy(), first["token"].to_numpy(dtype=object), strict=True):
        token_lists[position].append(token)
    values["self_bleu"] = self_bleu(token_lists)
    raw = "\n".join(map(str, texts)).encode("utf-8")
    values["compression_ratio"] = len(raw) / len(gzip.compress(raw, compresslevel=9, mtime=0)) if raw else None
    values["repeated_share"] = float(pd.Series(np.asarray(normal, dtype=object)).duplicated(keep=False).mean())
    return values


def _tokens_of(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The token rows of the posts at `rows` (positions in the side), renumbered 0..len(rows)-1 in that order."""
    size = 1 + max(int(table["post"].max()) if len(table) else 0, int(rows.max()) if len(rows) else 0)
    renumber = np.full(size, -1, dtype=np.int64)
    renumber[rows] = np.arange(len(rows))
    new_post = renumber[table["post"].to_numpy()]
    keep = new_post >= 0
    tokens = table[keep].assign(post=new_post[keep])
    return tokens.iloc[np.argsort(tokens["post"].to_numpy(), kind="stable")].reset_index(drop=True)


def self_bleu(token_lists: list[list[str]], order: int = BLEU_ORDER) -> float | None:
    """Mean BLEU of each token list against all the others (see DEFINITIONS); None for fewer than 2 lists.

    Equal to averaging nltk's `sentence_bleu(others, post, smoothing_function=method1)`, computed from each
    n-gram's largest and second-largest count over the posts rather than by scanning every reference.
    """
    n_posts = len(token_lists)
    if n_posts < 2:
        return None
    lengths = np.array([len(tokens) for tokens in token_lists])
    numerators = np.zeros((n_posts, order))
    denominators = np.zeros((n_posts, order))
    for n in range(1, order + 1):
        counts = [Counter(zip(*(tokens[k:] for k in range(n)), strict=False)) for tokens in token_lists]
        top: dict[tuple[str, ...], list[int]] = {}  # n-gram -> [largest count, posts with it, second largest]
        for counter in counts:
            for gram, count in counter.items():
                best = top.setdefault(gram, [0, 0, 0])
                if count > best[0]:
                    best[:] = [count, 1, best[0]]
                elif count == best[0]:
                    best[1] += 1
                elif count > best[2]:
                    best[2] = count
        for i, counter in enumerate(counts):
            clipped = 0
            for gram, count in counter.items():
                largest, holders, second = top[gram]
                others = second if count == largest and holders == 1 else largest
                clipped += min(count, others)
            numerators[i, n - 1] = clipped
            denominators[i, n - 1] = max(1, sum(counter.values()))
    scores = []
    for i in range(n_posts):
        if lengths[i] == 0 or numerators[i, 0] == 0:
            scores.append(0.0)
            continue
        precisions = np.where(numerators[i] == 0, BLEU_EPSILON, numerators[i]) / denominators[i]
        other_lengths = np.delete(lengths, i)
        closest = other_lengths[np.lexsort((other_lengths, np.abs(other_lengths - lengths[i])))[0]]
        penalty = 1.0 if lengths[i] > closest else math.exp(1 - closest / lengths[i])
        scores.append(penalty * math.exp(math.fsum(np.log(precisions) / order)))
    return float(np.mean(scores))


def _sample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
