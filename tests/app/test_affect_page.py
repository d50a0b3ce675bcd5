"""The Affect page through app.py, with real and synthetic posts in the session."""

from __future__ import annotations

from tests.app.compare_posts import real_posts, synthetic_posts
from tests.app.pages import open_page


def test_renders_affect_diversity_and_utility_with_baselines() -> None:
    page = open_page("pages/affect.py", real_posts(), synthetic_posts())
    assert not page.exception, page.exception
    assert not page.error
    assert [s.value for s in page.subheader] == ["Sentiment, emotions and offensive language", "Diversity",
                                                 "Train on synthetic, test on real"]
    affect_card = page.dataframe[0].value
    assert "Offensive posts" in set(affect_card["metric"])
    # Shares are shown as percentages, the baseline with its spread.
    row = affect_card.set_index("metric").loc["Offensive posts"]
    assert row["real"].endswith("%") and "±" in row["real-vs-real baseline"]
    assert "Self-BLEU (lower is more varied)" in set(page.dataframe[1].value["metric"])
    utility = page.dataframe[2].value
    assert "TF-IDF + logistic regression" in set(utility["classifier"])
    page.selectbox(key="affect_platform").set_value("twitter").run()
    assert not page.exception, page.exception


def test_without_synthetic_posts_the_page_says_what_to_load() -> None:
    page = open_page("pages/affect.py", real_posts(), None)
    assert not page.exception
    assert any("No synthetic posts" in info.value for info in page.info)
