"""Every fidelity metric at once: the content of metrics.json.

`evaluate(real, synthetic)` embeds both sets once (default: the bundled MiniLM behind its disk cache) and
returns::

    {
      "lexical":       synth.metrics.lexical.compare_lexical(...)          # {group: {metric: ...}}
      "semantic":      synth.metrics.semantic.compare_semantic(...)        # {group: {metric: ...}}
      "multiplatform": synth.metrics.multiplatform.compare_multiplatform(...)
      "privacy":       synth.metrics.privacy.privacy_report(...)
      "affect":        synth.metrics.affect.compare_affect(...)             # sentiment, emotions, offensiveness
      "diversity":     synth.metrics.diversity.compare_diversity(...)
      "utility":       synth.metrics.utility.compare_utility(...)           # TSTR beside TRTR
      "detector":      synth.metrics.utility.detector(...)                  # detector accuracy per platform
      "meta":          {"counts", "embedder", "seed", "timings_s", "by", ...}
    }

With `by="model"` (or any other column of the synthetic posts, such as `backend` or `run_id`) the keys
above still describe ALL synthetic posts pooled, and one more key, `by_model`, maps each value of that
column to a block of the same keys computed on that value's posts alone. Readers of the pooled
layout keep working, and every model is compared against the same real posts and the same baseline.
Everything is JSON-ready: floats, ints, strings, booleans and None (an undefined value), never NaN.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from synth.embeddings.embedder import Embedder
from synth.embeddings.remote import embedder_from_spec
from synth.errors import InputError
from synth.jsonable import json_ready
from synth.metrics.reference import Reference, fit_reference
from synth.schema import MODEL, PLATFORM, SOURCE, TEXT, count_by_value

SECTIONS: tuple[str, ...] = ("lexical", "semantic", "multiplatform", "privacy", "affect", "diversity", "utility",
                             "detector", "meta")
MISSING_VALUE = "(none)"
T = TypeVar("T")


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    embedder: Embedder | None = None,
    seed: int = 0,
    by: str | None = None,
    example_ids: Collection[str] | None = None,
    reference: Reference | None = None,
) -> dict[str, Any]:
    """Compute metrics.json for synthetic against real posts (layout in the module docstring).

    Args:
        real: real posts in the canonical schema (`post_id`, `platform`, `text`). Not modified.
        synthetic: synthetic posts (`post_id`, `platform`, `text`; `model` etc. for `by`). Not modified.
        embedder: the embedder for the semantic, multi-platform and privacy metrics (default: the bundled
            all-MiniLM-L6-v2 with its disk cache).
        seed: seed of the real-vs-real halves and of every sampled step (classifiers, MAUVE).
        by: a column of `synthetic` to also report each value of separately (typically `model`).
        example_ids: post_ids of the real posts shown as few-shot examples (privacy reports their copies apart).
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`;
            its embeddings are used when it holds them); fitted here when None. Either way the real posts are
            tokenised once for every block.

    Returns:
        The metrics as a JSON-ready dict.

    Raises:
        InputError: a set is empty or lacks a column, or `by` names no column of the synthetic posts.
    """
    _check(real, "real posts")
    _check(synthetic, "synthetic posts")
    if by is not None and by not in synthetic.columns:
        raise InputError(
            f"synthetic posts: no {by!r} column to group by. Columns: {', '.join(map(str, synthetic.columns))}. "
            "Drop --by or name one of these."
        )
    embedder = embedder or embedder_from_spec()  # SYNTH_EMBEDDER, else the bundled MiniLM
    reference = fit_reference(real, seed=seed, reference=reference)
    timings: dict[str, float] = {}
    if reference.vectors is None:
        vectors = _timed(timings, "embed_real", lambda: embedder.embed(_texts(real)))
        reference = reference.with_vectors(vectors)
    synthetic_vectors = _timed(timings, "embed_synthetic", lambda: embedder.embed(_texts(synthetic)))
    _timed(timings, "lexical_features_real", lambda: reference.features)
    context = _Context(reference, embedder, example_ids)
    result = context.block(synthetic, synthetic_vectors, timings)
    if by is not None:
        values = synthetic[by].astype("string").fillna(MISSING_VALUE).to_numpy(dtype=object)
        result[f"by_{by}"] = {
            str(value): context.block(
                synthetic.iloc[rows], synthetic_vectors[rows], {}
            )
            for value in sorted(set(values))
            for rows in [np.flatnonzero(values == value)]
        }
        result["meta"]["by"] = by
    return json_ready(result)


class _Context:
    """What every block shares: the fitted real posts (with their embeddings) and the settings."""

    def __init__(self, reference: Reference, embedder: Embedder, example_ids: Collection[str] | None) -> None:
        self.reference, self.embedder, self.example_ids = reference, embedder, example_ids
        self.real, self.seed = reference.posts, reference.seed
        self.real_vectors: np.ndarray = reference.vectors if reference.vectors is not None else np.zeros((0, 0))

    def block(self, synthetic: pd.DataFrame, synthetic_vectors: np.ndarray, timings: dict[str, float]) -> dict:
        from synth.metrics.affect import compare_affect
        from synth.metrics.diversity import compare_diversity
        from synth.metrics.lexical import compare_lexical, lexical_features
        from synth.metrics.multiplatform import compare_multiplatform
        from synth.metrics.privacy import privacy_report
        from synth.metrics.semantic import compare_semantic
        from synth.metrics.utility import compare_utility, detector

        real, seed, reference = self.real, self.seed, self.reference
        block: dict[str, Any] = {}
        block["lexical"] = _timed(timings, "lexical", lambda: compare_lexical(
            real, synthetic, seed=seed, reference=reference,
        ))
        block["semantic"] = _timed(timings, "semantic", lambda: compare_semantic(
            real, synthetic, real_embeddings=self.real_vectors, synthetic_embeddings=synthetic_vectors, seed=seed,
            reference=reference,
        ))
        synthetic_features = _timed(timings, "lexical_features_synthetic", lambda: lexical_features(synthetic))
        block["multiplatform"] = _timed(timings, "multiplatform", lambda: compare_multiplatform(
            real, synthetic, real_embeddings=self.real_vectors, synthetic_embeddings=synthetic_vectors, seed=seed,
            synthetic_features=synthetic_features, reference=reference,
        ))
        block["privacy"] = _timed(timings, "privacy", lambda: privacy_report(
            real, synthetic, example_ids=self.example_ids, embeddings=(self.real_vectors, synthetic_vectors),
            seed=seed, reference=reference,
        ))
        block["affect"] = _timed(timings, "affect", lambda: compare_affect(
            real, synthetic, seed=seed, reference=reference,
        ))
        block["diversity"] = _timed(timings, "diversity", lambda: compare_diversity(
            real, synthetic, seed=seed, real_embeddings=self.real_vectors, synthetic_embeddings=synthetic_vectors,
            reference=reference,
        ))
        embeddings = {"real_embeddings": self.real_vectors, "synthetic_embeddings": synthetic_vectors}
        block["utility"] = _timed(timings, "utility", lambda: compare_utility(
            real, synthetic, **embeddings, seed=seed, reference=reference,
        ))
        block["detector"] = _timed(timings, "detector", lambda: detector(
            real, synthetic, **embeddings, seed=seed, reference=reference,
        ))
        block["meta"] = {
            "counts": {"real": _counts(real), "synthetic": _counts(synthetic)},
            "embedder": {"name": self.embedder.name, "dim": int(self.embedder.dim)},
            "seed": seed,
            "timings_s": {key: round(value, 3) for key, value in timings.items()},
        }
        return block


def _check(posts: pd.DataFrame, name: str) -> None:
    missing = [column for column in (PLATFORM, TEXT) if column not in posts.columns]
    if missing:
        raise InputError(f"{name}: no {', '.join(missing)} column. Load them with synth.io.load_posts.")
    if posts.empty:
        raise InputError(f"{name}: the table is empty. Load at least one post.")


def _texts(posts: pd.DataFrame) -> list[str]:
    return posts[TEXT].astype("string").fillna("").tolist()


def _timed(timings: dict[str, float], key: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = work()
    timings[key] = time.perf_counter() - start
    return value


def _counts(posts: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"total": len(posts)}
    for column in (PLATFORM, SOURCE, MODEL):
        if column in posts.columns and posts[column].notna().any():
            values = posts[column].astype("string").fillna(MISSING_VALUE)
            out[f"by_{column}"] = count_by_value(values)
    return out
