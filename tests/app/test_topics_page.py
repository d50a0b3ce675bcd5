"""The Topics page through app.py: fit (topic column), heatmap, rename, merge, drop, representatives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.pages import open_page

PAGE = "pages/topics.py"

TOPICS = {
    "coffee": ["espresso beans roasted fresh", "my coffee order was cold", "oat milk latte again #coffee",
               "best coffee beans in town", "coffee shop wifi down", "double espresso before work"],
    "trains": ["train delayed again this morning", "the train station is packed", "signal failure on the line",
               "train tickets went up", "missed my train by a minute", "train conductor was kind"],
    "rain": ["rain all week long", "forgot my umbrella in the rain", "heavy rain flooded the street",
             "rain boots on sale", "more rain tomorrow", "rain or shine we go"],
}


def real_posts() -> pd.DataFrame:
    rows = [(platform, topic, text) for platform in ("twitter", "reddit") for topic, texts in TOPICS.items()
            for text in texts]
    frame = pd.DataFrame(rows, columns=["platform", "topic", "text"])
    frame.insert(0, "post_id", [f"p{i}" for i in range(len(frame))])
    frame["source"] = "real"
    return frame


@pytest.fixture(scope="module", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("SYNTH_WARM_UMAP", "0")
        yield


def _open(real: pd.DataFrame | None) -> AppTest:
    return open_page(PAGE, real)


def _find_topics(at: AppTest, timeout_s: float = 120) -> AppTest:
    """Press Find topics, then rerun as the page's progress fragment does until the fit (a job) is done."""
    at.button[0].click().run()  # the form's submit button
    deadline = time.monotonic() + timeout_s
    while any("fits are cached on disk" in caption.value for caption in at.caption):  # shown while it runs
        assert time.monotonic() < deadline, "the topic fit never finished"
        time.sleep(0.5)
        at.run()
    return at


def test_without_posts_says_what_to_do() -> None:
    at = _open(None)
    assert not at.exception
    assert "Upload posts" in at.info[0].value


def test_fit_edit_and_view_topics() -> None:
    at = _open(real_posts())
    assert "Find topics" in at.info[0].value
    at = _find_topics(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric][:1] == ["3"]
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert list(table["id"]) == ["coffee", "trains", "rain"]
    assert table.loc[0, "twitter"] == "6 (33%)"

    at.selectbox(key="topics_rename_id").set_value("rain").run()
    assert at.text_input(key="topics_rename_label_rain").value == "rain"  # the chosen topic's label, to edit
    at.text_input(key="topics_rename_label_rain").input("Weather")
    at.button(key="topics_rename").click().run()
    assert not at.exception
    assert "Weather" in list(at.dataframe[0].value["label"])
    assert at.text_input(key="topics_rename_label_rain").value == "Weather"

    at.text_input(key="topics_rename_label_rain").input("coffee")  # taken by another topic
    at.button(key="topics_rename").click().run()
    assert "already called" in at.error[0].value

    at.multiselect(key="topics_merge_ids").set_value(["coffee", "trains"])
    at.text_input(key="topics_merge_label").input("Commute")
    at.button(key="topics_merge").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["label"]) == ["Commute", "Weather"] and table.loc[0, "twitter"] == "12 (67%)"

    at.multiselect(key="topics_drop_ids").set_value(["rain"]).run()
    at.button(key="topics_drop").click().run()
    assert list(at.dataframe[0].value["id"]) == ["coffee"]

    at.selectbox(key="topics_posts_id").set_value("coffee").run()
    shown = [element.value for element in at.text]
    assert any("espresso" in text for text in shown)
    assert at.session_state["topic_set"].get("coffee").label == "Commute"


def test_posts_without_shared_topics_get_a_clear_message() -> None:
    posts = real_posts()
    posts["platform"] = ["twitter" if topic == "coffee" else "reddit" for topic in posts["topic"]]
    at = _open(posts)
    at = _find_topics(at)
    assert not at.exception
    assert "No topic is shared" in at.warning[0].value
