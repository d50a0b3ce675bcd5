"""Select: from N candidates per wanted post, keep per topic x platform cell the ones that look most real.

Two judges, each ranking a cell's candidates:
- a real-vs-synthetic discriminator (logistic regression on embeddings + lexical features), cross-fitted: the
  synthetic posts are split into `FOLDS` folds and each fold is scored by a model trained without it, so no
  post is scored by a model that saw it;
- closeness to the real cell: the mean cosine to the `K_NEIGHBOURS` nearest real posts of the same topic and
  platform (of the platform when the cell has too few real posts), nearest-neighbour voting on the cell.
A candidate's score is the mean of its two percentile ranks in its cell. The `per_cell` best are kept, never
one at or above the near-copy thresholds (synth.postprocess.copies), whatever its score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from synth import schema
from synth.postprocess.base import REMOVED, Change, Context, StepResult, cell_keys, texts, topic_ids
from synth.postprocess.copies import CopyThresholds, fit_thresholds, nearest_real
from synth.text import count_features

FOLDS = 5
K_NEIGHBOURS = 5
SCORE = "select_score"


def lexical_matrix(values: list[str]) -> np.ndarray:
    """Per-post style features the discriminator sees beside the embedding."""
    series = pd.Series(values, dtype="string")
    counts = count_features(series)
    stripped = series.str.lstrip().fillna("")
    letters = series.str.count(r"[A-Za-z]").clip(lower=1)
    return np.column_stack([
        np.log1p(counts["chars"]), np.log1p(counts["tokens"]), counts["hashtags"], counts["mentions"],
        counts["urls"], counts["emoji"], series.str.contains("?", regex=False).astype(float),
        series.str.contains("!", regex=False).astype(float), series.str.count(r"[A-Z]") / letters,
        stripped.str.match(r"[a-z]").astype(float), series.str.count("\n"), series.str.count(r"[.,;:]") / letters,
    ]).astype(float)


class Select:
    """The select step (see the module docstring).

    Args:
        per_cell: posts to keep per cell; None takes the run's (`Context.per_cell`), and without either every
            candidate that is not a copy is kept, ranked.
    """

    name = "select"

    def __init__(self, per_cell: int | None = None) -> None:
        self.per_cell = per_cell

    def fit(self, context: Context) -> Select:
        self.context = context
        self.keep = self.per_cell or context.per_cell
        self.thresholds: CopyThresholds = fit_thresholds(context.real, context.real_vectors, seed=context.seed)
        self.real_lexical = lexical_matrix(texts(context.real))
        return self

    def record(self) -> dict[str, Any]:
        return {"per_cell": self.keep, "folds": FOLDS, "k_neighbours": K_NEIGHBOURS,
                "copy_thresholds": {"cosine": self.thresholds.cosine, "jaccard": self.thresholds.jaccard}}

    def apply(self, posts: pd.DataFrame) -> StepResult:
        if posts.empty:
            return StepResult(posts.copy(), [])
        context = self.context
        vectors = context.embed(posts)
        realness = self._discriminator_scores(posts, vectors)
        closeness = self._cell_closeness(posts, vectors)
        nearest = nearest_real(context.real, context.real_vectors, posts, vectors)
        too_close = nearest.too_close(self.thresholds)
        cells = cell_keys(posts).to_numpy()
        score = np.zeros(len(posts))
        for cell in set(cells):
            rows = np.flatnonzero(cells == cell)
            score[rows] = (_percentile_rank(realness[rows]) + _percentile_rank(closeness[rows])) / 2
        ids, values = posts[schema.POST_ID].astype(str).tolist(), texts(posts)
        keep = np.zeros(len(posts), dtype=bool)
        changes: list[Change] = []
        for cell in sorted(set(cells)):
            rows = np.flatnonzero(cells == cell)
            ranked = rows[np.argsort(-score[rows], kind="stable")]
            allowed = [row for row in ranked if not too_close[row]]
            chosen = set(allowed[: self.keep] if self.keep else allowed)
            for place, row in enumerate(ranked, start=1):
                if row in chosen:
                    keep[row] = True
                    continue
                reason = "too_close_to_real" if too_close[row] else "not_selected"
                detail = (f"rank {place} of {len(rows)} in {cell} (P(real) {realness[row]:.2f}, cell cosine "
                          f"{closeness[row]:.3f}, nearest real cosine {nearest.cosine[row]:.3f})")
                changes.append(Change(ids[row], REMOVED, reason, detail, values[row]))
        kept = posts.copy()
        kept[SCORE] = score
        return StepResult(kept[keep], changes)

    def _discriminator_scores(self, posts: pd.DataFrame, vectors: np.ndarray) -> np.ndarray:
        """P(real) of each synthetic post from a model trained on folds that leave it out."""
        context = self.context
        real_x = np.hstack([context.real_vectors, self.real_lexical])
        synthetic_x = np.hstack([vectors, lexical_matrix(texts(posts))])
        scores = np.full(len(posts), 0.5)
        n_folds = min(FOLDS, len(posts))
        if n_folds < 2:
            return scores
        folds = np.arange(len(posts)) % n_folds
        np.random.default_rng(context.seed).shuffle(folds)
        for fold in range(n_folds):
            held = folds == fold
            x = np.vstack([real_x, synthetic_x[~held]])
            y = np.concatenate([np.ones(len(real_x)), np.zeros(int((~held).sum()))])
            scaler = StandardScaler().fit(x)
            model = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000)
            model.fit(scaler.transform(x), y)
            scores[held] = model.predict_proba(scaler.transform(synthetic_x[held]))[:, 1]
        return scores

    def _cell_closeness(self, posts: pd.DataFrame, vectors: np.ndarray) -> np.ndarray:
        """Mean cosine of each post to its nearest real posts of the same cell (or platform)."""
        context = self.context
        real_unit = _unit(context.real_vectors)
        unit = _unit(vectors)
        real_platform = context.real[schema.PLATFORM].astype(str).to_numpy()
        real_topic = topic_ids(context.real).to_numpy()
        closeness = np.zeros(len(posts))
        for row, (platform, topic) in enumerate(zip(posts[schema.PLATFORM].astype(str), topic_ids(posts),
                                                    strict=True)):
            members = (real_platform == platform) & (real_topic == topic)
            if members.sum() < K_NEIGHBOURS:
                members = real_platform == platform
            if not members.any():
                continue
            cosine = real_unit[members] @ unit[row]
            closeness[row] = float(np.sort(cosine)[-K_NEIGHBOURS:].mean())
        return closeness


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(pct=True).to_numpy()


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=float), where=norms > 0)
