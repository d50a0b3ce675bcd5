"""The real side of an evaluation, fitted once and handed to every metric, the leaderboard and the report.

Every fidelity number compares synthetic posts with the same real posts, so what is derived from the real
posts alone is computed here once and shared: their token table (`synth.metrics.lexical_posts`; the
leaderboard needs only this) and per-post lexical features, their marker counts (`synth.text.count_features`),
the seeded real-vs-real halves (`synth.metrics.baseline.split_positions`) and, when given, their embeddings.
Each part is computed on first use, so a caller that needs only the halves never tokenises. The real-vs-real
baselines of the metrics, which do not depend on the synthetic posts, are kept too (`real_only`): most of
an evaluation's time on large sets, they are then computed once however many synthetic sets are compared.

Metric functions take an optional `reference=`; without one they fit a Reference of the `real` frame they
were given, so callers passing plain frames keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.metrics.baseline import split_positions, split_seeds
from synth.metrics.lexical_posts import AnalysedPosts, analyse_posts, token_table
from synth.schema import TEXT
from synth.text import count_features

T = TypeVar("T")


class Reference:
    """Real posts and what every metric derives from them alone, each part computed once on first use.

    Attributes:
        posts: the real posts (canonical schema). Not modified.
        seed: seed of the real-vs-real halves.
        vectors: one embedding per real post in row order, or None until given (`with_vectors`).
    """

    def __init__(self, posts: pd.DataFrame, *, seed: int = 0, vectors: np.ndarray | None = None) -> None:
        _check_vectors(posts, vectors)
        self.posts = posts
        self.seed = seed
        self.vectors = vectors
        # Parts computed so far, by name; shared with the copies `with_vectors` makes.
        self._parts: dict[str, Any] = {}
        # Results of `real_only`, by key: this object's own, as they may depend on its vectors.
        self._real_only: dict[Hashable, Any] = {}

    def _part(self, name: str, compute: Callable[[], T]) -> T:
        if name not in self._parts:
            self._parts[name] = compute()
        return cast(T, self._parts[name])

    @property
    def tokens(self) -> pd.DataFrame:
        """The real posts tokenised once: the flat token table of `synth.metrics.lexical_posts`."""
        return self._part("tokens", lambda: token_table(self.posts, "real posts"))

    @property
    def analysed(self) -> AnalysedPosts:
        """The token table with the per-post lexical features computed from it."""
        return self._part("analysed", lambda: analyse_posts(self.posts, "real posts", tokens=self.tokens))

    @property
    def features(self) -> pd.DataFrame:
        """Per-post lexical features (`synth.metrics.lexical.lexical_features` of the real posts)."""
        return self.analysed.features

    @property
    def counts(self) -> pd.DataFrame:
        """Per-post marker counts of `synth.text.count_features` (matches anywhere in the text)."""
        return self._part("counts", lambda: count_features(self.posts[TEXT]))

    @property
    def halves(self) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of the two seeded real halves (`synth.metrics.baseline.split_positions`)."""
        return self._part("halves", lambda: split_positions(self.posts, seed=self.seed))

    @property
    def affect(self) -> pd.DataFrame:
        """Per-post affect of the real posts (`synth.metrics.affect.affect_features`)."""
        from synth.metrics.affect import affect_features

        return self._part("affect", lambda: affect_features(self.posts))

    @property
    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Row positions of the halves of every real-vs-real split (`synth.metrics.baseline.split_seeds`);
        the first is `halves`."""
        return self._part("splits", lambda: [self.halves] + [
            split_positions(self.posts, seed=seed) for seed in split_seeds(self.seed)[1:]
        ])

    def real_only(self, key: Hashable, compute: Callable[[], T], *, vectors: np.ndarray | None = None) -> T:
        """`compute()` once per `key`, for a result derived from these real posts (and seed) alone, such as a
        real-vs-real baseline: later blocks (each model of `evaluate(by=...)`, another synthetic set) reuse it.

        `vectors`: the real embeddings the result is computed from, when any; a result from other vectors than
        this reference's own (`vectors is not self.vectors`) is computed afresh and not kept.
        """
        if vectors is not None and vectors is not self.vectors:
            return compute()
        if key not in self._real_only:
            self._real_only[key] = compute()
        return cast(T, self._real_only[key])

    def with_vectors(self, vectors: np.ndarray) -> Reference:
        """This reference with the real posts' embeddings; it shares the parts computed, now or later."""
        _check_vectors(self.posts, vectors)
        fitted = Reference(self.posts, seed=self.seed, vectors=vectors)
        fitted._parts = self._parts
        return fitted


def _check_vectors(posts: pd.DataFrame, vectors: np.ndarray | None) -> None:
    if vectors is not None and len(vectors) != len(posts):
        raise InputError(
            f"real posts: {len(vectors)} embeddings for {len(posts)} posts. Embed the same posts, in order."
        )


def fit_reference(real: pd.DataFrame, *, seed: int = 0, reference: Reference | None = None,
                  any_seed: bool = False) -> Reference:
    """`reference` when given (checked against `real` and `seed`), else a new Reference of `real`.

    `any_seed` accepts a reference of another seed, for a caller that does not use the halves.

    Raises:
        InputError: the given reference was fitted on other posts (another length) or with another seed.
    """
    if reference is None:
        return Reference(real, seed=seed)
    if len(reference.posts) != len(real) or (reference.seed != seed and not any_seed):
        raise InputError(
            f"the reference holds {len(reference.posts)} real posts with seed {reference.seed}, but the metric was "
            f"given {len(real)} real posts with seed {seed}: fit the reference on the same posts and seed."
        )
    return reference
