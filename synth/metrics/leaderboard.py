"""A model x platform leaderboard: one headline fidelity score per cell, with bootstrap intervals.

The headline score (0-100, higher is closer to the real posts) is the mean of five similarities, each in
[0, 1] where 1 means the synthetic posts are indistinguishable from the real ones on that aspect:

- `length_similarity` = 1 - KS, the two-sample Kolmogorov-Smirnov statistic between the character lengths
  of the real and the synthetic posts of the platform;
- `marker_similarity` = 1 - the mean absolute difference, over hashtags, mentions, URLs and emoji, between
  the share of real and the share of synthetic posts holding at least one;
- `vocabulary_similarity` = 1 - JSD, the Jensen-Shannon divergence (base 2, so within [0, 1]) between the
  unigram distributions (tokens of `synth.text.tokenize_series`: hashtags, mentions, URLs and emoji whole);
- `sentiment_similarity` = 1 - KS between the VADER compound scores of the real and the synthetic posts
  (`synth.metrics.affect`): a model that writes everything cheerful is caught here;
- `offensive_similarity` = 1 - the absolute difference between the real and the synthetic share of offensive
  posts (alt-profanity-check): a model that sanitises the conversation is caught here.

score = 100 x the mean of the five.

Uncertainty: each replicate resamples, with replacement, the real posts of the platform and the synthetic
posts of every model (sizes unchanged), and rescores every cell; the interval is the 2.5th-97.5th percentile
of the replicate scores. Every model of a platform is scored on the same real resample in a replicate, so
`p_best`, the share of replicates in which a model scores highest on the platform, says how sure the ranking
is. A model is called best on a platform only when its interval does not overlap the runner-up's; otherwise
the leaderboard says the leaders are tied within uncertainty.

The `all` row of a model is the unweighted mean of its platform scores (each replicate likewise), so it
counts every platform the same whatever its size. The `baseline_score` of a platform is the score between the
two real halves of `synth.metrics.baseline.split_halves`, the mean over the seeded splits of the Reference
(`baseline_std` their spread): the ceiling a perfect generator reaches on data of that size (halves are
smaller than the full set, so the ceiling is slightly pessimistic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial.distance import jensenshannon

from synth.errors import InputError
from synth.metrics.affect import OFFENSIVE_FROM, sentiment_and_offence
from synth.metrics.lexical_posts import token_table
from synth.metrics.reference import Reference, fit_reference
from synth.schema import MODEL, PLATFORM, TEXT
from synth.text import count_features

MARKERS: tuple[str, ...] = ("hashtags", "mentions", "urls", "emoji")
COMPONENTS: tuple[str, ...] = (
    "length_similarity", "marker_similarity", "vocabulary_similarity", "sentiment_similarity", "offensive_similarity",
)
ALL = "all"
UNKNOWN_MODEL = "(unknown model)"

DEFINITIONS: dict[str, str] = {
    "score": "Headline fidelity score, 0-100: 100 x the mean of length, marker, vocabulary, sentiment and "
    "offensive-language similarity. 100 means the synthetic posts match the real posts of the platform on all five "
    "aspects.",
    "length_similarity": "1 - the two-sample Kolmogorov-Smirnov statistic between the character lengths of "
    "real and synthetic posts (1 = identical length distributions).",
    "marker_similarity": "1 - the mean, over hashtags, mentions, URLs and emoji, of the absolute difference "
    "between the share of real and of synthetic posts holding at least one.",
    "vocabulary_similarity": "1 - the Jensen-Shannon divergence (base 2) between the unigram distributions of "
    "real and synthetic posts; hashtags, mentions, URLs and emoji count as single tokens.",
    "sentiment_similarity": "1 - the two-sample Kolmogorov-Smirnov statistic between the VADER compound sentiment "
    "scores of real and synthetic posts (1 = identical sentiment distributions; see sentiment_ks).",
    "offensive_similarity": "1 - the absolute difference between the share of real and of synthetic posts that "
    "alt-profanity-check rates offensive (see offensive_rate).",
    "score_interval": "2.5th-97.5th percentile of the score over bootstrap replicates that resample real and "
    "synthetic posts with replacement.",
    "p_best": "Share of bootstrap replicates in which the model scores highest on the platform.",
    "baseline_std": "Sample standard deviation of the baseline score over the seeded real-vs-real splits.",
    "baseline_score": "The score between two seeded halves of the real posts, mean over the seeded splits of "
    "synth.metrics.baseline (for 'all', the mean over platforms within each split): the ceiling a perfect generator "
    "reaches on data of this size.",
}


@dataclass(frozen=True)
class Leaderboard:
    """The scored leaderboard.

    Attributes:
        cells: one row per (model, platform) and per (model, "all"): model, platform, score, score_low,
            score_high, the three components, n_real, n_synthetic, baseline_score, baseline_std, p_best.
        best: one row per platform (and "all"): platform, best_model, p_best, clear (the leader's interval
            does not overlap the runner-up's), runner_up, verdict (a sentence for people).
        skipped: one row per (model, platform) left out, with the reason.
        n_boot: bootstrap replicates used; seed: their seed.
    """

    cells: pd.DataFrame
    best: pd.DataFrame
    skipped: pd.DataFrame
    n_boot: int
    seed: int


@dataclass(frozen=True)
class _Sample:
    """What the score needs of a set of posts, per post: length, marker presence, unigram counts, sentiment
    and offensiveness."""

    chars: np.ndarray
    markers: np.ndarray  # (n, len(MARKERS)) booleans
    counts: sparse.csr_matrix  # (n, vocabulary) token counts
    sentiment: np.ndarray  # VADER compound score
    offensive: np.ndarray  # 1.0 where alt-profanity-check rates the post offensive

    def subset(self, positions: np.ndarray) -> _Sample:
        """The posts at integer `positions`."""
        return _Sample(self.chars[positions], self.markers[positions], self.counts[positions],
                       self.sentiment[positions], self.offensive[positions])

    def totals(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Sorted lengths, marker shares, unigram totals, sorted sentiment scores and the offensive share, for
        the sample repeated by integer `weights`."""
        if weights is None:
            weights = np.ones(len(self.chars), dtype=np.int64)
        lengths = np.sort(np.repeat(self.chars, weights))
        shares = (weights @ self.markers) / weights.sum()
        unigrams = np.asarray(self.counts.T @ weights).ravel()
        sentiment = np.sort(np.repeat(self.sentiment, weights))
        offensive = float(weights @ self.offensive) / weights.sum()
        return lengths, shares, unigrams, sentiment, offensive


def ks_statistic(sorted_a: np.ndarray, sorted_b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of two sorted samples (same value as scipy's ks_2samp)."""
    grid = np.concatenate([sorted_a, sorted_b])
    cdf_a = np.searchsorted(sorted_a, grid, side="right") / len(sorted_a)
    cdf_b = np.searchsorted(sorted_b, grid, side="right") / len(sorted_b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _components(real: tuple, synthetic: tuple) -> np.ndarray:
    (real_lengths, real_shares, real_unigrams, real_sentiment, real_offensive) = real
    (syn_lengths, syn_shares, syn_unigrams, syn_sentiment, syn_offensive) = synthetic
    length = 1.0 - ks_statistic(real_lengths, syn_lengths)
    marker = 1.0 - float(np.mean(np.abs(real_shares - syn_shares)))
    if real_unigrams.sum() == 0 or syn_unigrams.sum() == 0:
        # No tokens at all on one side: identical only when both are empty.
        vocabulary = float(real_unigrams.sum() == syn_unigrams.sum())
    else:
        vocabulary = 1.0 - float(jensenshannon(real_unigrams, syn_unigrams, base=2)) ** 2
    sentiment = 1.0 - ks_statistic(real_sentiment, syn_sentiment)
    offensive = 1.0 - abs(real_offensive - syn_offensive)
    return np.array([length, marker, vocabulary, sentiment, offensive])


def _samples(reference: Reference, synthetic: pd.DataFrame) -> tuple[_Sample, _Sample]:
    """The real and the synthetic sample over one shared vocabulary (every token of either set, sorted); the
    real posts' tokens and counts come from the reference, so they are not tokenised again."""
    real_tokens = reference.tokens
    synthetic_tokens = token_table(synthetic, "synthetic posts")
    vocabulary = pd.Index(sorted(set(real_tokens["token"].tolist()) | set(synthetic_tokens["token"].tolist())))
    real_sample = _sample(reference.counts, real_tokens, vocabulary, reference.affect)
    synthetic_sample = _sample(count_features(synthetic[TEXT]), synthetic_tokens, vocabulary,
                               sentiment_and_offence(synthetic))
    return real_sample, synthetic_sample


def _sample(counts: pd.DataFrame, tokens: pd.DataFrame, vocabulary: pd.Index, affect: pd.DataFrame) -> _Sample:
    """A set's sample from its `count_features`, token table and `sentiment_and_offence` (or the fuller
    `affect_features`); unigram counts in `vocabulary`'s order."""
    columns = vocabulary.get_indexer(tokens["token"].tolist())
    unigrams = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.int64), (tokens["post"].to_numpy(), columns)),
        shape=(len(counts), len(vocabulary)),
    )
    unigrams.sum_duplicates()
    return _Sample(
        chars=counts["chars"].to_numpy(),
        markers=(counts[list(MARKERS)].to_numpy() > 0).astype(float),
        counts=unigrams,
        sentiment=affect["compound"].to_numpy(dtype=float),
        offensive=(affect["offensive"].to_numpy(dtype=float) >= OFFENSIVE_FROM).astype(float),
    )


def score_posts(real: pd.DataFrame, synthetic: pd.DataFrame, *, reference: Reference | None = None
                ) -> dict[str, float]:
    """Headline score and its components for one pair of post sets (no bootstrap, no platform split).

    `reference`, the real posts already fitted (`synth.metrics.reference.Reference`), spares tokenising them.

    Raises:
        InputError: either set is empty or has no `text` column.
    """
    for name, posts in (("real posts", real), ("synthetic posts", synthetic)):
        if TEXT not in posts.columns or posts.empty:
            raise InputError(f"{name}: no posts with a 'text' column to score. Load or generate posts first.")
    real_sample, synthetic_sample = _samples(fit_reference(real, reference=reference, any_seed=True), synthetic)
    values = _components(real_sample.totals(), synthetic_sample.totals())
    return {"score": 100 * float(values.mean()), **dict(zip(COMPONENTS, map(float, values), strict=True))}


def build_leaderboard(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, n_boot: int = 200, seed: int = 0, min_posts: int = 5,
    reference: Reference | None = None,
) -> Leaderboard:
    """Score every (model, platform) cell of `synthetic` against the real posts of the same platform.

    Args:
        real: real posts (canonical schema).
        synthetic: synthetic posts; the `model` column names the model (missing -> one unnamed model).
        n_boot: bootstrap replicates (0 gives no intervals); 200 gives percentile intervals stable to about
            a point.
        seed: seed of the bootstrap and of the real-vs-real split; the same seed gives the same leaderboard.
        min_posts: cells with fewer real or synthetic posts are skipped (reported in `skipped`).
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`),
            whose tokens, counts and halves are used; fitted here when None.

    Raises:
        InputError: the frames lack `platform`/`text` columns, or no cell has enough posts on both sides.
    """
    for name, posts in (("real posts", real), ("synthetic posts", synthetic)):
        missing = [c for c in (PLATFORM, TEXT) if c not in posts.columns]
        if missing:
            raise InputError(f"{name}: missing column(s) {', '.join(missing)}. Load them with synth.io.")
    if n_boot < 0:
        raise InputError(f"n_boot must be 0 or more, got {n_boot}.")
    reference = fit_reference(real, seed=seed, reference=reference)
    real, synthetic = real.reset_index(drop=True), synthetic.reset_index(drop=True)
    models = _model_names(synthetic)
    # Per-post features over one shared vocabulary, sliced per cell below.
    real_all, synthetic_all = _samples(reference, synthetic)
    real_platforms = real[PLATFORM].astype("string").fillna("").to_numpy()
    synthetic_platforms = synthetic[PLATFORM].astype("string").fillna("").to_numpy()
    splits = reference.splits if len(real) >= 2 else None
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    skipped: list[tuple[str, str, str]] = []
    replicate_scores: dict[tuple[str, str], np.ndarray] = {}
    baselines: dict[str, np.ndarray] = {}  # platform -> baseline score of each split
    for platform in sorted(set(synthetic_platforms) - {""}):
        real_positions = np.flatnonzero(real_platforms == platform)
        on_platform = synthetic_platforms == platform
        cell_positions = {
            model: positions
            for model in sorted(set(models[on_platform]))
            if _enough(len(real_positions), len(positions := np.flatnonzero(on_platform & (models == model))),
                       min_posts, platform, model, skipped)
        }
        if not cell_positions:
            continue
        samples = {model: synthetic_all.subset(positions) for model, positions in cell_positions.items()}
        baselines[platform] = _baseline(real_all, splits, real_platforms, platform, min_posts)
        rows += _score_platform(platform, real_all.subset(real_positions), samples, baselines[platform], n_boot,
                                rng, replicate_scores)
    if not rows:
        raise InputError(
            "no model and platform has enough posts to score: each cell needs at least "
            f"{min_posts} real and {min_posts} synthetic posts on the same platform. Generate more posts or "
            "load real posts of the synthetic posts' platforms."
        )
    cells = pd.DataFrame(rows)
    cells = pd.concat([cells, _overall(cells, replicate_scores, baselines, n_boot)], ignore_index=True)
    return Leaderboard(
        cells=cells.sort_values(["platform", "score"], ascending=[True, False], ignore_index=True),
        best=_best(cells),
        skipped=pd.DataFrame(skipped, columns=["model", "platform", "reason"]),
        n_boot=n_boot,
        seed=seed,
    )


def _score_platform(platform: str, real_sample: _Sample, samples: dict[str, _Sample], baseline: np.ndarray,
                    n_boot: int, rng: np.random.Generator,
                    replicate_scores: dict[tuple[str, str], np.ndarray]) -> list[dict]:
    """The rows of one platform's cells, every model bootstrapped against the same real resamples; each
    model's replicate scores are recorded in `replicate_scores` for its `all` row."""
    boots = _bootstrap(real_sample, list(samples.values()), n_boot, rng)
    winners = np.argmax(boots, axis=0) if n_boot else np.array([])
    rows = []
    for i, (model, sample) in enumerate(samples.items()):
        values = _components(real_sample.totals(), sample.totals())
        replicate_scores[(model, platform)] = boots[i]
        row = _row(model, platform, values, boots[i], len(real_sample.chars), len(sample.chars), baseline)
        row["p_best"] = float(np.mean(winners == i)) if n_boot else float("nan")
        rows.append(row)
    return rows


def _enough(n_real: int, n_synthetic: int, min_posts: int, platform: str, model: str, skipped: list) -> bool:
    if n_real < min_posts:
        skipped.append((model, platform, f"{n_real} real post(s) on {platform}; at least {min_posts} needed"))
        return False
    if n_synthetic < min_posts:
        skipped.append((model, platform, f"{n_synthetic} synthetic post(s); at least {min_posts} needed"))
        return False
    return True


def _resample_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """How many times each of n posts is drawn in a resample of size n with replacement."""
    return np.bincount(rng.integers(0, n, size=n), minlength=n)


def _model_names(synthetic: pd.DataFrame) -> np.ndarray:
    if MODEL not in synthetic.columns:
        return np.full(len(synthetic), UNKNOWN_MODEL, dtype=object)
    return synthetic[MODEL].astype("string").fillna(UNKNOWN_MODEL).to_numpy(dtype=object)


def _bootstrap(real: _Sample, synthetic: list[_Sample], n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Scores of every synthetic sample in each replicate, all against the same real resample: (models, n_boot)."""
    boots = np.empty((len(synthetic), n_boot))
    for b in range(n_boot):
        real_totals = real.totals(_resample_weights(rng, len(real.chars)))
        for i, sample in enumerate(synthetic):
            weights = _resample_weights(rng, len(sample.chars))
            boots[i, b] = 100 * _components(real_totals, sample.totals(weights)).mean()
    return boots


def _baseline(real_all: _Sample, splits: list[tuple[np.ndarray, np.ndarray]] | None, platforms: np.ndarray,
              platform: str, min_posts: int) -> np.ndarray:
    """The platform's baseline score in each real-vs-real split (NaN where the halves are too small)."""
    scores = []
    for halves in splits or []:
        first, second = (positions[platforms[positions] == platform] for positions in halves)
        if min(len(first), len(second)) < max(1, min_posts // 2):
            scores.append(float("nan"))
            continue
        scores.append(100 * float(_components(real_all.subset(first).totals(), real_all.subset(second).totals())
                                  .mean()))
    return np.array(scores if scores else [float("nan")])


def _row(model: str, platform: str, values: np.ndarray, boots: np.ndarray, n_real: int, n_synthetic: int,
         baseline: np.ndarray) -> dict:
    score = 100 * float(values.mean())
    low, high = _interval(score, boots)
    defined = baseline[~np.isnan(baseline)]
    return {
        "model": model, "platform": platform, "score": score, "score_low": low, "score_high": high,
        **dict(zip(COMPONENTS, map(float, values), strict=True)),
        "n_real": n_real, "n_synthetic": n_synthetic,
        "baseline_score": float(defined.mean()) if len(defined) else float("nan"),
        "baseline_std": float(defined.std(ddof=1)) if len(defined) > 1 else float("nan"),
        "p_best": float("nan"),
    }


def _interval(score: float, boots: np.ndarray) -> tuple[float, float]:
    """95% interval: the bootstrap percentiles re-centred on the point score.

    Resamples repeat posts, which shrinks the vocabulary and biases every replicate's divergence upwards, so
    the raw percentiles sit below the point score; the bootstrap is used for the spread only.
    """
    if boots.size == 0 or np.isnan(boots).all():
        return float("nan"), float("nan")
    low, middle, high = np.nanpercentile(boots, [2.5, 50, 97.5])
    return float(score - (middle - low)), float(score + (high - middle))


def _overall(cells: pd.DataFrame, replicate_scores: dict, baselines: dict[str, np.ndarray],
             n_boot: int) -> pd.DataFrame:
    """Per model, the unweighted mean over its platforms; each replicate, and each baseline split, averaged the
    same way."""
    rows, stacked = [], []
    for model, group in cells.groupby("model", sort=True):
        boots = np.mean([replicate_scores[(model, p)] for p in group["platform"]], axis=0)
        stacked.append(boots)
        rows.append(_row(str(model), ALL, group[list(COMPONENTS)].mean().to_numpy(), boots,
                         int(group["n_real"].sum()), int(group["n_synthetic"].sum()),
                         np.mean([baselines[p] for p in group["platform"]], axis=0)))
    if n_boot:
        winners = np.argmax(np.vstack(stacked), axis=0)
        for i, row in enumerate(rows):
            row["p_best"] = float(np.mean(winners == i))
    return pd.DataFrame(rows)


def _best(cells: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for platform, group in cells.groupby("platform", sort=True):
        ranked = group.sort_values("score", ascending=False)
        leader = ranked.iloc[0]
        if len(ranked) == 1:
            rows.append({"platform": platform, "best_model": leader["model"], "p_best": leader["p_best"],
                         "clear": False, "runner_up": None,
                         "verdict": f"only {leader['model']} was scored on {platform}"})
            continue
        second = ranked.iloc[1]
        clear = bool(leader["score_low"] > second["score_high"])
        verdict = (
            f"{leader['model']} is best on {platform}: its interval is above {second['model']}'s"
            if clear
            else f"{leader['model']} leads on {platform}, tied with {second['model']} within uncertainty"
        )
        rows.append({"platform": platform, "best_model": leader["model"], "p_best": leader["p_best"],
                     "clear": clear, "runner_up": second["model"], "verdict": verdict})
    return pd.DataFrame(rows, columns=["platform", "best_model", "p_best", "clear", "runner_up", "verdict"])
