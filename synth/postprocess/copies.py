"""Near-copies of real posts, with thresholds taken from the real-vs-real baseline.

Real posts resemble each other too: people repeat slogans, reply with the same words. A synthetic post is a
near-copy when it sits closer to a real post than real posts of one half sit to the other half, except for
the closest `1 - BASELINE_QUANTILE` of them (the distance-to-closest-record baseline of
`synth.metrics.privacy`), on embedding cosine or on character 5-gram Jaccard. The thresholds are never looser
than the privacy report's own fixed ones (cosine 0.95, Jaccard 0.8), so every post the report would call a
copy is caught here, and never stricter than MIN_COSINE / MIN_JACCARD, which a quantile of a few real posts
could otherwise undercut (posts on one topic share words without copying). A shared verbatim span of
`CHUNK_CHARS`+ characters (case and spacing ignored) is a copy too, however new the rest of the text is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.metrics.baseline import split_positions
from synth.metrics.privacy import DEFAULT_NGRAM_THRESHOLD, normalise_texts
from synth.metrics.privacy_neighbours import embedding_neighbours, ngram_neighbours

CHUNK_CHARS = 50
BASELINE_QUANTILE = 0.95
MAX_COSINE = 0.95
MIN_COSINE = 0.85
MIN_JACCARD = 0.5
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CopyThresholds:
    """Similarities at or above which a synthetic post is a near-copy of a real one.

    Attributes:
        cosine: embedding cosine threshold.
        jaccard: character 5-gram Jaccard threshold.
        basis: how they were set, for the record.
    """

    cosine: float
    jaccard: float
    basis: str


def fit_thresholds(real: pd.DataFrame, real_vectors: np.ndarray, *, seed: int = 0) -> CopyThresholds:
    """The thresholds from the real-vs-real baseline: the `BASELINE_QUANTILE` quantile of the similarity of
    each post of the second real half to its closest post of the first, capped at the privacy defaults."""
    first, second = split_positions(real, seed=seed)
    if len(first) == 0 or len(second) == 0:
        return CopyThresholds(MAX_COSINE, DEFAULT_NGRAM_THRESHOLD, "privacy defaults (too few real posts to split)")
    cosine = embedding_neighbours(real_vectors[first], real_vectors[second])[0]
    normal = normalise_texts(real["text"]).reset_index(drop=True)
    jaccard = ngram_neighbours(normal.iloc[first].reset_index(drop=True),
                               normal.iloc[second].reset_index(drop=True))[0]
    cosine_at = float(np.quantile(cosine, BASELINE_QUANTILE))
    jaccard_at = float(np.quantile(jaccard, BASELINE_QUANTILE))
    return CopyThresholds(
        cosine=round(float(np.clip(cosine_at, MIN_COSINE, MAX_COSINE)), 4),
        jaccard=round(float(np.clip(jaccard_at, MIN_JACCARD, DEFAULT_NGRAM_THRESHOLD)), 4),
        basis=f"{BASELINE_QUANTILE:.0%} quantile of real-vs-real closest similarity (cosine {cosine_at:.3f}, "
        f"jaccard {jaccard_at:.3f}), kept within [{MIN_COSINE}, {MAX_COSINE}] / [{MIN_JACCARD}, "
        f"{DEFAULT_NGRAM_THRESHOLD}]",
    )


def chunk_key(text: str) -> str:
    """The text as compared for verbatim chunks: case-folded, every run of spaces one space."""
    return _SPACES.sub(" ", text.casefold()).strip()


def chunk_index(texts: list[str]) -> dict[str, int]:
    """Every `CHUNK_CHARS`-character window of the texts (chunk_key form) -> the position of a text holding it."""
    index: dict[str, int] = {}
    for position, text in enumerate(texts):
        key = chunk_key(text)
        for start in range(len(key) - CHUNK_CHARS + 1):
            index.setdefault(key[start : start + CHUNK_CHARS], position)
    return index


def shared_chunk(text: str, index: dict[str, int]) -> tuple[int, str] | None:
    """The first `CHUNK_CHARS`-character span of `text` found in `index`: (text position, span), else None."""
    key = chunk_key(text)
    for start in range(len(key) - CHUNK_CHARS + 1):
        window = key[start : start + CHUNK_CHARS]
        if window in index:
            return index[window], window
    return None


@dataclass(frozen=True)
class Nearest:
    """Each synthetic post's closest real post, by meaning and by characters."""

    cosine: np.ndarray
    cosine_at: np.ndarray
    jaccard: np.ndarray
    jaccard_at: np.ndarray

    def too_close(self, thresholds: CopyThresholds) -> np.ndarray:
        """True for each synthetic post at or above either near-copy threshold."""
        return (self.cosine >= thresholds.cosine) | (self.jaccard >= thresholds.jaccard)


def nearest_real(real: pd.DataFrame, real_vectors: np.ndarray, synthetic: pd.DataFrame,
                 synthetic_vectors: np.ndarray) -> Nearest:
    """The most similar real post of each synthetic post (positions into `real`)."""
    cosine, cosine_at = embedding_neighbours(real_vectors, synthetic_vectors)
    jaccard, jaccard_at = ngram_neighbours(
        normalise_texts(real["text"]).reset_index(drop=True), normalise_texts(synthetic["text"]).reset_index(drop=True)
    )
    return Nearest(cosine, cosine_at, jaccard, jaccard_at)
