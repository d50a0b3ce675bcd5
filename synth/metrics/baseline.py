"""The real-vs-real baseline: the real posts split in two seeded halves, stratified by platform, several times.

A metric computed between the two halves is the score a perfect generator would reach on data of this size
and variety: the ceiling every synthetic-vs-real number is shown beside. One split is itself a noisy draw
(shuffling the rows moved a density baseline from 1.05 to 0.96), so every baseline is computed over
BASELINE_SPLITS seeded splits and reported as their mean (`baseline`) and sample standard deviation
(`baseline_std`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.schema import PLATFORM

BASELINE_SPLITS = 5

DEFINITION = (
    "Real-vs-real baseline: the real posts are split into two halves with split_halves (within each platform "
    "the posts are shuffled with numpy.random.default_rng(seed), the first ceil(n/2) form the first half, the "
    "rest the second). A metric describing one set is also computed on the second (held-out) half; a metric "
    f"comparing two sets is also computed between the two halves. This is done for {BASELINE_SPLITS} splits "
    "(seeds seed, seed + 1, ...): `baseline` is the mean over the splits and `baseline_std` their sample "
    "standard deviation, the noise of the baseline itself. It is the score of a perfect generator on data of "
    "this size and variety, the ceiling every synthetic-vs-real score is read against."
)

DEFINITIONS: dict[str, str] = {"baseline": DEFINITION, "baseline_std": "Sample standard deviation of a baseline "
                               f"over the {BASELINE_SPLITS} seeded real-vs-real splits."}


def split_seeds(seed: int) -> list[int]:
    """The seeds of the BASELINE_SPLITS real-vs-real splits (the first is `seed` itself)."""
    return [seed + offset for offset in range(BASELINE_SPLITS)]


def mean_and_spread(values: list[float | int | None]) -> tuple[float | None, float | None]:
    """(mean, sample standard deviation) of the defined values over the splits; (None, None) when none is
    defined, and a spread of None with a single defined value."""
    defined = np.array([float(v) for v in values if v is not None and not np.isnan(float(v))], dtype=float)
    if not len(defined):
        return None, None
    return float(defined.mean()), float(defined.std(ddof=1)) if len(defined) > 1 else None


def split_halves(real: pd.DataFrame, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split real posts into two halves, each platform's posts shuffled and halved separately.

    Within each platform the rows are permuted with `numpy.random.default_rng(seed)` (platforms taken in
    sorted order, so the result depends only on the data and the seed); the first ceil(n/2) rows go to the
    first half and the rest to the second. A platform with one post therefore appears only in the first half.
    Both halves keep the input's index and columns, in the input's row order. The input is not modified.

    Args:
        real: real posts with a `platform` column.
        seed: seed of the shuffle; the same seed gives the same halves.

    Returns:
        (first_half, second_half), copies of rows of `real`.

    Raises:
        InputError: `real` has no `platform` column or fewer than two rows.
    """
    first, second = split_positions(real, seed=seed)
    if len(real) < 2:
        raise InputError(
            f"real posts: {len(real)} row(s); the real-vs-real baseline needs at least 2. Load more real posts."
        )
    return real.iloc[first].copy(), real.iloc[second].copy()


def split_positions(real: pd.DataFrame, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (0-based, ascending) of the two halves `split_halves` takes; both empty when `real` has
    fewer than two rows. For metrics that index arrays aligned with the posts rather than the frame.

    Raises:
        InputError: `real` has no `platform` column.
    """
    if PLATFORM not in real.columns:
        raise InputError("real posts: no 'platform' column. Load them with synth.io.load_posts, which adds it.")
    if len(real) < 2:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    rng = np.random.default_rng(seed)
    positions = np.arange(len(real))
    platforms = real[PLATFORM].astype("string").fillna("").to_numpy()
    in_first = np.zeros(len(real), dtype=bool)
    for platform in sorted(set(platforms)):
        members = rng.permutation(positions[platforms == platform])
        in_first[members[: (len(members) + 1) // 2]] = True
    return np.flatnonzero(in_first), np.flatnonzero(~in_first)
