"""The Report and export page through app.py: build, download buttons, bundle contents, synthetic upload,
and the metric definitions page."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.compare_posts import real_posts, synthetic_posts
from tests.app.pages import open_page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> AppTest:
    at = open_page("pages/report.py", real_posts(), synthetic_posts())
    assert not at.exception, at.exception
    assert at.text_input(key="report_run_dirs").value == ""  # no run of these posts is on disk
    assert at.checkbox(key="report_all_metrics").value is False  # lexical only: no embedding in this test
    at.number_input(key="report_samples").set_value(3)
    at.number_input(key="report_n_boot").set_value(50)
    at.button(key="report_build").click()
    at.run()
    deadline = time.monotonic() + 120
    while any(button.key == "report_cancel_button" for button in at.button):  # the build is a job: rerun
        assert time.monotonic() < deadline, "the report build never finished"  # as its progress fragment does
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    return at


def test_build_offers_both_downloads_and_the_card(built: AppTest) -> None:
    assert not built.error
    assert any("Only lexical metrics were computed" in info.value for info in built.info)
    labels = {b.label for b in built.get("download_button")}
    assert labels == {"Download the report (HTML)", "Download the bundle (zip)"}
    assert built.subheader[0].value == "Dataset card"
    card = built.code[0].value
    assert card.startswith("# Synthetic social media dataset") and "| local:smollm2 | twitter |" in card


def test_artifacts_hold_the_report_and_the_promised_files(built: AppTest) -> None:
    from synth.report.bundle import BUNDLE_FILES

    size_line = next(t.value for t in built.text if t.value.startswith("Report:"))
    for name in (*BUNDLE_FILES, "metrics.json"):
        assert name in size_line
    # The page's cached artifacts are the same the library makes: check one bundle end to end.
    from synth.report.artifacts import make_artifacts

    artifacts = make_artifacts(real_posts(), synthetic_posts(), n_boot=0, samples_per_platform=50)
    with zipfile.ZipFile(io.BytesIO(artifacts.bundle)) as bundle:
        assert set(bundle.namelist()) == {*BUNDLE_FILES, "metrics.json"}
        report = bundle.read("report.html").decode()
    assert '&lt;script&gt;alert(&#34;real&#34;)&lt;/script&gt;' in report and "<script>alert" not in report


def test_upload_of_a_synthetic_file_replaces_the_session_posts() -> None:
    at = open_page("pages/report.py", real_posts(), None)
    assert any("No synthetic posts yet" in info.value for info in at.info)
    csv = synthetic_posts().to_csv(index=False).encode()
    at.file_uploader(key="report_upload").set_value([("synthetic.csv", csv, "text/csv")])
    at.run()
    assert not at.exception and not at.error
    posts = at.session_state["synthetic_posts"]
    assert len(posts) == 48 and set(posts["source"]) == {"synthetic"}
    assert set(posts["model"]) == {"local:smollm2", "<b>odd model</b>"}
    assert at.button(key="report_build") is not None
    assert not any("No synthetic posts yet" in info.value for info in at.info)  # the page reran with them


def test_bad_upload_is_a_clear_error() -> None:
    at = open_page("pages/report.py", real_posts(), None)
    at.file_uploader(key="report_upload").set_value([("synthetic.csv", b"\x00\x01\x02binary", "text/csv")])
    at.run()
    assert not at.exception and at.error and "synthetic.csv" in at.error[0].value


def test_definitions_page_lists_and_filters_definitions() -> None:
    at = open_page("pages/definitions.py")
    assert not at.exception and at.title[0].value == "Metric definitions"
    sections = [s.value for s in at.subheader]
    assert {"Leaderboard score", "Lexical", "Scorecard"} <= set(sections)
    at.text_input(key="definitions_search").set_value("jaccard")
    at.run()
    assert not at.exception and all("jaccard" in t.value.to_string().lower() for t in at.table)
    at.radio(key="definitions_section").set_value("Leaderboard score")
    at.text_input(key="definitions_search").set_value("no such metric anywhere")
    at.run()
    assert any("No definition matches" in info.value for info in at.info)
