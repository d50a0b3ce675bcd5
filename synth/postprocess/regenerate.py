"""Regenerate: the cells still short after the earlier steps get new posts from the source run's model(s).

Each round counts the kept posts of every cell of the source run (model x topic x platform) against the posts
wanted per cell (`Context.per_cell`), finds the real posts no kept synthetic post covers (the coverage gaps of
synth.metrics.coverage_gaps: real clusters with no synthetic post near them), and asks the context's generator
(synth.postprocess.targeted) for the run's `candidates` posts per missing one, each cell's prompt examples
drawn from its uncovered real posts first. The new posts pass the earlier steps, fitted on the same reference
(rebalance left out: it would cut what this step fills), none may be as close to a real post as the near-copy
thresholds (synth.postprocess.copies), and the best of each cell (Select's score when it ran, else the first)
join the kept set. Rounds go on until every cell reaches its target, `rounds` are done, `max_calls` calls are
made (default MAX_CALLS_PER_MISSING per post missing at the start) or the source run's USD budget is spent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from synth import schema
from synth.errors import ConfigError, InputError
from synth.generate.progress import BUDGET
from synth.metrics.coverage_gaps import find_coverage_gaps
from synth.postprocess.base import ADDED, REMOVED, Change, Context, Step, StepResult, texts, topic_ids
from synth.postprocess.copies import fit_thresholds, nearest_real
from synth.postprocess.select import SCORE
from synth.postprocess.targeted import Generated, Want

MAX_CALLS_PER_MISSING = 4
Cell = tuple[str, str, str]  # (model, topic_id, platform), as the source run's cells


class Regenerate:
    """The regenerate step (see the module docstring).

    Args:
        rounds: the most rounds of generation.
        max_calls: the most calls over all rounds; None for MAX_CALLS_PER_MISSING per missing post.
        earlier: the steps run before this one, which the new posts pass too.
    """

    name = "regenerate"

    def __init__(self, rounds: int = 2, max_calls: int | None = None, earlier: Sequence[Step] = ()) -> None:
        if rounds < 1:
            raise ConfigError(f"--rounds must be at least 1, not {rounds}")
        if max_calls is not None and max_calls < 1:
            raise ConfigError(f"--max-calls must be at least 1, not {max_calls}")
        self.rounds, self.max_calls = rounds, max_calls
        self.earlier = [step for step in earlier if step.name != "rebalance"]
        self._record: dict[str, Any] = {}

    def fit(self, context: Context) -> Regenerate:
        if context.generator is None:
            raise ConfigError("regenerate needs the source run's model; post-process a run (`synth postprocess "
                              "--run RUN_DIR`), whose saved config names its models, or give Context a generator")
        if not context.per_cell:
            raise ConfigError("regenerate needs the posts wanted per cell; give --per-cell")
        self.context, self.generator = context, context.generator
        self.thresholds = fit_thresholds(context.real, context.real_vectors, seed=context.seed)
        return self

    def record(self) -> dict[str, Any]:
        return self._record

    def apply(self, posts: pd.DataFrame) -> StepResult:
        started = time.monotonic()
        kept = posts.reset_index(drop=True)
        budget = self.max_calls or MAX_CALLS_PER_MISSING * sum(self._missing(kept).values())
        changes: list[Change] = []
        rounds: list[dict[str, Any]] = []
        added: Counter[Cell] = Counter()
        calls, stopped = 0, ""
        while True:
            missing = self._missing(kept)
            if not missing:
                break
            if len(rounds) == self.rounds:
                stopped = f"all {self.rounds} round(s) done"
                break
            if calls >= budget:
                stopped = f"max_calls ({budget}) reached"
                break
            uncovered, gaps = self._uncovered(kept)
            wants = [Want(*cell, n * self.generator.candidates, uncovered.get(cell[1:], ()))
                     for cell, n in missing.items()]
            made = self.generator(wants, max_calls=budget - calls)
            calls += made.calls
            new, admitted = self._admit(made, kept, missing)
            changes += admitted
            for cell, post_id, text in zip(_cells(new), new[schema.POST_ID].astype(str), texts(new), strict=True):
                added[cell] += 1
                changes.append(Change(post_id, ADDED, "short_cell", f"round {len(rounds) + 1} for "
                                      f"{self._name(cell)}", "", text))
            kept = pd.concat([kept, new], ignore_index=True)
            rounds.append({"round": len(rounds) + 1, "wanted": sum(want.n for want in wants), "calls": made.calls,
                           "generated": len(made.posts), "added": len(new), "coverage_gaps": gaps,
                           "generation_s": round(made.seconds, 3), "status": made.status,
                           "run_dir": str(made.run_dir)})
            if made.error:  # what this and earlier rounds made is kept; their runs stay on disk
                stopped = f"the model failed in round {len(rounds)}: {made.error}"
                break
            if made.status == BUDGET:
                stopped = "the source run's budget_usd is spent"
                break
        self._record = {
            "per_cell": self.context.per_cell, "candidates": self.generator.candidates, "max_rounds": self.rounds,
            "max_calls": budget, "calls": calls, "seconds": round(time.monotonic() - started, 3), "rounds": rounds,
            "added": {self._name(cell): n for cell, n in sorted(added.items())},
            "still_short": {self._name(cell): {"missing": n, "why": stopped}
                            for cell, n in sorted(self._missing(kept).items())},
        }
        return StepResult(kept, changes)

    def _missing(self, kept: pd.DataFrame) -> dict[Cell, int]:
        """Posts each cell of the source run lacks to reach the posts wanted per cell."""
        have = Counter(_cells(kept))
        target = int(self.context.per_cell or 0)
        return {cell: target - have[cell] for cell in self.generator.cells if have[cell] < target}

    def _uncovered(self, kept: pd.DataFrame) -> tuple[dict[tuple[str, str], tuple[str, ...]], int | None]:
        """The real posts of each (topic, platform) in a coverage gap of the kept set, and how many gaps there
        are (None when the real posts are too few to cluster: examples are then drawn as in the source run)."""
        real = self.context.real
        if kept.empty:
            members = set(real[schema.POST_ID].astype(str))
            gaps = None
        else:
            try:
                report = find_coverage_gaps(real, self.context.real_vectors, self.context.embed(kept),
                                            random_state=self.context.seed)
            except InputError:
                return {}, None
            members = {post_id for gap in report.gaps for post_id in gap.member_ids}
            gaps = len(report.gaps)
        frame = pd.DataFrame({"id": real[schema.POST_ID].astype(str), "topic": topic_ids(real),
                              "platform": real[schema.PLATFORM].astype(str)})
        frame = frame[frame["id"].isin(members)]
        return {(str(topic), str(platform)): tuple(group["id"])
                for (topic, platform), group in frame.groupby(["topic", "platform"])}, gaps

    def _admit(self, made: Generated, kept: pd.DataFrame, missing: dict[Cell, int]) -> tuple[pd.DataFrame,
                                                                                             list[Change]]:
        """The new posts that pass the earlier steps and the copy thresholds, at most each cell's missing count,
        and a Change for each one left out (its reason prefixed with the step that left it out)."""
        batch = made.posts.reset_index(drop=True)
        if batch.empty:
            return batch, []
        new_ids = set(batch[schema.POST_ID].astype(str))
        context = replace(self.context, examples={**self.context.examples, **made.examples},
                          truncated=self.context.truncated | made.truncated)
        changes: list[Change] = []
        for step in self.earlier:
            step.fit(context)
            # Filter drops a duplicate of an earlier post: the kept posts go first so a new copy of one is seen.
            given = pd.concat([kept, batch], ignore_index=True) if step.name == "filter" else batch
            result = step.apply(given)
            batch = result.posts[result.posts[schema.POST_ID].astype(str).isin(new_ids)].reset_index(drop=True)
            changes += [replace(change, reason=f"{step.name}:{change.reason}")
                        for change in result.changes if change.post_id in new_ids]
        if not batch.empty:
            close = nearest_real(context.real, context.real_vectors, batch, context.embed(batch)).too_close(
                self.thresholds)
            changes += [Change(post_id, REMOVED, "too_close_to_real", "at or above the near-copy thresholds", text)
                        for post_id, text in zip(batch.loc[close, schema.POST_ID].astype(str),
                                                 texts(batch[close]), strict=True)]
            batch = batch[~close]
        if SCORE in batch:
            batch = batch.sort_values(SCORE, ascending=False, kind="stable")
        taken: Counter[Cell] = Counter()
        keep = np.zeros(len(batch), dtype=bool)
        for row, cell in enumerate(_cells(batch)):
            keep[row] = taken[cell] < missing.get(cell, 0)
            taken[cell] += int(keep[row])
        changes += [Change(post_id, REMOVED, "not_needed", "its cell had enough posts", text)
                    for post_id, text in zip(batch.loc[~keep, schema.POST_ID].astype(str), texts(batch[~keep]),
                                             strict=True)]
        return batch[keep].reset_index(drop=True), changes

    def _name(self, cell: Cell) -> str:
        """`topic|platform` as cell_keys writes it, `|model` added when the run has several models."""
        model, topic, platform = cell
        several = len({known[0] for known in self.generator.cells}) > 1
        return f"{topic}|{platform}|{model}" if several else f"{topic}|{platform}"


def _cells(posts: pd.DataFrame) -> list[Cell]:
    """Each post's cell of the source run."""
    models = posts[schema.MODEL].astype(str) if schema.MODEL in posts else pd.Series("", index=posts.index)
    return list(zip(models, topic_ids(posts).astype(str), posts[schema.PLATFORM].astype(str), strict=True))
