"""The Data page through app.py: uploads, mapping fixes, platform choice, the report and bad files."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.pages import open_page

TWEETS = b"id,tweet,likes\n1,Hello #world @friend https://t.co/x,3\n2,<script>alert(1)</script> plain text,1\n"
REDDIT = b'{"text": "A reddit comment about things", "platform": "reddit"}\n' \
         b'{"text": "Another comment \xf0\x9f\x8e\x89", "platform": "Reddit"}\n'


@pytest.fixture()
def app() -> AppTest:
    at = open_page(None)
    assert not at.exception
    return at


def _upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="data_uploads").set_value([(name, data, "application/octet-stream") for name, data in files])
    return at.run()


def test_page_starts_empty(app: AppTest) -> None:
    assert app.title[0].value == "Upload real posts"
    assert any("Upload one or more files" in info.value for info in app.info)


def test_upload_choose_platform_then_report(app: AppTest) -> None:
    at = _upload(app, ("first.csv", TWEETS), ("reddit.jsonl", REDDIT))
    assert not at.exception
    # first.csv has no platform column nor a platform in its name: its posts wait for a platform.
    assert any("Choose the platform" in warning.value for warning in at.warning)
    assert at.session_state["real_posts"]["platform"].tolist() == ["reddit", "reddit"]
    platform_box = next(box for box in at.selectbox if box.key and box.key.startswith("platform_"))
    platform_box.set_value("twitter")
    at.run()
    assert not at.exception and not at.error
    posts = at.session_state["real_posts"]
    assert sorted(posts["platform"].tolist()) == ["reddit", "reddit", "twitter", "twitter"]
    # Text is kept as written, script tags included; the page shows it in a data grid, never as HTML.
    assert "<script>alert(1)</script> plain text" in posts["text"].tolist()
    assert [metric.value for metric in at.metric] == ["4", "4"]
    report = at.session_state["ingest_report"]
    assert report.platform_counts == {"reddit": 2, "twitter": 2}
    assert [f.mapping["text"] for f in report.files] == ["tweet", "text"]
    assert any("HTML-like tags" in caption.value.replace("\\", "") for caption in at.caption)
    assert len(at.get("plotly_chart")) == 1
    assert at.get("download_button")[0].proto.label == "Download the validated posts (CSV)"
    # The sidebar's session summary counts what this very run loaded, not the previous run's state.
    assert any("Real posts: **4**" in md.value for md in at.sidebar.markdown)


def test_the_platform_is_guessed_from_a_file_name_that_names_one(app: AppTest) -> None:
    at = _upload(app, ("instagram.csv", TWEETS), ("tweets_2024.csv", TWEETS))
    assert not at.exception and not at.warning
    assert sorted(at.session_state["real_posts"]["platform"]) == ["instagram", "instagram", "twitter", "twitter"]
    assert any("guessed from the file name" in box.label for box in at.selectbox)


def test_fixing_the_mapping_changes_the_posts(app: AppTest) -> None:
    at = _upload(app, ("p.csv", b"note,words,platform\nignore this column please,the real post,x\n"))
    assert at.session_state["real_posts"]["text"].tolist() == ["ignore this column please"]
    at.selectbox(key=next(b.key for b in at.selectbox if b.key.startswith("map_text_"))).set_value("words")
    at.run()
    assert at.session_state["real_posts"]["text"].tolist() == ["the real post"]


def test_bad_files_get_errors_and_good_ones_still_load(app: AppTest) -> None:
    at = _upload(app, ("empty.csv", b""), ("junk.csv", bytes(range(256)) * 4), ("trunc.json", b'[{"text": "a"'),
                 ("ok.csv", b"text,platform\nfine post,youtube\n"))
    assert not at.exception
    errors = " ".join(error.value for error in at.error).replace("\\", "")  # shown escaped: drop the escapes
    assert "empty.csv: the file is empty" in errors
    assert "junk.csv: this is not a text file" in errors
    assert "trunc.json: the JSON ends early" in errors
    assert at.session_state["real_posts"]["text"].tolist() == ["fine post"]


def test_posts_loaded_earlier_are_kept_when_a_bad_file_replaces_them(app: AppTest) -> None:
    at = _upload(app, ("ok.csv", b"text,platform\nfine post,youtube\n"))
    at = _upload(at, ("bad.xls", b"whatever"))
    assert "unsupported file type" in at.error[0].value.replace("\\", "")
    assert at.session_state["real_posts"]["text"].tolist() == ["fine post"]


def test_file_without_a_text_column_asks_for_one(app: AppTest) -> None:
    at = _upload(app, ("numbers.csv", b"a,b,platform\n1,2,x\n3,4,x\n"))
    assert any("choose the text column" in warning.value for warning in at.warning)
    assert "real_posts" not in at.session_state
    at.selectbox(key=next(b.key for b in at.selectbox if b.key.startswith("map_text_"))).set_value("b")
    at.run()
    assert at.session_state["real_posts"]["text"].tolist() == ["2", "4"]


def test_stats_are_computed_once_per_table_of_posts(app: AppTest) -> None:
    at = _upload(app, ("reddit.jsonl", REDDIT))
    first = at.session_state["ingest_platform_stats"]
    at.run()  # a rerun with the same posts (any widget click) reuses them
    assert at.session_state["ingest_platform_stats"][1] is first[1]
    assert first[0] is at.session_state["real_posts"]


def test_the_demo_button_loads_the_bundled_sample_into_a_new_project(app: AppTest) -> None:
    from synth import projects

    app.button(key="data_demo_button").click().run()
    assert not app.exception
    posts = app.session_state["real_posts"]
    assert len(posts) == 60 and set(posts["platform"]) == {"twitter", "reddit", "instagram"}
    assert [metric.value for metric in app.metric] == ["60", "60"]
    assert [project.name for project in projects.list_projects()][0].startswith("Project of")
