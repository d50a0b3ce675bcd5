"""The one protocol every post-processing step follows, and what the steps share.

A step is fitted once on the reference real posts (`fit(context)`), then applied to a synthetic set
(`apply(posts)`), returning the posts it keeps (texts possibly changed) and one `Change` per post it removed
or changed, with the reason. Steps never modify the frame they are given, so the raw posts stay as they were
and every change can be undone from its record (`before` holds the text the step was given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from synth import schema
from synth.embeddings.embedder import Embedder

if TYPE_CHECKING:
    from synth.postprocess.targeted import Generator

REMOVED = "removed"
CHANGED = "changed"
ADDED = "added"


@dataclass(frozen=True)
class Change:
    """What one step did to one post.

    Attributes:
        post_id: the synthetic post.
        action: `removed`, `changed` or `added` (a post regenerate made).
        reason: a short machine-readable reason, e.g. `assistant_talk`, `near_copy_real`, `trim_length`.
        detail: one line for people (what matched, which real post, the similarity...).
        before: the text the step was given (empty for an added post).
        after: the text it kept (None when removed).
    """

    post_id: str
    action: str
    reason: str
    detail: str
    before: str
    after: str | None = None


@dataclass
class StepResult:
    """What one step returned: the kept posts (same columns as given) and the record of its changes."""

    posts: pd.DataFrame
    changes: list[Change] = field(default_factory=list)

    def summary(self, name: str, n_in: int) -> dict[str, Any]:
        """The step's line of steps.json: in, out, changed, and how many posts each reason touched."""
        reasons: dict[str, int] = {}
        for change in self.changes:
            key = f"{change.action}:{change.reason}"
            reasons[key] = reasons.get(key, 0) + 1
        return {
            "step": name,
            "in": n_in,
            "out": len(self.posts),
            "removed": sum(change.action == REMOVED for change in self.changes),
            "changed": len({change.post_id for change in self.changes if change.action == CHANGED}),
            "reasons": dict(sorted(reasons.items())),
        }


@dataclass
class Context:
    """What steps are fitted on: the reference real posts and what is derived from them.

    Attributes:
        real: the reference real posts (canonical schema; a `topic` column holding the run's topic ids lets
            steps work per topic x platform cell). Never the posts the result is evaluated on.
        embedder: embeds texts for the steps that compare meaning.
        examples: synthetic post_id -> texts of the real posts its prompt showed as examples.
        truncated: synthetic post_ids whose call stopped at its max_tokens (the answer was cut).
        per_cell: posts wanted per topic x platform (x model) cell, for selection.
        seed: seeds every sampled choice.
        generator: makes new posts with the source run's models, for regenerate (None: that step refuses).
    """

    real: pd.DataFrame
    embedder: Embedder
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    truncated: frozenset[str] = frozenset()
    per_cell: int | None = None
    seed: int = 0
    generator: Generator | None = None
    _vectors: np.ndarray | None = None

    @property
    def real_vectors(self) -> np.ndarray:
        """The real posts' embeddings, computed once."""
        if self._vectors is None:
            self._vectors = self.embedder.embed(texts(self.real))
        return self._vectors

    def embed(self, posts: pd.DataFrame) -> np.ndarray:
        return self.embedder.embed(texts(posts))


class Step(Protocol):
    """A post-processing step: fitted on the reference real posts, applied to a synthetic set."""

    name: str

    def fit(self, context: Context) -> Step:
        """Learn what the step needs from the reference real posts; return self."""
        ...

    def apply(self, posts: pd.DataFrame) -> StepResult:
        """The posts kept (a new frame, texts possibly changed) and one Change per post removed or changed."""
        ...


def texts(posts: pd.DataFrame) -> list[str]:
    """The posts' texts as plain strings (missing -> empty)."""
    return posts[schema.TEXT].astype("string").fillna("").tolist()


def change_records(changes: list[Change], step: str) -> list[dict[str, Any]]:
    """Changes as JSON-ready rows, each naming its step."""
    return [{"step": step, **asdict(change)} for change in changes]


def topic_ids(posts: pd.DataFrame) -> pd.Series:
    """Each post's topic id: the run's `topic_id` column for synthetic posts (their `topic` holds the label),
    the `topic` column for real ones; empty when neither is there."""
    column = "topic_id" if "topic_id" in posts else schema.TOPIC
    if column not in posts:
        return pd.Series("", index=posts.index, dtype="string")
    return posts[column].astype("string").fillna("")


def cell_keys(posts: pd.DataFrame) -> pd.Series:
    """Each post's cell: `topic|platform` (and `|model` when the posts carry several models)."""
    topic = topic_ids(posts)
    key = topic + "|" + posts[schema.PLATFORM].astype("string").fillna("")
    if schema.MODEL in posts and posts[schema.MODEL].nunique(dropna=True) > 1:
        key = key + "|" + posts[schema.MODEL].astype("string").fillna("")
    return key
