"""A compact green/amber/red scorecard of lexical metrics, each judged against the real-vs-real baseline.

For each metric the scorecard measures two gaps:

- a metric describing a set (`{"real", "synthetic", "baseline"}` in `compare_lexical`'s layout): the
  synthetic gap is |synthetic - real| and the baseline gap |baseline - real|, where baseline is the held-out
  real half;
- a metric already comparing two sets (`x` and `x_baseline`): the gap is the distance itself (KS, JSD) or
  1 - the overlap (Jaccard), for synthetic vs real and for real half vs real half.

The real-vs-real baseline is the mean over several seeded splits (`synth.metrics.baseline`), and its spread
(`baseline_std`) is part of what a second real sample may differ by. The baseline gap is measured on sets of
other sizes than the synthetic one, so before comparing it is scaled by the ratio of the sampling noise
expected for each pair (standard errors go as sqrt(1/a + 1/b) for independent sets of sizes a and b; the
held-out half is part of the full real set, so for set metrics its noise goes as sqrt(1/half - 1/real)),
using the `n_posts` entry of the group:

    allowed = max((baseline gap + baseline spread) x size factor, floor);   ratio = synthetic gap / allowed

The floor (FLOOR_RELATIVE of |real|, at least FLOOR_SET_MINIMUM, for set metrics; FLOOR_ABSOLUTE for
comparisons) keeps a baseline gap of about zero from turning a negligible difference red.
Rating: green when ratio <= GREEN_MAX_RATIO (as close to the real posts as a second real sample, give or
take sampling noise), amber when ratio <= AMBER_MAX_RATIO, red beyond; grey when a value is undefined, and
grey with the note TOO_FEW when the synthetic set is too small to judge: fewer than MIN_POSTS_TO_JUDGE posts,
or so much smaller than the real set that the size factor would widen the tolerance more than
MAX_SIZE_FACTOR times (a top-20 overlap of 0.05 against a real-vs-real 0.9 is then not called green, it is
not judged). Every number the rating used is in the table: baseline, baseline_std, baseline_gap,
size_factor, allowed. Size-dependent counts (vocabulary size, unique items, type-token ratio) are left out:
they differ between sets of different sizes even when the posts are alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

GREEN_MAX_RATIO = 2.0
AMBER_MAX_RATIO = 4.0
FLOOR_RELATIVE = 0.05
FLOOR_ABSOLUTE = 0.02
# Set metrics whose real value is 0 (no emoji at all) still need a scale: 0.01 is one post in a hundred for
# shares and rates, and negligible for lengths and grades.
FLOOR_SET_MINIMUM = 0.01
GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"
MIN_POSTS_TO_JUDGE = 30
MAX_SIZE_FACTOR = 3.0
TOO_FEW = "too few posts to judge"

# Set metrics whose values are shares of posts (0 to 1), shown as percentages.
SHARES: frozenset[str] = frozenset(["question_rate", "exclamation_rate", "uppercase_ratio", "pronoun_first_share"])

# metric key -> (label, kind): "set" metrics have real/synthetic/baseline; "distance" and "overlap" are
# comparisons stored as `key` and `key_baseline`.
SCORECARD_METRICS: dict[str, tuple[str, str]] = {
    "chars_mean": ("Mean length (characters)", "set"),
    "chars_ks": ("Length distribution (KS)", "distance"),
    "tokens_mean": ("Mean length (tokens)", "set"),
    "hashtags_per_post": ("Hashtags per post", "set"),
    "mentions_per_post": ("Mentions per post", "set"),
    "urls_per_post": ("URLs per post", "set"),
    "emoji_per_post": ("Emoji per post", "set"),
    "top_hashtags_jaccard": ("Top hashtags overlap (Jaccard)", "overlap"),
    "top_emoji_jaccard": ("Top emoji overlap (Jaccard)", "overlap"),
    "unigram_jsd": ("Word distribution (JSD)", "distance"),
    "flesch_kincaid_grade": ("Readability (Flesch-Kincaid grade)", "set"),
    "question_rate": ("Posts with a question", "set"),
    "exclamation_rate": ("Posts with an exclamation", "set"),
    "uppercase_ratio": ("Upper-case letter share", "set"),
    "pronoun_first_share": ("First-person pronoun share", "set"),
}

DEFINITIONS: dict[str, str] = {
    "rating": f"Green: the synthetic gap from the real posts is at most {GREEN_MAX_RATIO:g}x the gap between two "
    f"real halves; amber: at most {AMBER_MAX_RATIO:g}x; red: more; grey: undefined (no posts or no items).",
    "gap": "Set metrics: |synthetic - real| (and |held-out real half - real| for the baseline). Comparisons: the "
    "KS or JSD value, or 1 - Jaccard overlap, synthetic vs real (and real half vs real half).",
    "allowed": "The gap the rating tolerates: max((baseline gap + baseline spread) x size factor, floor).",
    "too_few": f"Grey, '{TOO_FEW}': fewer than {MIN_POSTS_TO_JUDGE} synthetic posts in the group, or a size "
    f"factor above {MAX_SIZE_FACTOR:g} (the synthetic set is so much smaller than the real one that its "
    "sampling noise alone could explain the gap).",
    "unit": "'share' for values that are shares of posts or letters (0-1, shown as 0-100%), else 'value'.",
    "size_factor": "The baseline gap is scaled by the ratio of the sampling noise expected for the synthetic "
    "comparison (sizes synthetic and real) over that of the baseline (real half and real set, or two halves).",
    "ratio": f"Synthetic gap / allowed; floor = {FLOOR_RELATIVE:.0%} of |real| (at least "
    f"{FLOOR_SET_MINIMUM:g}) for set metrics, {FLOOR_ABSOLUTE:g} for comparisons.",
}


def size_factors(group: Mapping[str, Any]) -> dict[str, float]:
    """Noise scale of the synthetic comparison over that of the baseline, for "set" and comparison metrics.

    1.0 for both when the group has no usable `n_posts` entry.
    """
    counts = group.get("n_posts")
    if not isinstance(counts, Mapping):
        return {"set": 1.0, "comparison": 1.0}
    n_real, n_synthetic, n_half = (counts.get(k) or 0 for k in ("real", "synthetic", "baseline"))
    n_other_half = n_real - n_half
    if min(n_real, n_synthetic, n_half, n_other_half) <= 0 or n_half >= n_real:
        return {"set": 1.0, "comparison": 1.0}
    synthetic_noise = 1 / n_synthetic + 1 / n_real
    return {
        "set": (synthetic_noise / (1 / n_half - 1 / n_real)) ** 0.5,
        "comparison": (synthetic_noise / (1 / n_half + 1 / n_other_half)) ** 0.5,
    }


def scorecard(group: Mapping[str, Any],
              metrics: Mapping[str, tuple[str, str]] = SCORECARD_METRICS,
              shares: frozenset[str] = SHARES) -> pd.DataFrame:
    """Rate one group (a platform or "all") of a result in `compare_lexical`'s layout.

    Args:
        group: `{metric: ...}` of one group, with its `n_posts` entry.
        metrics: which metrics to rate, key -> (label, kind) as in SCORECARD_METRICS.
        shares: keys whose values are shares (unit "share").

    Returns:
        One row per metric of `metrics` found in `group`: metric, label, unit, real, synthetic, baseline (the
        real-vs-real value: for comparisons real is empty and synthetic/baseline are the two comparisons),
        baseline_std (its spread over the splits), gap, baseline_gap (|baseline - real| or the baseline's
        distance, unscaled), size_factor, allowed, ratio, rating, note (TOO_FEW or empty).
    """
    factors = size_factors(group)
    counts = group.get("n_posts")
    n_synthetic = counts.get("synthetic") if isinstance(counts, Mapping) else None
    rows = []
    for key, (label, kind) in metrics.items():
        if key not in group:
            continue
        if kind == "set":
            entry = group[key] if isinstance(group[key], Mapping) else {}
            real, synthetic, baseline = entry.get("real"), entry.get("synthetic"), entry.get("baseline")
            spread = entry.get("baseline_std")
            gap, baseline_gap, factor = _gap(synthetic, real), _gap(baseline, real), factors["set"]
            floor = max(FLOOR_RELATIVE * abs(real), FLOOR_SET_MINIMUM) if real is not None else None
        else:
            real, synthetic, baseline = None, group[key], group.get(f"{key}_baseline")
            spread = group.get(f"{key}_baseline_std")
            gap, baseline_gap, factor = _distance(synthetic, kind), _distance(baseline, kind), factors["comparison"]
            floor = FLOOR_ABSOLUTE
        allowed = None
        if baseline_gap is not None and floor is not None:
            allowed = max((baseline_gap + (spread or 0.0)) * factor, floor)
        too_few = gap is not None and (factor > MAX_SIZE_FACTOR
                                       or (n_synthetic is not None and n_synthetic < MIN_POSTS_TO_JUDGE))
        ratio, rating = (None, GREY) if too_few else rate(gap, allowed, 0.0)
        rows.append({"metric": key, "label": label, "unit": "share" if key in shares else "value", "real": real,
                     "synthetic": synthetic, "baseline": baseline, "baseline_std": spread, "gap": gap,
                     "baseline_gap": baseline_gap, "size_factor": factor, "allowed": allowed, "ratio": ratio,
                     "rating": rating, "note": TOO_FEW if too_few else ""})
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


SCORECARD_COLUMNS: list[str] = ["metric", "label", "unit", "real", "synthetic", "baseline", "baseline_std", "gap",
                                "baseline_gap", "size_factor", "allowed", "ratio", "rating", "note"]


def rate(gap: float | None, baseline_gap: float | None, floor: float | None) -> tuple[float | None, str]:
    """(ratio, rating) for a synthetic gap against the baseline gap; see the module docstring."""
    if gap is None or baseline_gap is None or floor is None:
        return None, GREY
    scale = max(baseline_gap, floor, 1e-12)
    ratio = gap / scale
    if ratio <= GREEN_MAX_RATIO:
        return ratio, GREEN
    return ratio, AMBER if ratio <= AMBER_MAX_RATIO else RED


def _gap(value: float | None, real: float | None) -> float | None:
    return None if value is None or real is None else abs(float(value) - float(real))


def _distance(value: Any, kind: str) -> float | None:
    if value is None:
        return None
    return float(value) if kind == "distance" else 1.0 - float(value)
