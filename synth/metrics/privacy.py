"""Privacy and quality of a synthetic set: copies of real posts, real handles and links reproduced, refusals,
boilerplate and repetition.

`privacy_report` returns (JSON-ready)::

    {
      "n_real": int, "n_synthetic": int, "n_examples": int,         # examples: real posts shown in prompts
      "thresholds": {"ngram_jaccard": float, "embedding_cosine": float | None},
      "copies": {
        "exact":          {"count", "rate", "of_examples", "of_other_real"},
        "near_ngram":     {"count", "rate", "of_examples", "of_other_real"},   # not exact, Jaccard >= threshold
        "near_embedding": {...} or None (no embeddings given),                 # not exact, cosine >= threshold
        "any":            {...},                                               # any of the above
      },
      "distance_to_closest_real": {"ngram": {...}, "embedding": {...} or None},
      "reproduced": {"handles": {...}, "urls": {...}},
      "quality": {"refusal_rate", "boilerplate_rate", "duplicate_rate", "distinct_1", "distinct_2"}
    }

`count` is the number of synthetic posts; `rate` is count / n_synthetic; `of_examples` counts those whose
matched real post is one of the few-shot examples (for an exact copy: any real post with that text is),
`of_other_real` the rest. See DEFINITIONS for each number.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.generate.parsing import is_refusal
from synth.metrics.baseline import split_positions
from synth.metrics.lexical_posts import analyse_posts, distinct_ngrams, post_texts
from synth.metrics.privacy_neighbours import (
    NGRAM_SIZE,
    best_embedding_neighbours,
    best_ngram_neighbours,
    embedding_neighbours,
    ngram_neighbours,
)
from synth.metrics.reference import Reference, fit_reference
from synth.schema import PLATFORM, POST_ID
from synth.text import MENTION_RE, URL_PATTERN, URL_RE

DEFAULT_NGRAM_THRESHOLD = 0.8

# Phrases of a model talking about its task rather than writing a post, anywhere in the text.
_BOILERPLATE_PATTERN = (
    r"(?i)\b(?:here(?:'|’)?s (?:a|an|the|my|your|some)\b|here (?:is|are) (?:a|an|the|some|\d+)\b|"
    r"as requested\b|let me know\b|hope (?:this|these|that) helps?\b|feel free to\b|"
    r"as an? (?:ai|language model)\b|(?:tweet|post|caption|comment)\s*#?\s*\d+\s*:|"
    r"character count|word count|\(\d+ (?:characters|chars|words)\)|\[(?:insert|your|link|username|name)\b|"
    r"sure[!,] here|i hope you (?:like|enjoy))"
)

DEFINITIONS: dict[str, str] = {
    "normalised_text": "Text as compared for copies: Unicode NFKC, case-folded, URLs removed, every run of "
    "characters that are not letters, digits or underscore replaced by one space, trimmed.",
    "exact": "Synthetic posts whose normalised text (non-empty) equals the normalised text of a real post.",
    "near_ngram": f"Synthetic posts, not exact copies, whose character {NGRAM_SIZE}-gram set (of the "
    "normalised text) has a Jaccard index |A∩B|/|A∪B| at or above the threshold with some real post's.",
    "near_embedding": "Synthetic posts, not exact copies, whose embedding has a cosine similarity at or above "
    "the threshold with some real post's embedding (only when embeddings are given).",
    "of_examples": "Copies whose matched real post (the most similar one; for an exact copy any real post "
    "with the same normalised text) is one of the few-shot examples shown in the prompts.",
    "distance_to_closest_real": "For each synthetic post, 1 - the highest similarity (character n-gram "
    "Jaccard; embedding cosine) to any post of the first real half (synth.metrics.baseline.split_halves); "
    "the baseline is the same for each post of the second real half against the first. Reported as mean, "
    "5th percentile and median; share_below_baseline_p05 is the share of synthetic posts closer to the real "
    "data than the closest 5% of held-out real posts are: about 0.05 when the generator copies no more than "
    "a fresh real sample would, more when it copies.",
    "any": "Synthetic posts that are a copy of any of the kinds above (each post counted once).",
    "handles": "Distinct @handles and u/names (synth.text.MENTION_RE, case-insensitive) of the real posts "
    "that appear in synthetic posts, and "
    "the share of synthetic posts containing at least one of them.",
    "urls": "Distinct URLs (as written, trailing punctuation removed) of the real posts that appear in "
    "synthetic posts, and the share of synthetic posts containing at least one of them.",
    "refusal_rate": "Share of synthetic posts that open like a model refusing (synth.generate.parsing.is_refusal).",
    "boilerplate_rate": "Share of synthetic posts containing a phrase of a model talking about its task "
    "(\"here is a\", \"as requested\", \"hope this helps\", \"Tweet 1:\", \"(250 characters)\", "
    "\"[insert link]\"...; synth.metrics.privacy._BOILERPLATE_PATTERN).",
    "duplicate_rate": "Share of synthetic posts whose normalised text repeats an earlier synthetic post's: "
    "1 - distinct normalised texts / posts.",
    "distinct_n": "Distinct-n (Li et al., 2016): distinct n-grams of vocabulary terms (synth.metrics.lexical) "
    "within posts divided by all n-gram occurrences in the set, for n = 1 and 2; 1 means no repetition.",
}


def normalise_texts(texts: pd.Series) -> pd.Series:
    """The normalised text of each post (see DEFINITIONS["normalised_text"]), same index as `texts`."""
    texts = post_texts(texts)
    nfkc = pd.Series([unicodedata.normalize("NFKC", t) for t in texts], index=texts.index, dtype="string[pyarrow]")
    without_urls = nfkc.str.replace(URL_PATTERN, " ", regex=True)
    lowered = pd.Series([t.casefold() for t in without_urls], index=texts.index, dtype="string[pyarrow]")
    return lowered.str.replace(r"[^\p{L}\p{N}_]+", " ", regex=True).str.strip()


def privacy_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    example_ids: Collection[str] | None = None,
    embeddings: tuple[np.ndarray, np.ndarray] | None = None,
    near_duplicate_threshold: float = 0.95,
    ngram_threshold: float = DEFAULT_NGRAM_THRESHOLD,
    seed: int = 0,
    reference: Reference | None = None,
) -> dict[str, Any]:
    """Copies of real posts, reproduced handles and links, refusals and repetition in a synthetic set.

    Args:
        real: real posts (`post_id`, `text`; `platform` for the baseline split). Not modified.
        synthetic: synthetic posts (`text`). Not modified.
        example_ids: post_ids of the real posts used as few-shot examples in the prompts; copies of them
            are reported apart.
        embeddings: (real_embeddings, synthetic_embeddings), one row per post in the frames' order; adds
            the embedding near-copy and distance measures.
        near_duplicate_threshold: cosine similarity at or above which an embedding neighbour is a near copy.
        ngram_threshold: character n-gram Jaccard at or above which a real post is a near copy.
        seed: seed of the real-vs-real split for the distance baseline.
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`):
            the real-vs-real distances are kept on it for later calls. Optional.

    Returns:
        The report laid out in the module docstring.

    Raises:
        InputError: empty sets, missing columns, embeddings that do not match the frames, or thresholds
            outside (0, 1].
    """
    halves = _half_masks(real, seed)
    matches = _match_copies(
        real, synthetic, example_ids, embeddings, near_duplicate_threshold, ngram_threshold,
        first_half=halves[0] if halves else None,
    )
    n_synthetic = len(synthetic)
    copies: dict[str, Any] = {
        "exact": _copy_counts(matches["exact"], matches["exact_of_example"], n_synthetic),
        "near_ngram": _copy_counts(matches["near_ngram"], matches["ngram_of_example"], n_synthetic),
        "near_embedding": None,
    }
    flagged = matches["exact"] | matches["near_ngram"]
    example_flag = (matches["exact"] & matches["exact_of_example"]) | (
        matches["near_ngram"] & matches["ngram_of_example"]
    )
    if embeddings is not None:
        copies["near_embedding"] = _copy_counts(
            matches["near_embedding"], matches["embedding_of_example"], n_synthetic
        )
        flagged |= matches["near_embedding"]
        example_flag |= matches["near_embedding"] & matches["embedding_of_example"]
    copies["any"] = _copy_counts(flagged, example_flag, n_synthetic)
    return {
        "n_real": len(real),
        "n_synthetic": n_synthetic,
        "n_examples": len(set(example_ids or ())),
        "thresholds": {
            "ngram_jaccard": ngram_threshold,
            "embedding_cosine": near_duplicate_threshold if embeddings is not None else None,
        },
        "copies": copies,
        "distance_to_closest_real": _distances(real, embeddings, matches, halves, reference, seed),
        "reproduced": _reproduced(real, synthetic),
        "quality": _quality(synthetic, matches["synthetic_normal"]),
    }


def flag_copies(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    example_ids: Collection[str] | None = None,
    embeddings: tuple[np.ndarray, np.ndarray] | None = None,
    near_duplicate_threshold: float = 0.95,
    ngram_threshold: float = DEFAULT_NGRAM_THRESHOLD,
) -> pd.DataFrame:
    """The synthetic posts that copy a real post, with the real post they copy, for display.

    Args: as for `privacy_report`.

    Returns:
        The flagged synthetic rows (their index and columns), plus `copy_kind` (`exact`, `near_ngram` or
        `near_embedding`, the strongest that applies), `similarity` (1.0 for exact; else the n-gram
        Jaccard or the embedding cosine), `real_post_id`, `real_text` and `of_example`; most similar first.
    """
    matches = _match_copies(real, synthetic, example_ids, embeddings, near_duplicate_threshold, ngram_threshold)
    kind = pd.Series(pd.NA, index=synthetic.index, dtype="string")
    similarity = np.full(len(synthetic), np.nan)
    matched = np.full(len(synthetic), -1, dtype=np.int64)
    of_example = np.zeros(len(synthetic), dtype=bool)
    # Weakest first, so the strongest kind that applies is the one left.
    layers = [("near_embedding", "embedding"), ("near_ngram", "ngram"), ("exact", "exact")]
    for flag, prefix in layers:
        if flag not in matches:
            continue
        rows = matches[flag]
        kind[rows] = flag
        similarity[rows] = matches[f"{prefix}_similarity"][rows]
        matched[rows] = matches[f"{prefix}_match"][rows]
        of_example[rows] = matches[f"{prefix}_of_example"][rows]
    keep = kind.notna().to_numpy()
    flagged = synthetic.loc[keep].copy()
    real_ids = _post_ids(real)
    real_texts = post_texts(real, "real posts").to_numpy(dtype=object)
    flagged["copy_kind"] = kind[keep]
    flagged["similarity"] = similarity[keep]
    flagged["real_post_id"] = real_ids[matched[keep]] if keep.any() else []
    flagged["real_text"] = real_texts[matched[keep]] if keep.any() else []
    flagged["of_example"] = of_example[keep]
    return flagged.sort_values("similarity", ascending=False, kind="stable")


def _match_copies(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    example_ids: Collection[str] | None,
    embeddings: tuple[np.ndarray, np.ndarray] | None,
    near_duplicate_threshold: float,
    ngram_threshold: float,
    first_half: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per synthetic post (positionally): flags and the matched real position for each kind of copy; with
    `first_half` (a mask over the real posts), also the similarity to the closest post of that half."""
    _check_inputs(real, synthetic, embeddings, near_duplicate_threshold, ngram_threshold)
    real_normal = normalise_texts(post_texts(real, "real posts"))
    synthetic_normal = normalise_texts(post_texts(synthetic, "synthetic posts"))
    is_example = np.isin(_post_ids(real), np.array(list(example_ids or ()), dtype=object))

    # Exact: look the normalised text up among the real ones; of_example if any real post with it is one.
    real_lookup = pd.DataFrame({"text": real_normal.to_numpy(dtype=object), "example": is_example,
                                "position": np.arange(len(real))})
    real_lookup = real_lookup[real_lookup["text"] != ""]
    by_text = real_lookup.groupby("text", sort=False).agg(example=("example", "any"), position=("position", "min"))
    synthetic_text = synthetic_normal.to_numpy(dtype=object)
    exact = pd.Index(by_text.index).get_indexer(synthetic_text)
    found = exact >= 0
    exact = np.maximum(exact, 0) if len(by_text) else np.zeros(len(exact), dtype=np.int64)
    if not len(by_text):  # no real post has any text left once normalised: nothing to look up
        by_text = pd.DataFrame({"example": [False], "position": [-1]})
    matches: dict[str, np.ndarray] = {
        "real_normal": real_normal.to_numpy(dtype=object),
        "synthetic_normal": synthetic_text,
        "exact": found,
        "exact_match": np.where(found, by_text["position"].to_numpy()[exact], -1),
        "exact_similarity": np.where(found, 1.0, np.nan),
        "exact_of_example": found & by_text["example"].to_numpy()[exact],
    }
    masks = [np.ones(len(real), dtype=bool)] + ([first_half] if first_half is not None else [])
    best = best_ngram_neighbours(real_normal, synthetic_normal, masks)
    ngram_similarity, ngram_match = best[0]
    matches["ngram_similarity"], matches["ngram_match"] = ngram_similarity, ngram_match
    if first_half is not None:
        matches["ngram_first_half_similarity"] = best[1][0]
    matches["near_ngram"] = ~found & (ngram_similarity >= ngram_threshold)
    matches["ngram_of_example"] = (ngram_match >= 0) & is_example[np.maximum(ngram_match, 0)]
    if embeddings is not None:
        # All real posts and the first half as candidates from one matrix product, as for the n-grams.
        nearest = best_embedding_neighbours(embeddings[0], embeddings[1], masks)
        cosine, cosine_match = nearest[0]
        matches["embedding_similarity"], matches["embedding_match"] = cosine, cosine_match
        matches["near_embedding"] = ~found & (cosine >= near_duplicate_threshold)
        matches["embedding_of_example"] = is_example[cosine_match]
        if first_half is not None:
            matches["embedding_first_half_similarity"] = nearest[1][0]
    return matches


def _half_masks(real: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Boolean masks of the two real halves (split_halves), or None when the second half would be empty."""
    if len(real) < 2:
        return None
    platforms = real[PLATFORM].to_numpy() if PLATFORM in real.columns else "all"
    first, _ = split_positions(pd.DataFrame({PLATFORM: platforms}, index=range(len(real))), seed=seed)
    in_first = np.zeros(len(real), dtype=bool)
    in_first[first] = True
    # One post per platform puts every post in the first half: then there is nothing to compare with.
    return (in_first, ~in_first) if not in_first.all() else None


def _distances(
    real: pd.DataFrame,
    embeddings: tuple[np.ndarray, np.ndarray] | None,
    matches: dict[str, np.ndarray],
    halves: tuple[np.ndarray, np.ndarray] | None,
    reference: Reference | None,
    seed: int,
) -> dict[str, Any]:
    if halves is None:
        return {"ngram": None, "embedding": None}
    first, second = halves

    def baseline() -> tuple[np.ndarray, np.ndarray | None]:
        """(n-gram, embedding) distances of the second real half to the first: real posts alone."""
        real_normal = pd.Series(matches["real_normal"], dtype="string[pyarrow]")
        ngram = 1 - ngram_neighbours(real_normal[first], real_normal[second])[0]
        if embeddings is None:
            return ngram, None
        real_embeddings = np.asarray(embeddings[0])
        return ngram, 1 - embedding_neighbours(real_embeddings[first], real_embeddings[second])[0]

    if reference is None:
        real_side = baseline()
    else:
        real_side = fit_reference(real, seed=seed, reference=reference).real_only(
            ("privacy", seed, embeddings is not None), baseline,
            vectors=None if embeddings is None else embeddings[0])
    ngram, embedding = real_side
    result: dict[str, Any] = {
        "ngram": _distance_summary(1 - matches["ngram_first_half_similarity"], ngram),
        "embedding": None,
    }
    if embedding is not None:
        result["embedding"] = _distance_summary(1 - matches["embedding_first_half_similarity"], embedding)
    return result


def _distance_summary(synthetic: np.ndarray, baseline: np.ndarray) -> dict[str, Any]:
    def summary(values: np.ndarray) -> dict[str, float]:
        return {"mean": float(values.mean()), "p05": float(np.quantile(values, 0.05)),
                "median": float(np.median(values))}

    baseline_p05 = float(np.quantile(baseline, 0.05))
    return {
        "synthetic": summary(synthetic),
        "baseline": summary(baseline),
        "share_below_baseline_p05": float(np.mean(synthetic < baseline_p05)),
    }


def _reproduced(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, Any]:
    # Positions, not labels: a repeated index label must not merge two posts.
    real_texts = post_texts(real, "real posts").reset_index(drop=True)
    synthetic_texts = post_texts(synthetic, "synthetic posts").reset_index(drop=True)
    mentions = (MENTION_RE, lambda s: s.str.lower())
    urls = (URL_RE, lambda s: s.str.replace(r"[.,;:!?)\]}'\"…]+$", "", regex=True))
    result: dict[str, Any] = {}
    for name, (pattern, clean) in (("handles", mentions), ("urls", urls)):
        real_items = set(clean(real_texts.str.findall(pattern).explode().dropna().astype("string")))
        found = clean(synthetic_texts.str.findall(pattern).explode().dropna().astype("string"))
        reproduced = found[found.isin(real_items)]
        counts = reproduced.value_counts()
        result[name] = {
            "unique": len(counts),
            "post_rate": float(reproduced.index.nunique() / len(synthetic)),
            "top": {str(item): int(count) for item, count in counts.head(10).items()},
        }
    return result


def _quality(synthetic: pd.DataFrame, normal: np.ndarray) -> dict[str, float | None]:
    texts = post_texts(synthetic, "synthetic posts")
    analysed = analyse_posts(texts)
    terms = len(analysed.tokens)
    # Bigram occurrences never cross posts: a post of k terms holds k - 1.
    bigrams = int(np.maximum(analysed.features["tokens"].to_numpy() - 1, 0).sum())
    return {
        "refusal_rate": float(np.mean([is_refusal(t) for t in texts])),
        "boilerplate_rate": float(texts.str.contains(_BOILERPLATE_PATTERN, regex=True).mean()),
        "duplicate_rate": float(1 - len(pd.unique(normal)) / len(normal)),
        "distinct_1": distinct_ngrams(analysed.tokens, 1) / terms if terms else None,
        "distinct_2": distinct_ngrams(analysed.tokens, 2) / bigrams if bigrams else None,
    }


def _copy_counts(flags: np.ndarray, of_example: np.ndarray, n_synthetic: int) -> dict[str, Any]:
    count = int(flags.sum())
    examples = int((flags & of_example).sum())
    return {"count": count, "rate": count / n_synthetic, "of_examples": examples, "of_other_real": count - examples}


def _post_ids(posts: pd.DataFrame) -> np.ndarray:
    if POST_ID in posts.columns:
        return posts[POST_ID].astype(str).to_numpy(dtype=object)
    return np.array([str(i) for i in posts.index], dtype=object)


def _check_inputs(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    embeddings: tuple[np.ndarray, np.ndarray] | None,
    near_duplicate_threshold: float,
    ngram_threshold: float,
) -> None:
    for frame, name in ((real, "real posts"), (synthetic, "synthetic posts")):
        if frame.empty:
            raise InputError(f"{name}: the table is empty. Load at least one post.")
    for value, name in ((near_duplicate_threshold, "near_duplicate_threshold"), (ngram_threshold, "ngram_threshold")):
        if not 0 < value <= 1:
            raise InputError(f"{name} must be in (0, 1], got {value}.")
    if embeddings is not None:
        real_embeddings, synthetic_embeddings = (np.asarray(e) for e in embeddings)
        if real_embeddings.ndim != 2 or synthetic_embeddings.ndim != 2:
            raise InputError("embeddings must be two 2-D arrays (one row per post): (real, synthetic).")
        if len(real_embeddings) != len(real) or len(synthetic_embeddings) != len(synthetic):
            raise InputError(
                f"embeddings have {len(real_embeddings)} real and {len(synthetic_embeddings)} synthetic rows for "
                f"{len(real)} real and {len(synthetic)} synthetic posts: embed the same posts, in the same order."
            )
        if real_embeddings.shape[1] != synthetic_embeddings.shape[1]:
            raise InputError("real and synthetic embeddings have different widths: embed both with one model.")
