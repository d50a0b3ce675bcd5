"""The Lexical page through app.py, with real and synthetic posts in the session."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.compare_posts import real_posts, synthetic_posts
from tests.app.pages import open_page


def _open(real=None, synthetic=None) -> AppTest:
    return open_page("pages/lexical.py", real, synthetic)


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = _open(real_posts(), synthetic_posts())
    assert not at.exception, at.exception
    return at


def test_renders_scorecard_distribution_and_top_items(page: AppTest) -> None:
    assert page.title[0].value == "Lexical comparison"
    assert not page.error
    assert [s.value for s in page.subheader] == ["Scorecard", "Distributions per post", "Most frequent items"]
    scorecard = page.dataframe[0].value
    assert {"green", "amber", "red", "grey"} >= set(scorecard["rating"]) and len(scorecard) >= 10
    assert "Mean length (characters)" in set(scorecard["metric"])
    # Every rating beside the numbers it was judged on: both gaps and their ratio.
    row = scorecard.set_index("identifier").loc["chars_mean"]
    assert row["gap ÷ baseline gap"] == pytest.approx(
        row["synthetic gap"] / max(row["baseline gap used (scaled to sizes)"], 0.05 * row["real"], 0.01))
    # Real plus both models side by side when all models are shown.
    assert [t.value for t in page.text if "posts)" in t.value] == [
        "real (49 posts)", "<b>odd model</b> (24 posts)", "local:smollm2 (24 posts)"]
    top_real = page.dataframe[1].value
    assert top_real.iloc[0]["item"].startswith("#vax")
    assert (top_real["per 100 posts"] == 100 * top_real["count"] / 49).all()  # a rate per 100 posts, said so


def test_widgets_switch_platform_model_feature_and_items(page: AppTest) -> None:
    page.selectbox(key="lexical_platform").set_value("twitter")
    page.selectbox(key="lexical_model").set_value("local:smollm2")
    page.radio(key="lexical_feature").set_value("hashtags")
    page.radio(key="lexical_top_kind").set_value("emoji")
    page.number_input(key="lexical_top_k").set_value(5)
    page.run()
    assert not page.exception and not page.error
    assert any(t.value == "25 real posts vs 12 synthetic posts (local:smollm2)." for t in page.text)
    assert page.dataframe[1].value["item"].tolist() == ["💉"]
    # 12 synthetic posts on twitter: below the size where a rating means anything, and said so.
    assert set(page.dataframe[0].value["rating"]) == {"too few posts to judge"}
    assert len([t for t in page.text if "posts)" in t.value]) == 2  # real vs the chosen model only


def test_without_synthetic_posts_the_page_says_what_to_do() -> None:
    at = _open(real_posts(), None)
    assert not at.exception
    assert any("No synthetic posts yet" in info.value for info in at.info)
    assert at.file_uploader(key="lexical_upload") is not None


def test_a_synthetic_file_uploaded_here_is_compared_at_once() -> None:
    at = _open(real_posts(), None)
    csv = synthetic_posts().to_csv(index=False).encode()
    at.file_uploader(key="lexical_upload").set_value([("synthetic.csv", csv, "text/csv")])
    at.run()
    assert not at.exception and not at.error
    assert not any("No synthetic posts yet" in info.value for info in at.info)
    assert any("synthetic posts" in t.value for t in at.text)  # the comparison is drawn


def test_without_any_posts_the_page_says_what_to_do() -> None:
    at = _open()
    assert not at.exception
    assert any("No real posts in this session" in info.value for info in at.info)
