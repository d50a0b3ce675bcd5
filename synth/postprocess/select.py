"""Select: from N candidates per wanted post, keep per topic x platform cell the ones that look most real.

Two judges, each ranking a cell's candidates:
- a real-vs-synthetic discriminator (logistic regression on embeddings + lexical features), cross-fitted: the
  synthetic posts are split into `FOLDS` folds and each fold is scored by a model trained without it, so no
  post is scored by a model that saw it;
- distribution matching (kernel herding): the cell's candidates are ordered greedily so that each prefix is as
  close as it can be, in maximum mean discrepancy (MMD, Gaussian kernel on the embeddings, median-distance
  bandwidth), to the real posts of the same topic and platform (of the platform when the cell has fewer than
  `MIN_REAL_IN_CELL`). Earlier in that order is better. Unlike ranking each candidate by its own closeness to
  real posts, which kept the most typical posts and made the set less varied than the real one (nearest-real
  cosine above the real-vs-real level while a classifier still told them apart), herding keeps a set that
  spreads as the real posts do.
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
MIN_REAL_IN_CELL = 5
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
        self.real_platform = context.real[schema.PLATFORM].astype(str).to_numpy()
        self.real_topic = topic_ids(context.real).to_numpy()
        self.real_unit = _unit(context.real_vectors)
        return self

    def record(self) -> dict[str, Any]:
        return {"per_cell": self.keep, "folds": FOLDS, "judges": ["discriminator", "mmd_herding"],
                "copy_thresholds": {"cosine": self.thresholds.cosine, "jaccard": self.thresholds.jaccard}}

    def apply(self, posts: pd.DataFrame) -> StepResult:
        if posts.empty:
            return StepResult(posts.copy(), [])
        context = self.context
        vectors = context.embed(posts)
        realness = self._discriminator_scores(posts, vectors)
        nearest = nearest_real(context.real, context.real_vectors, posts, vectors)
        too_close = nearest.too_close(self.thresholds)
        cells = cell_keys(posts).to_numpy()
        platforms, topics = posts[schema.PLATFORM].astype(str).to_numpy(), topic_ids(posts).to_numpy()
        score = np.zeros(len(posts))
        herding = np.zeros(len(posts))
        ids, values = posts[schema.POST_ID].astype(str).tolist(), texts(posts)
        keep = np.zeros(len(posts), dtype=bool)
        changes: list[Change] = []
        for cell in sorted(set(cells)):
            rows = np.flatnonzero(cells == cell)
            herding[rows] = self._herding_order(platforms[rows[0]], topics[rows[0]], vectors[rows])
            score[rows] = (_percentile_rank(realness[rows]) + _percentile_rank(-herding[rows])) / 2
            ranked = rows[np.argsort(-score[rows], kind="stable")]
            allowed = [row for row in ranked if not too_close[row]]
            chosen = set(allowed[: self.keep] if self.keep else allowed)
            for place, row in enumerate(ranked, start=1):
                if row in chosen:
                    keep[row] = True
                    continue
                reason = "too_close_to_real" if too_close[row] else "not_selected"
                detail = (f"rank {place} of {len(rows)} in {cell} (P(real) {realness[row]:.2f}, herding place "
                          f"{int(herding[row]) + 1}, nearest real cosine {nearest.cosine[row]:.3f})")
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

    def _herding_order(self, platform: str, topic: str, vectors: np.ndarray) -> np.ndarray:
        """Each candidate's place (0 = first) in the greedy order that keeps the chosen set's MMD to the real
        posts of its cell (of its platform when the cell has fewer than MIN_REAL_IN_CELL) smallest."""
        members = (self.real_platform == platform) & (self.real_topic == topic)
        if members.sum() < MIN_REAL_IN_CELL:
            members = self.real_platform == platform
        if not members.any():
            return np.zeros(len(vectors))
        return herding_order(_unit(vectors), self.real_unit[members])


def herding_order(candidates: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Kernel herding: each candidate's place in the greedy order that, step by step, adds the candidate making
    the chosen set's squared MMD to `real` smallest (Gaussian kernel, bandwidth the median pairwise distance
    between candidates and real posts)."""
    n = len(candidates)
    distances = _squared_distances(candidates, real)
    bandwidth = float(np.median(distances)) or 1.0
    to_real = np.exp(-distances / bandwidth).mean(axis=1)  # mean kernel of each candidate with the real posts
    among = np.exp(-_squared_distances(candidates, candidates) / bandwidth)
    place = np.zeros(n)
    chosen_sum = np.zeros(n)  # sum of kernels between each candidate and the chosen ones
    left = np.ones(n, dtype=bool)
    for step in range(n):
        size = step + 1
        # MMD^2(chosen + c, real) up to a constant: within-set term minus twice the cross term.
        cost = (2 * chosen_sum + np.diag(among)) / size**2 - 2 * to_real / size
        cost[~left] = np.inf
        pick = int(np.argmin(cost))
        place[pick], left[pick] = step, False
        chosen_sum += among[pick]
    return place


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(pct=True).to_numpy()


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=float), where=norms > 0)
