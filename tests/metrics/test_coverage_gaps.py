"""Coverage gaps on tiny hand-made embeddings with known clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError
from synth.metrics.coverage_gaps import TargetedPlan, default_n_clusters, find_coverage_gaps, plan_for_gaps

TEXTS = {
    0: ["vaccine dose booked today", "second vaccine dose done", "vaccine dose side effects mild"],
    1: ["pizza delivery was late", "late delivery cold pizza", "pizza delivery refund please"],
    2: ["football match tonight", "great football match goal", "football match tickets sold out"],
}


def _vectors(cluster: int, n: int, rng: np.random.Generator, noise: float = 0.05, dim: int = 6) -> np.ndarray:
    centre = np.zeros(dim)
    centre[cluster] = 1.0
    return (centre + rng.normal(0, noise, size=(n, dim))).astype(np.float32)


@pytest.fixture
def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    rows, vectors = [], []
    for cluster, texts in TEXTS.items():
        for i in range(12):
            platform = "twitter" if cluster != 2 or i < 9 else "reddit"
            rows.append(
                {"post_id": f"p{cluster}_{i}", "platform": platform, "text": texts[i % 3], "source": "real"}
            )
        vectors.append(_vectors(cluster, 12, rng))
    real = pd.DataFrame(rows)
    # Synthetic posts cover clusters 0 and 1, plus two far from everything; none near cluster 2.
    far = np.zeros((2, 6), dtype=np.float32)
    far[:, 5] = 1.0
    # Synthetic posts lie close to their cluster centres (small noise), well within reach.
    synthetic = np.vstack([_vectors(0, 10, rng, noise=0.01), _vectors(1, 8, rng, noise=0.01), far])
    return real, np.vstack(vectors), synthetic


def test_finds_the_uncovered_cluster(data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    real, real_vectors, synthetic_vectors = data
    report = find_coverage_gaps(real, real_vectors, synthetic_vectors, n_clusters=3, n_examples=2)
    assert len(report.clusters) == 3
    assert len(report.gaps) == 1
    gap = report.gaps[0]
    assert gap.n_real == 12 and gap.n_synthetic == 0 and gap.synthetic_share == 0
    assert gap.real_share == pytest.approx(1 / 3)
    assert gap.keywords[:2] == ("football", "match")
    assert gap.platforms == {"twitter": 9, "reddit": 3}
    assert len(gap.examples) == 2 and gap.examples["text"].str.contains("football").all()
    assert set(gap.member_ids) == {f"p2_{i}" for i in range(12)}
    assert report.outside_share == pytest.approx(2 / 20)
    covered = report.clusters[~report.clusters["is_gap"]]
    assert sorted(covered["n_synthetic"]) == [8, 10]


def test_no_gap_when_everything_is_covered(data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    real, real_vectors, _ = data
    report = find_coverage_gaps(real, real_vectors, real_vectors, n_clusters=3)
    assert report.gaps == []
    with pytest.raises(InputError, match="no coverage gap"):
        plan_for_gaps(report, n_synthetic=len(real_vectors))


def test_plan_for_gaps(data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    real, real_vectors, synthetic_vectors = data
    report = find_coverage_gaps(real, real_vectors, synthetic_vectors, n_clusters=3)
    plan = plan_for_gaps(report, n_synthetic=20)
    assert isinstance(plan, TargetedPlan)
    (topic,) = plan.topics
    assert topic.topic_id == f"gap-{report.gaps[0].cluster}"
    assert "football" in topic.label and topic.keywords[0] == "football"
    assert plan.platforms == ("twitter", "reddit")
    # Fair share is 20/3 = 6.7 posts, none held, over 2 platforms: 4 per cell.
    assert plan.per_cell == 4
    assert plan.planned_posts == 8
    tagged = plan.tag_real_posts(real)
    assert (tagged["topic"] == topic.topic_id).sum() == 12
    assert "topic" not in real.columns  # the caller's frame is unchanged
    with pytest.raises(InputError, match="not coverage gaps"):
        plan_for_gaps(report, n_synthetic=20, clusters=[99])


def test_bad_input(data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    real, real_vectors, synthetic_vectors = data
    with pytest.raises(InputError, match="no synthetic posts"):
        find_coverage_gaps(real, real_vectors, np.zeros((0, 6)), n_clusters=3)
    with pytest.raises(InputError, match="embed the same posts"):
        find_coverage_gaps(real.head(5), real_vectors, synthetic_vectors)
    with pytest.raises(InputError, match="differ in size"):
        find_coverage_gaps(real, real_vectors, synthetic_vectors[:, :4], n_clusters=3)
    with pytest.raises(InputError, match="too few"):
        find_coverage_gaps(real.head(3), real_vectors[:3], synthetic_vectors, n_clusters=3)


def test_default_n_clusters() -> None:
    assert default_n_clusters(10) == 2
    assert default_n_clusters(100) == 7
    assert default_n_clusters(20_000) == 30
