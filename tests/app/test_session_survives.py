"""What a user did survives a page change, a reload and a server restart: settings are kept across pages and
the project in the URL brings back posts, topics, the comparison set and settings in a fresh session."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from synth import projects
from tests.app.pages import APP
from tests.app.test_generate_page import real_posts


def _two_pages() -> None:
    """A stand-in for app.py over two pages: the settings page draws widgets, the other page draws none."""
    import streamlit as st

    from ui import state

    state.keep_widget_values()
    if st.session_state.get("page", "settings") == "settings":
        st.multiselect("Platforms", ["twitter", "reddit"], default=["twitter", "reddit"], key="generate_platforms")
        st.number_input("Posts per cell", 1, 100, 2, key="generate_per_cell")
        st.button("Start", key="generate_start")
    else:
        st.write("another page")


def test_settings_survive_a_visit_to_another_page() -> None:
    # AppTest.switch_page runs a page without app.py, so the two pages are one script here, with Streamlit's
    # real clean-up of the widgets a run does not draw.
    at = AppTest.from_function(_two_pages).run()
    at.multiselect(key="generate_platforms").set_value(["reddit"]).run()
    at.number_input(key="generate_per_cell").set_value(5).run()
    at.button(key="generate_start").click().run()
    for page in ("other", "other", "settings"):
        at.session_state["page"] = page
        at.run()
        assert not at.exception, at.exception
    assert at.multiselect(key="generate_platforms").value == ["reddit"]
    assert at.number_input(key="generate_per_cell").value == 5


def test_a_fresh_session_with_the_project_in_the_url_gets_everything_back(tmp_path: Path) -> None:
    real = real_posts()
    project = projects.create_project("Coffee and trains")
    projects.save_real_posts(project.project_id, real)
    synthetic = real.iloc[:3].assign(source="synthetic", run_id="run-1")
    projects.save_synthetic_posts(project.project_id, synthetic)
    projects.save_settings(project.project_id, {"generate_per_cell": 7, "generate_key_OPENAI_API_KEY": "never"})

    reloaded = AppTest.from_file(APP, default_timeout=120)
    reloaded.query_params["project"] = project.project_id
    reloaded.run()  # app.py and its first page, as a browser reload does
    assert not reloaded.exception
    assert reloaded.session_state["real_posts"]["text"].tolist() == real["text"].tolist()
    assert len(reloaded.session_state["synthetic_posts"]) == 3
    assert reloaded.session_state["generate_per_cell"] == 7
    assert "generate_key_OPENAI_API_KEY" not in reloaded.session_state  # saved keys are never read back
    assert any("Coffee and trains" in text.value for text in reloaded.sidebar.text)
    assert any("Real posts: **20**" in text.value for text in reloaded.sidebar.markdown)


def test_an_unknown_project_in_the_url_is_said_and_forgotten() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["project"] = "0123456789ab"
    at.run()
    assert not at.exception
    assert any("No project 0123456789ab" in warning.value for warning in at.warning)
    assert "project" not in at.query_params


def test_the_first_page_lists_opens_renames_and_deletes_projects() -> None:
    first, second = projects.create_project("Vaccines"), projects.create_project("Food")
    projects.save_real_posts(first.project_id, real_posts())
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    at.selectbox(key="project_pick").set_value(first.project_id)
    at.button(key="project_open_button").click().run()
    assert not at.exception
    assert at.query_params["project"] == [first.project_id] or at.query_params["project"] == first.project_id
    assert len(at.session_state["real_posts"]) == 20
    assert any("20 real posts saved in this project" in caption.value for caption in at.caption)

    at.text_input(key=f"project_name_{first.project_id}").input("Vaccine hesitancy").run()
    assert projects.open_project(first.project_id).name == "Vaccine hesitancy"
    at.text_input(key=f"project_name_{first.project_id}").input("   ").run()
    assert "needs a name" in at.error[0].value  # refused, said, nothing changed
    assert projects.open_project(first.project_id).name == "Vaccine hesitancy"

    at.button(key="project_delete_button").click().run()
    at.button(key="project_delete_yes_button").click().run()
    assert not at.exception
    assert [project.project_id for project in projects.list_projects()] == [second.project_id]
    assert at.session_state["real_posts"] is None and "project" not in at.query_params
