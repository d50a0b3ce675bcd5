from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError
from synth.metrics.semantic import (
    DEFINITIONS,
    classifier_auc,
    compare_embedding_sets,
    compare_semantic,
    frechet_distance,
)


def _clusters(centres: np.ndarray, per_centre: int, rng: np.random.Generator, spread: float = 0.15) -> np.ndarray:
    points = np.repeat(centres, per_centre, axis=0) + spread * rng.standard_normal((len(centres) * per_centre,
                                                                                      centres.shape[1]))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def _posts(n: int, platforms: tuple[str, ...] = ("twitter", "reddit"), prefix: str = "post") -> pd.DataFrame:
    return pd.DataFrame(
        {"post_id": [f"{prefix}{i}" for i in range(n)], "platform": [platforms[i % len(platforms)] for i in range(n)],
         "text": [f"{prefix} text {i}" for i in range(n)]}
    )


@pytest.fixture(scope="module")
def geometry() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    # Two disjoint families of directions in 16 dimensions: the first 8 axes versus the last 8.
    real_centres = np.hstack([rng.standard_normal((4, 8)), np.zeros((4, 8))])
    other_centres = np.hstack([np.zeros((4, 8)), rng.standard_normal((4, 8))])
    # Spread 0.3: posts of a cluster are alike (cosine about 0.85) but not near copies (0.95).
    return {"real": _clusters(real_centres, 30, rng, 0.3), "disjoint": _clusters(other_centres, 30, rng, 0.3)}


@pytest.fixture(scope="module")
def identical(geometry: dict[str, np.ndarray]) -> dict:
    real = _posts(len(geometry["real"]))
    return compare_semantic(real, real.copy(), real_embeddings=geometry["real"],
                            synthetic_embeddings=geometry["real"].copy(), seed=0)


@pytest.fixture(scope="module")
def disjoint(geometry: dict[str, np.ndarray]) -> dict:
    real = _posts(len(geometry["real"]))
    synthetic = _posts(len(geometry["disjoint"]), prefix="synthetic")
    return compare_semantic(real, synthetic, real_embeddings=geometry["real"],
                            synthetic_embeddings=geometry["disjoint"], seed=0)


