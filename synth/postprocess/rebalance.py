"""Rebalance: bring the synthetic set to the real topic x platform proportions.

Over the cells the synthetic set has, each cell's share of the real posts (reference half) sets its target
share of the synthetic posts it keeps; targets are whole posts by largest remainder, for as many posts as
are kept now. A cell above its target loses its lowest-scored posts (Select's score when it ran, else its
last ones); a cell below keeps everything and its shortfall is recorded (`shortfall` in steps.json), for
Regenerate to fill. Without real posts labelled with the run's topics the proportions are per platform only,
and the record says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synth import schema
from synth.postprocess.base import REMOVED, Change, Context, StepResult, texts, topic_ids
from synth.postprocess.select import SCORE


def largest_remainder(shares: dict[str, float], total: int) -> dict[str, int]:
    """Whole numbers in proportion to `shares` summing to `total` (Hamilton's method; ties by key)."""
    weight = sum(shares.values())
    exact = {key: total * share / weight for key, share in shares.items()} if weight else dict.fromkeys(shares, 0.0)
    counts = {key: int(np.floor(value)) for key, value in exact.items()}
    left = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))[:left]:
        counts[key] += 1
    return counts


class Rebalance:
    """The rebalance step (see the module docstring)."""

    name = "rebalance"

    def fit(self, context: Context) -> Rebalance:
        self.real = context.real
        self.targets: dict[str, int] = {}
        self.shortfall: dict[str, int] = {}
        self.by = "topic x platform"
        return self

    def record(self) -> dict[str, Any]:
        return {"by": self.by, "targets": self.targets, "shortfall": self.shortfall}

    def apply(self, posts: pd.DataFrame) -> StepResult:
        if posts.empty:
            return StepResult(posts.copy(), [])
        synthetic_topic, real_topic = topic_ids(posts), topic_ids(self.real)
        if not synthetic_topic.isin(set(real_topic)).any():
            self.by = "platform (no real post carries the run's topic ids; pass the topics file to label them)"
            synthetic_topic = pd.Series("", index=posts.index, dtype="string")
            real_topic = pd.Series("", index=self.real.index, dtype="string")
        cells = (synthetic_topic + "|" + posts[schema.PLATFORM].astype(str)).to_numpy()
        real_cells = (real_topic + "|" + self.real[schema.PLATFORM].astype(str)).value_counts()
        shares = {cell: float(real_cells.get(cell, 0)) for cell in sorted(set(cells))}
        self.targets = largest_remainder(shares, len(posts))
        score = posts[SCORE].to_numpy() if SCORE in posts else -np.arange(len(posts), dtype=float)
        keep = np.ones(len(posts), dtype=bool)
        ids, values = posts[schema.POST_ID].astype(str).tolist(), texts(posts)
        changes: list[Change] = []
        for cell, target in self.targets.items():
            rows = np.flatnonzero(cells == cell)
            if len(rows) < target:
                self.shortfall[cell] = target - len(rows)
                continue
            for row in rows[np.argsort(score[rows], kind="stable")][: len(rows) - target]:
                keep[row] = False
                changes.append(Change(ids[row], REMOVED, "over_cell_share",
                                      f"{cell}: {len(rows)} posts, its real share is {target}", values[row]))
        return StepResult(posts[keep].copy(), changes)
