"""The Embeddings page through app.py, with real and synthetic posts in the session."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from synth.metrics.coverage_gaps import TargetedPlan
from tests.app.pages import open_page

PAGE = "pages/embeddings.py"

VACCINE = [
    "Got my first vaccine dose today, arm is a bit sore",
    "Booked the second covid vaccine shot for next week",
    "Is the booster vaccine safe during pregnancy?",
    "Vaccine centre queue was two hours long this morning",
    "My grandparents finally got vaccinated against covid",
    "Side effects of the vaccine were mild: tired for a day",
]
FOOD = [
    "My pizza delivery arrived cold again, asking for a refund",
    "Ordered biryani at midnight and it came in twenty minutes",
    "The delivery guy could not find my building, food was late",
    "Restaurant cancelled my order after an hour of waiting",
    "Best butter chicken I have ever ordered online <b>wow</b>",
    "Food delivery app charged me twice for one burger",
]
SYNTHETIC = [
    "Just had my covid vaccine, feeling fine so far",
    "Vaccine appointment done, second dose in three weeks",
    "Anyone else get a sore arm after the booster shot?",
    "Getting vaccinated was quick and easy at the clinic",
    "Grateful for the nurses at the vaccination centre today",
    "Mild fever after my vaccine dose but nothing serious",
]


def _posts(texts: list[str], source: str, platforms: list[str], prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "post_id": [f"{prefix}{i}" for i in range(len(texts))], "platform": platforms, "text": texts,
            "source": source, "topic": ["vaccines"] * 6 + ["food"] * (len(texts) - 6),
        }
    )


REAL = _posts(VACCINE + FOOD, "real", ["twitter", "reddit"] * 6, "r")
SYNTH = _posts(SYNTHETIC, "synthetic", ["twitter"] * 6, "s").assign(model="local:smollm2")


@pytest.fixture(scope="module", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("SYNTH_WARM_UMAP", "0")  # UMAP is exercised by its own slow test
        yield


def _open(real: pd.DataFrame | None, synthetic: pd.DataFrame | None, **widgets: object) -> AppTest:
    return open_page(PAGE, real, synthetic, **widgets)


def _run_until(at: AppTest, done: str, timeout: float = 240) -> AppTest:
    """Rerun until a caption or subheader containing `done` shows (background jobs finished)."""
    deadline = time.monotonic() + timeout
    while True:
        assert not at.exception, at.exception
        texts = [element.value for element in (*at.caption, *at.subheader, *at.header, *at.success)]
        busy = any("computes" in text or "Computed once" in text for text in texts)
        if any(done in text for text in texts) and not busy:
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"{done!r} never showed; page said {texts}")
        time.sleep(0.5)
        at.run()


def test_no_posts_says_what_to_do() -> None:
    at = _open(None, None)
    assert not at.exception
    assert "Upload posts" in at.info[0].value and "generate synthetic" in at.info[0].value
    assert not at.get("plotly_chart")


@pytest.mark.slow
def test_map_metrics_selection_and_coverage_plan() -> None:
    at = _run_until(_open(REAL, SYNTH, embeddings_method="pca"), "Coverage gaps")
    at = _run_until(at, "of synthetic posts are near no real cluster")
    assert not at.error, [error.value for error in at.error]
    assert any("18 of 18 posts shown" in caption.value for caption in at.caption)
    assert len(at.get("plotly_chart")) == 2  # the map and the coverage chart
    (metrics,) = [frame.value for frame in at.dataframe if "metric" in frame.value.columns]
    assert {"centroid_cosine", "top_k_recall"} <= set(metrics["identifier"])
    assert not any(name.endswith("_std") for name in metrics["identifier"])  # spreads sit beside baselines

    at.selectbox(key="embeddings_color").set_value("platform").run()
    at.toggle(key="embeddings_show_real").set_value(False).run()
    assert not at.exception
    assert any("6 of 18 posts shown" in caption.value for caption in at.caption)
    at.toggle(key="embeddings_show_real").set_value(True).run()

    # The synthetic posts only talk about vaccines: the food cluster is a gap, sent as a plan.
    gaps = at.multiselect(key="embeddings_gap_choice")
    assert gaps.value, "expected a coverage gap"
    at.button(key="embeddings_plan_button").click().run()
    assert not at.exception
    plan = at.session_state["targeted_plan"]
    assert isinstance(plan, TargetedPlan)
    assert plan.topics and all(topic.topic_id.startswith("gap-") for topic in plan.topics)
    assert set(plan.platforms) <= {"twitter", "reddit"}
    food_ids = set(REAL["post_id"][6:])
    assert any(set(members) & food_ids for members in plan.member_ids.values())


@pytest.mark.slow
def test_real_posts_only_and_umap() -> None:
    at = _open(REAL, None)
    assert any("Only real posts" in info.value for info in at.info)
    at = _run_until(at, "posts shown")
    # UMAP is the default map: PCA shows while it computes, then UMAP replaces it.
    at = _run_until(at, "12 of 12 posts shown", timeout=300)
    assert not at.error and not at.exception
    assert at.radio(key="embeddings_method").value == "umap"
    assert not at.get("header")  # no coverage section without synthetic posts


def test_topics_are_one_set_for_real_and_synthetic_posts(tmp_path: object) -> None:
    from synth.topics.discover import discover_topics
    from synth.topics.model import rename_topic
    from ui.embeddings import FILE_TOPIC, combine_posts

    texts = VACCINE + FOOD
    real = pd.DataFrame({"post_id": [f"r{i}" for i in range(24)], "platform": ["twitter"] * 12 + ["reddit"] * 12,
                         "text": texts * 2, "source": "real", "topic": (["vax"] * 6 + ["food"] * 6) * 2})
    topic_set = rename_topic(discover_topics(real, method="column", cache_dir=tmp_path), "vax", "Vaccines")
    synthetic = pd.DataFrame({"post_id": ["s0", "s1"], "platform": "twitter", "text": SYNTHETIC[:2],
                              "source": "synthetic", "topic": ["vax label at run time", "food"],
                              "topic_id": ["vax", "food"], "model": "m"})
    posts = combine_posts(real, synthetic, topic_set)
    # The Topics page's labels on both sides; the file's column only for real posts, in its own column.
    assert posts["topic"].tolist() == (["Vaccines"] * 6 + ["food"] * 6) * 2 + ["Vaccines", "food"]
    assert posts[FILE_TOPIC].tolist()[:1] == ["vax"] and posts[FILE_TOPIC].isna().tolist()[-2:] == [True, True]
    # Without a topic set the file's column is the only one: as it is.
    assert combine_posts(real, synthetic)["topic"].tolist()[-2:] == ["vax label at run time", "food"]