def test_identical_sets_score_perfectly(identical: dict) -> None:
    metrics = identical["all"]
    for stat in ("mean", "median", "q25", "q75"):
        assert metrics[f"nearest_real_cosine_{stat}"] == pytest.approx(1.0, abs=1e-6)
    for key in ("top_k_recall", "precision", "recall", "coverage", "density"):
        assert metrics[key] == 1.0, key  # density 1, not (k + 1) / k: a copy's twin bounds no ball it is in
    assert metrics["centroid_cosine"] == pytest.approx(1.0, abs=1e-6)
    assert metrics["frechet_distance"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["classifier_auc"] == 0.5  # every copy scored against its twin: ties
    assert metrics["mauve"] == pytest.approx(1.0, abs=1e-6)
    assert metrics["mauve_reliable"] is False  # 120 posts per side
    assert metrics["intra_set_similarity"]["real"] == pytest.approx(metrics["intra_set_similarity"]["synthetic"])


def test_disjoint_sets_score_badly(disjoint: dict) -> None:
    metrics = disjoint["all"]
    assert metrics["nearest_real_cosine_q75"] < 0.45
    for key in ("top_k_recall", "precision", "recall", "coverage", "density"):
        assert metrics[key] <= 0.05, key
    assert abs(metrics["centroid_cosine"]) < 0.2
    assert metrics["classifier_auc"] > 0.95
    assert metrics["frechet_distance"] > 0.5
    assert metrics["mauve"] < 0.1


def test_baseline_sits_between_identical_and_disjoint(identical: dict, disjoint: dict) -> None:
    best, worst = identical["all"], disjoint["all"]
    assert best["n_posts"] == {"real": 120, "synthetic": 120, "baseline": 60}
    # Baselines do not depend on the synthetic set.
    assert best["precision_baseline"] == worst["precision_baseline"]

    def between(key: str, higher_is_better: bool = True) -> None:
        low, mid, high = worst[key], best[f"{key}_baseline"], best[key]
        if not higher_is_better:
            low, mid, high = -low, -mid, -high
        assert low < mid <= high, (key, low, mid, high)

    between("nearest_real_cosine_mean")
    for key in ("top_k_recall", "precision", "recall", "coverage", "centroid_cosine", "mauve"):
        between(key)
    between("frechet_distance", higher_is_better=False)
    # Below 0.5 is chance, as above it: distinguishability is the distance from 0.5.
    assert abs(worst["classifier_auc"] - 0.5) > abs(best["classifier_auc_baseline"] - 0.5) > 0


def test_groups_are_per_platform_and_one_sided_platforms_get_none(geometry: dict[str, np.ndarray]) -> None:
    real = _posts(120)
    synthetic = _posts(120, platforms=("twitter", "youtube"), prefix="s")
    result = compare_semantic(real, synthetic, real_embeddings=geometry["real"],
                              synthetic_embeddings=geometry["real"], seed=0)
    assert list(result) == ["all", "reddit", "twitter", "youtube"]
    assert result["twitter"]["n_posts"] == {"real": 60, "synthetic": 60, "baseline": 30}
    assert result["youtube"]["n_posts"] == {"real": 0, "synthetic": 60, "baseline": 0}
    assert result["youtube"]["precision"] is None and result["youtube"]["precision_baseline"] is None
    assert result["reddit"]["precision"] is None and result["reddit"]["precision_baseline"] is not None
    assert result["twitter"]["precision"] == 1.0  # the same vectors, whatever their labels


def test_inputs_are_not_modified_and_raw_vectors_are_normalised(geometry: dict[str, np.ndarray]) -> None:
    real, synthetic = _posts(120), _posts(120, prefix="s")
    real_vectors = geometry["real"] * 3.0  # not unit length: normalised inside, on a copy
    synthetic_vectors = geometry["disjoint"].copy()
    before = (real.copy(), synthetic.copy(), real_vectors.copy(), synthetic_vectors.copy())
    result = compare_semantic(real, synthetic, real_embeddings=real_vectors, synthetic_embeddings=synthetic_vectors)
    pd.testing.assert_frame_equal(real, before[0])
    pd.testing.assert_frame_equal(synthetic, before[1])
    assert np.array_equal(real_vectors, before[2]) and np.array_equal(synthetic_vectors, before[3])
    assert result["all"]["intra_set_similarity"]["real"] <= 1.0


def test_missing_columns_are_refused_with_a_fix(geometry: dict[str, np.ndarray]) -> None:
    with pytest.raises(InputError, match="no text column"):
        compare_semantic(_posts(120).drop(columns="text"), _posts(120), real_embeddings=geometry["real"],
                         synthetic_embeddings=geometry["real"])


def test_misaligned_embeddings_are_refused(geometry: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="one embedding row per post"):
        compare_semantic(_posts(119), _posts(120), real_embeddings=geometry["real"],
                         synthetic_embeddings=geometry["real"])


def test_tiny_sets_give_none_where_a_metric_cannot_be_computed() -> None:
    vectors = np.eye(6, dtype=np.float32)
    result = compare_embedding_sets(vectors[:3], vectors[3:], seed=0)
    assert result["mauve"] is None  # below the minimum sample
    assert result["classifier_auc"] is not None
    assert classifier_auc(vectors[:1], vectors[1:]) is None


def test_frechet_distance_matches_the_closed_form_for_shifted_sets() -> None:
    rng = np.random.default_rng(0)
    points = rng.standard_normal((200, 4))
    # A pure shift by d changes only the mean term: distance = |d|^2.
    assert frechet_distance(points, points + np.array([1.0, 2.0, 0.0, 0.0])) == pytest.approx(5.0)


def test_every_metric_has_a_definition(identical: dict) -> None:
    reported = {key.removesuffix("_baseline_std").removesuffix("_baseline") for key in identical["all"]}
    assert reported == set(DEFINITIONS)
    assert all(len(text) > 20 for text in DEFINITIONS.values())


def test_kth_neighbour_similarity_matches_brute_force() -> None:
    from synth.embeddings.embedder import normalise_rows
    from synth.metrics._geometry import kth_neighbour_similarity

    vectors = normalise_rows(np.random.default_rng(5).standard_normal((40, 6)))
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)
    for k in (1, 3, 5):
        expected = np.sort(similarities, axis=1)[:, -k]
        np.testing.assert_allclose(kth_neighbour_similarity(vectors, k), expected, rtol=1e-6)


def test_posts_without_platform_form_the_unknown_group_as_in_lexical(geometry: dict[str, np.ndarray]) -> None:
    real = _posts(120).assign(platform=lambda frame: frame["platform"].where(frame.index % 2 == 0))
    result = compare_semantic(real, real.copy(), real_embeddings=geometry["real"],
                              synthetic_embeddings=geometry["real"])
    assert list(result) == ["all", "twitter", "unknown"]
    assert result["unknown"]["n_posts"]["real"] == 60


def _on_circle(degrees: list[float]) -> np.ndarray:
    radians = np.deg2rad(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1).astype(np.float32)


