"""The Leaderboard page through app.py, with real and synthetic posts of two models in the session."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.compare_posts import real_posts, synthetic_posts
from tests.app.pages import open_page


def _open(real=None, synthetic=None) -> AppTest:
    return open_page("pages/leaderboard.py", real, synthetic)


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = _open(real_posts(), synthetic_posts())
    assert not at.exception, at.exception
    return at


def test_renders_verdicts_table_and_charts(page: AppTest) -> None:
    assert page.title[0].value == "Leaderboard" and not page.error
    # smollm2 writes each platform's style, the odd model swaps them: smollm2 wins everywhere, clearly.
    verdicts = [s.value for s in page.success]
    assert len(verdicts) == 3 and not page.info
    assert all(v.startswith("local\\:smollm2 is best on") and v.endswith("(P(best) = 100%)") for v in verdicts)
    table = page.dataframe[0].value
    assert len(table) == 6 and set(table["platform"]) == {"twitter", "reddit", "all"}
    best = table.sort_values("score", ascending=False).iloc[0]
    assert best["model"] == "local:smollm2" and best["score_low"] <= best["score"] <= best["score_high"]


def test_widgets_change_replicates_platforms_and_metric(page: AppTest) -> None:
    page.select_slider(key="leaderboard_n_boot").set_value(0)
    page.multiselect(key="leaderboard_platforms").set_value(["twitter"])
    page.selectbox(key="leaderboard_metric").set_value("vocabulary_similarity")
    page.number_input(key="leaderboard_seed").set_value(3)
    page.run()
    assert not page.exception and not page.error
    table = page.dataframe[0].value
    assert set(table["platform"]) == {"twitter"} and table["score_low"].isna().all()


def test_too_few_posts_is_explained() -> None:
    at = _open(real_posts(), synthetic_posts().head(3))
    assert not at.exception
    assert any("no model and platform has enough posts" in w.value for w in at.warning) and not at.error


def test_without_synthetic_posts_the_page_says_what_to_do() -> None:
    at = _open(real_posts(), None)
    assert not at.exception and any("No synthetic posts yet" in info.value for info in at.info)


def test_one_model_gets_no_best_verdict_only_its_scores() -> None:
    synthetic = synthetic_posts()
    at = _open(real_posts(), synthetic[synthetic["model"] == "local:smollm2"])
    assert not at.exception and not at.success  # no "P(best) = 100%" banners for a model with no rival
    assert len(at.info) == 1 and "nothing to rank" in at.info[0].value
