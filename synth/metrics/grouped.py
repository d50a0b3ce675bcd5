"""The shared layout of per-platform metrics beside a real-vs-real baseline over several splits.

`grouped_metrics` takes one row of per-post data per post (a frame for each side), a function describing one
set and, optionally, one comparing two sets, and returns `compare_lexical`'s layout::

    {"all" | <platform>: {
        <set metric>: {"real", "synthetic", "baseline", "baseline_std"},
        <comparison>: <synthetic vs real>, <comparison>_baseline: <mean over splits>, <comparison>_baseline_std,
    }}

The baseline of a set metric is its value on the held-out half of each real-vs-real split of the Reference
(`synth.metrics.baseline`), that of a comparison is the first half compared with the held-out half; both are
reported as the mean and the sample standard deviation over the splits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from synth.metrics.baseline import mean_and_spread
from synth.metrics.lexical import ALL, UNKNOWN_PLATFORM
from synth.schema import PLATFORM

Describe = Callable[[pd.DataFrame], Mapping[str, Any]]
Compare = Callable[[pd.DataFrame, pd.DataFrame], Mapping[str, Any]]
Remember = Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]]


def platforms_of(posts: pd.DataFrame) -> np.ndarray:
    """Each post's platform (UNKNOWN_PLATFORM where missing), as an object array."""
    return posts[PLATFORM].astype("string").fillna(UNKNOWN_PLATFORM).to_numpy(dtype=object)


def grouped_metrics(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    real_platforms: np.ndarray,
    synthetic_platforms: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    describe: Describe,
    compare: Compare | None = None,
    remember: Remember | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-group metrics in the layout of the module docstring.

    Args:
        real: per-post data of the real posts, one row per post in the real posts' order.
        synthetic: the same for the synthetic posts.
        real_platforms: platform of each real post (`platforms_of`).
        synthetic_platforms: platform of each synthetic post.
        splits: row positions of the halves of each real-vs-real split (`Reference.splits`).
        describe: rows of one set -> {metric: value} (called on empty frames too: return None values).
        compare: (reference rows, other rows) -> {metric: value}; None when there are no comparisons.
        remember: (group, compute) -> compute(), possibly kept from an earlier call: the real-vs-real part of
            each group goes through it (`Reference.real_only`), as it depends on the real posts alone.
    """
    result: dict[str, dict[str, Any]] = {}
    for group in [ALL, *sorted(set(real_platforms) | set(synthetic_platforms))]:
        real_mask = np.ones(len(real), bool) if group == ALL else real_platforms == group
        synthetic_mask = np.ones(len(synthetic), bool) if group == ALL else synthetic_platforms == group
        real_rows = real.iloc[np.flatnonzero(real_mask)]
        synthetic_rows = synthetic.iloc[np.flatnonzero(synthetic_mask)]
        halves = [(real.iloc[first[real_mask[first]]], real.iloc[second[real_mask[second]]])
                  for first, second in splits]

        def baseline(halves: list[tuple[pd.DataFrame, pd.DataFrame]] = halves) -> dict[str, Any]:
            return {"held_out": [describe(second) for _, second in halves],
                    "compared": [compare(first, second) for first, second in halves] if compare else []}

        described = {"real": describe(real_rows), "synthetic": describe(synthetic_rows)}
        halves_part = remember(group, baseline) if remember is not None else baseline()
        held_out = halves_part["held_out"]
        metrics: dict[str, Any] = {"n_posts": {"real": len(real_rows), "synthetic": len(synthetic_rows),
                                               "baseline": len(halves[0][1]) if halves else 0}}
        for key in described["real"]:
            mean, spread = mean_and_spread([values[key] for values in held_out])
            metrics[key] = {"real": described["real"][key], "synthetic": described["synthetic"][key],
                            "baseline": mean, "baseline_std": spread}
        if compare is not None:
            compared = compare(real_rows, synthetic_rows)
            compared_halves = halves_part["compared"]
            for key, value in compared.items():
                metrics[key] = value
                metrics[f"{key}_baseline"], metrics[f"{key}_baseline_std"] = mean_and_spread(
                    [values[key] for values in compared_halves]
                )
        result[group] = metrics
    return result