def test_prdc_by_hand_with_a_tie_on_a_ball_boundary() -> None:
    from synth.metrics.semantic import neighbour_metrics

    # k = 1. Real radii (angle to the nearest other real point): 0° 10°, 10° 10°, 30° 20°, 60° 30°.
    real = _on_circle([0, 10, 30, 60])
    # 5° is inside the balls of 0° and 10°; 45° inside those of 30° and 60°; 90° sits exactly on the boundary
    # of 60°'s ball (30° away, radius 30°): outside, as in Naeem et al. and `prdc` (distance < radius).
    synthetic = _on_circle([5, 45, 90, 200])
    metrics = neighbour_metrics(real, synthetic, k=1)
    assert metrics["precision"] == 0.5
    assert metrics["density"] == 1.0  # (2 + 2 + 0 + 0) / (1 x 4)
    assert metrics["coverage"] == 1.0
    # Synthetic radii: 5° 40°, 45° 40°, 90° 45°, 200° 110°: every real point lies within 40° of 5° or 45°.
    assert metrics["recall"] == 1.0


def _prdc_reference(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The `prdc` package's formulas (Naeem et al., 2020) on Euclidean distances, brute force."""
    def kth(points: np.ndarray) -> np.ndarray:
        distances = np.linalg.norm(points[:, None] - points[None], axis=2)
        return np.sort(distances, axis=1)[:, k]  # column 0 is the point itself

    real_radii, fake_radii = kth(real.astype(np.float64)), kth(fake.astype(np.float64))
    between = np.linalg.norm(real[:, None].astype(np.float64) - fake[None].astype(np.float64), axis=2)
    return {
        "precision": float((between < real_radii[:, None]).any(axis=0).mean()),
        "recall": float((between < fake_radii[None, :]).any(axis=1).mean()),
        "density": float((between < real_radii[:, None]).sum(axis=0).mean() / k),
        "coverage": float((between.min(axis=1) < real_radii).mean()),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prdc_equals_the_reference_formulas_and_a_copy_scores_exactly_one(seed: int) -> None:
    from synth.metrics.semantic import neighbour_metrics

    rng = np.random.default_rng(seed)
    real = _clusters(rng.standard_normal((3, 8)), 40, rng, spread=0.4)
    fake = _clusters(rng.standard_normal((3, 8)), 30, rng, spread=0.4)
    metrics = neighbour_metrics(real, fake, k=5)
    for key, value in _prdc_reference(real, fake, 5).items():
        assert metrics[key] == pytest.approx(value, abs=1e-12), key
    copy = neighbour_metrics(real, real.copy(), k=5)
    assert (copy["precision"], copy["recall"], copy["density"], copy["coverage"]) == (1.0, 1.0, 1.0, 1.0)


def test_near_duplicate_groups_link_close_vectors_and_same_normalised_texts_transitively() -> None:
    from synth.metrics.semantic import near_duplicate_groups

    vectors = _on_circle([0, 10, 15, 90, 91, 180])  # cos 10° = 0.985 links 0-10 and 10-15; 90-91 linked
    groups = near_duplicate_groups(vectors, np.array(["a", "b", "c", "Same text!", "d", "same  TEXT"], dtype=object))
    assert groups.tolist() == [0, 0, 0, 1, 1, 1]  # 180° joins 90° by its normalised text
    assert near_duplicate_groups(vectors, threshold=0.99999).tolist() == [0, 1, 2, 3, 4, 5]


def test_classifier_keeps_near_copies_in_one_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.metrics import semantic

    seen: list[np.ndarray] = []
    original = semantic.stratified_group_folds

    def spy(labels, groups, n_splits, seed):  # type: ignore[no-untyped-def]
        seen.append(np.asarray(groups))
        return original(labels, groups, n_splits, seed)

    monkeypatch.setattr(semantic, "stratified_group_folds", spy)
    rng = np.random.default_rng(0)
    real = _clusters(rng.standard_normal((4, 16)), 20, rng, spread=1.0)
    nudged = real + 0.001 * rng.standard_normal(real.shape).astype(np.float32)
    near_copies = nudged / np.linalg.norm(nudged, axis=1, keepdims=True)
    texts = np.array([f"real {i}" for i in range(80)], dtype=object)
    classifier_auc(real, near_copies, texts, np.array([f"other {i}" for i in range(80)], dtype=object))
    groups = seen[0]
    assert (groups[:80] == groups[80:]).all()  # each near copy shares its twin's group, whatever its text


def test_kept_kth_computes_the_radii_once_per_group_and_k_for_the_references_own_vectors() -> None:
    from synth.metrics._geometry import kept_kth, kth_neighbour_similarity
    from synth.metrics.reference import Reference

    rng = np.random.default_rng(2)
    raw = rng.standard_normal((30, 8)).astype(np.float32)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    posts = pd.DataFrame({"platform": ["twitter"] * 30, "text": [f"post {i}" for i in range(30)]})
    reference = Reference(posts, vectors=raw)
    first = kept_kth(reference, raw, "twitter")(unit, 3)
    np.testing.assert_array_equal(first, kth_neighbour_similarity(unit, 3))
    assert kept_kth(reference, raw, "twitter")(unit, 3) is first
    assert kept_kth(reference, raw, "twitter")(unit, 4) is not first
    assert kept_kth(reference, raw.copy(), "twitter")(unit, 3) is not first  # other vectors: not kept
