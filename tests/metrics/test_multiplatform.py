from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.embeddings.embedder import HashingEmbedder
from synth.errors import InputError
from synth.metrics.multiplatform import DEFINITIONS, NO_TOPIC, compare_multiplatform

WORDS = ["vaccine", "dose", "clinic", "booster", "side", "effects", "appointment", "nurse", "queue", "arm"]


def _platform_posts(platform: str, n: int, rng: np.random.Generator) -> list[str]:
    posts = []
    for _ in range(n):
        a, b, c = rng.choice(WORDS, size=3, replace=False)
        if platform == "twitter":
            posts.append(f"{a} {b} today #{c} @health_dept")
        elif platform == "reddit":
            posts.append(f"Has anyone else had {a} problems after the {b}? I waited at the {c} for hours and "
                         f"honestly I am not sure what to think about it, any advice from people here?")
        else:
            posts.append(f"{a.upper()} {b} 😍😍 great video!! {c} 👍")
    return posts


def _frame(platform_texts: dict[str, list[str]], topics: bool = True, prefix: str = "r") -> pd.DataFrame:
    rows = [(platform, text) for platform, texts in platform_texts.items() for text in texts]
    frame = pd.DataFrame(rows, columns=["platform", "text"])
    frame.insert(0, "post_id", [f"{prefix}{i}" for i in range(len(frame))])
    if topics:
        frame["topic"] = ["side effects" if i % 2 else "access" for i in range(len(frame))]
    return frame


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return _frame({p: _platform_posts(p, 40, rng) for p in ("twitter", "reddit", "youtube")})


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=128)


def _compare(real: pd.DataFrame, synthetic: pd.DataFrame, embedder: HashingEmbedder) -> dict:
    return compare_multiplatform(
        real, synthetic, real_embeddings=embedder.embed(real["text"].tolist()),
        synthetic_embeddings=embedder.embed(synthetic["text"].tolist()), seed=0,
    )


def test_identical_sets_keep_every_platform_difference(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    result = _compare(real, real.copy(), embedder)
    assert result["platforms"]["shared"] == ["reddit", "twitter", "youtube"]
    fingerprint = result["fingerprint"]
    assert fingerprint["distance"] == {"reddit": 0.0, "twitter": 0.0, "youtube": 0.0}
    assert fingerprint["rank_correlation"] == pytest.approx(1.0)
    assert 0 < fingerprint["distance_baseline"]["reddit"] < 1
    geometry = result["geometry"]
    assert geometry["correlation"] == pytest.approx(1.0) and geometry["mean_abs_difference"] == pytest.approx(0.0)
    assert geometry["real"] == geometry["synthetic"] and len(geometry["real"]) == 3
    recognisability = result["recognisability"]
    assert recognisability["real"] > 0.9  # these platforms are easy to tell apart
    assert recognisability["ratio"] == pytest.approx(recognisability["synthetic"] / recognisability["real"])
    coverage = result["topic_platform_coverage"]
    assert coverage["value"] == 1.0 and coverage["post_coverage"] == 1.0
    assert len(coverage["cells"]) == 6 and {cell["n_real"] for cell in coverage["cells"]} == {20}
    assert 0 < coverage["post_coverage_baseline"] <= 1.0


def test_platforms_that_all_sound_the_same_are_caught(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    rng = np.random.default_rng(2)
    # Every synthetic post is written in the Twitter style, whatever its platform label.
    bland = _frame({p: _platform_posts("twitter", 40, rng) for p in ("twitter", "reddit", "youtube")}, prefix="s")
    result = _compare(real, bland, embedder)
    recognisability = result["recognisability"]
    assert recognisability["synthetic"] < 0.5 < recognisability["real"]
    assert recognisability["ratio"] < 0.6
    assert result["fingerprint"]["distance"]["reddit"] > result["fingerprint"]["distance_baseline"]["reddit"]
    assert result["fingerprint"]["distance"]["twitter"] < result["fingerprint"]["distance"]["reddit"]
    assert result["geometry"]["mean_abs_difference"] > result["geometry"]["mean_abs_difference_baseline"]
    coverage = result["topic_platform_coverage"]
    assert coverage["value"] == pytest.approx(2 / 6)  # only the two Twitter cells have synthetic neighbours


def test_without_topics_each_platform_is_one_cell(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    untagged = real.drop(columns="topic")
    result = _compare(untagged, untagged.copy(), embedder)
    cells = result["topic_platform_coverage"]["cells"]
    assert [(cell["topic"], cell["platform"]) for cell in cells] == [
        (NO_TOPIC, "reddit"), (NO_TOPIC, "twitter"), (NO_TOPIC, "youtube")
    ]


def test_single_shared_platform_gives_none_where_undefined(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    only_twitter = real[real["platform"] == "twitter"].reset_index(drop=True)
    result = _compare(real, only_twitter, embedder)
    assert result["platforms"]["shared"] == ["twitter"]
    assert result["fingerprint"]["rank_correlation"] is None
    assert result["geometry"]["correlation"] is None and result["geometry"]["mean_abs_difference"] is None
    assert result["recognisability"]["synthetic"] > 0.9  # the real Twitter posts themselves


def test_inputs_are_not_modified(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    synthetic = real.sample(frac=0.5, random_state=0)
    real_vectors = embedder.embed(real["text"].tolist())
    synthetic_vectors = embedder.embed(synthetic["text"].tolist())
    before = (real.copy(), synthetic.copy(), real_vectors.copy(), synthetic_vectors.copy())
    compare_multiplatform(real, synthetic, real_embeddings=real_vectors, synthetic_embeddings=synthetic_vectors)
    pd.testing.assert_frame_equal(real, before[0])
    pd.testing.assert_frame_equal(synthetic, before[1])
    assert np.array_equal(real_vectors, before[2]) and np.array_equal(synthetic_vectors, before[3])


def test_bad_input_is_refused(real: pd.DataFrame, embedder: HashingEmbedder) -> None:
    vectors = embedder.embed(real["text"].tolist())
    with pytest.raises(InputError, match="no platform column"):
        compare_multiplatform(real.drop(columns="platform"), real, real_embeddings=vectors,
                              synthetic_embeddings=vectors)
    with pytest.raises(ValueError, match="one embedding row per post"):
        compare_multiplatform(real, real, real_embeddings=vectors[:-1], synthetic_embeddings=vectors)


def test_definitions_cover_each_reported_section() -> None:
    assert {key.split("_")[0] for key in DEFINITIONS} == {"fingerprint", "recognisability", "geometry", "topic"}
