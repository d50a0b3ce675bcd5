"""Typed accessors for what pages share through `st.session_state`, saved to the open project as it changes.

Pages never touch session-state keys directly for shared data: they go through these functions, so the
keys and their types live in one place. Every setter also writes to the session's project on disk
(`synth.projects`), whose id is in the URL (`?project=...`): a reload or a restarted server opens it again
(`restore_project`, called by app.py at the start of every run).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from synth import projects
from synth.errors import SynthError

if TYPE_CHECKING:
    from synth.metrics.coverage_gaps import TargetedPlan

REAL_POSTS = "real_posts"
INGEST_REPORT = "ingest_report"
SYNTHETIC_POSTS = "synthetic_posts"
PROJECT = "project_id"
QUERY_KEY = "project"
TOPIC_SET = "topic_set"
TOPIC_SET_SOURCE = "topic_set_source"


# -- the project -----------------------------------------------------------------------------------------------


def get_project() -> projects.Project | None:
    """The project this session writes to, or None before anything was loaded."""
    project_id = st.session_state.get(PROJECT)
    if not project_id:
        return None
    try:
        return projects.open_project(project_id)
    except SynthError:  # deleted (in another tab): the session goes on without one
        st.session_state[PROJECT] = None
        return None


def restore_project() -> None:
    """Open the project named in the URL when this session has none (a reload, a restarted server), and keep
    the URL naming the session's project (so a reload comes back to it)."""
    current, wanted = st.session_state.get(PROJECT), st.query_params.get(QUERY_KEY)
    if current:
        if wanted != current:
            st.query_params[QUERY_KEY] = current
        return
    if wanted:
        try:
            open_into_session(wanted)
        except SynthError as error:
            del st.query_params[QUERY_KEY]
            st.warning(str(error), icon=":material/warning:")


def open_into_session(project_id: str) -> None:
    """Make `project_id` this session's project: its posts, topics and settings replace the session's."""
    project = projects.open_project(project_id)
    real, report = projects.load_real_posts(project.project_id)
    topic_set, source = projects.load_topics(project.project_id)
    # Only settings this app keeps, never a typed-in key or a button (Streamlit refuses to set those).
    settings = {key: value for key, value in projects.load_settings(project.project_id).items()
                if _kept(key, value) and not key.startswith(NOT_SAVED_PREFIXES)}
    for key in [key for key in st.session_state if isinstance(key, str) and _kept_name(key)]:
        del st.session_state[key]
    st.session_state.update({
        PROJECT: project.project_id, REAL_POSTS: real, INGEST_REPORT: report,
        SYNTHETIC_POSTS: projects.load_synthetic_posts(project.project_id), TOPIC_SET: topic_set,
        TOPIC_SET_SOURCE: source, _KEPT: dict(settings), _SAVED_SETTINGS: dict(settings), TARGETED_PLAN: None,
    })
    st.query_params[QUERY_KEY] = project.project_id


def close_project() -> None:
    """Start afresh: no project, no posts (the project stays on disk)."""
    for key in (PROJECT, REAL_POSTS, INGEST_REPORT, SYNTHETIC_POSTS, TOPIC_SET, TOPIC_SET_SOURCE, TARGETED_PLAN):
        st.session_state[key] = None
    st.session_state[_KEPT], st.session_state[_SAVED_SETTINGS] = {}, {}
    st.query_params.pop(QUERY_KEY, None)


def _project_id_for_writing() -> str:
    """The session's project id; a new project (named by the time) when the session has none yet."""
    project = get_project()
    if project is None:
        project = projects.create_project(f"Project of {datetime.now():%d %b %Y %H:%M}")
        st.session_state[PROJECT] = project.project_id
        st.query_params[QUERY_KEY] = project.project_id
    return project.project_id


# -- posts ---------------------------------------------------------------------------------------------------


def get_real_posts() -> pd.DataFrame | None:
    """The real posts loaded on the Data page (canonical schema, source == 'real'), or None."""
    return st.session_state.get(REAL_POSTS)


def set_real_posts(posts: pd.DataFrame, report: Any = None) -> None:
    """Make `posts` the session's real posts and save them to the project (when they changed)."""
    previous = get_real_posts()
    st.session_state[REAL_POSTS] = posts
    st.session_state[INGEST_REPORT] = report
    if previous is None or previous is not posts and not previous.equals(posts):
        projects.save_real_posts(_project_id_for_writing(), posts, report)
    _redraw_session_summary()


def get_ingest_report() -> Any:
    return st.session_state.get(INGEST_REPORT)


def get_synthetic_posts() -> pd.DataFrame | None:
    """The comparison set: the synthetic posts generated or loaded in this session (canonical schema), or None."""
    return st.session_state.get(SYNTHETIC_POSTS)


def set_synthetic_posts(posts: pd.DataFrame | None, *, redraw: bool = True) -> None:
    """Make `posts` the comparison set and save it to the project.

    Args:
        redraw: redraw the sidebar's counts now. Pass False inside an `st.fragment` (which may not write to
            the sidebar) and rerun the app afterwards (`st.rerun(scope="app")`): the counts are drawn then.
    """
    st.session_state[SYNTHETIC_POSTS] = posts
    projects.save_synthetic_posts(_project_id_for_writing(), posts)
    if redraw:
        _redraw_session_summary()


def add_run_posts(posts: pd.DataFrame, *, redraw: bool = True) -> pd.DataFrame | None:
    """Add a run's posts to the comparison set (`synth.projects.merge_run_posts`: a resumed run replaces its
    earlier posts, other runs stay, a run with no post changes nothing); returns the new set."""
    merged = projects.merge_run_posts(get_synthetic_posts(), posts)
    if merged is not get_synthetic_posts():
        set_synthetic_posts(merged, redraw=redraw)
    return merged


# -- topics (the Topics page's edited set; ui.topics reads and writes through these) ------------------------------


def get_topic_set_and_source() -> tuple[Any, str | None]:
    return st.session_state.get(TOPIC_SET), st.session_state.get(TOPIC_SET_SOURCE)


def set_topic_set(topic_set: Any, source: str | None) -> None:
    """Make `topic_set` (a `synth.topics.model.TopicSet`, made from posts with hash `source`) the session's."""
    st.session_state[TOPIC_SET] = topic_set
    st.session_state[TOPIC_SET_SOURCE] = source
    projects.save_topics(_project_id_for_writing(), topic_set, source)


# -- page settings: kept across page changes and saved with the project ----------------------------------------

_KEPT = "_kept_widget_values"
_SAVED_SETTINGS = "_saved_widget_values"
KEPT_PREFIXES = ("generate_", "embeddings_", "lexical_", "leaderboard_", "report_", "topics_", "topic_")
# Widgets whose value Streamlit refuses to set (buttons, uploads, downloads), state that is not a setting, and
# typed-in API keys (session only: never written to disk).
NOT_KEPT = frozenset({"report_build", "topics_rename", "topics_merge", "topics_drop", "generate_start",
                      "generate_cancel", "generate_open", "generate_add", "generate_resume",
                      "embeddings_plan_button", "lexical_upload", "report_upload", "report_requested",
                      "generate_loaded", "generate_current_run", "generate_cancelling",
                      "topics_fit_request"})
NOT_SAVED_PREFIXES = ("generate_key_",)


def _kept_name(key: str) -> bool:
    return (key.startswith(KEPT_PREFIXES) and key not in NOT_KEPT and not key.endswith("_button")
            and "_download" not in key and "_upload" not in key)


def _kept(key: str, value: Any) -> bool:
    # Only settings: a chart's or table's selection state (a dict) cannot be set through session state.
    return _kept_name(key) and _is_setting(value)


def _is_setting(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_setting(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool | date | time)


def keep_widget_values() -> None:
    """Keep the pages' settings when the page changes, and save them to the project when they change.

    Streamlit forgets a widget's value once a run does not draw it (another page): app.py calls this at the
    start of every run, which copies the values present and sets them again as session-state values (which
    Streamlit keeps, and a widget drawn later with that key starts from).
    """
    kept: dict[str, Any] = st.session_state.setdefault(_KEPT, {})
    for key in list(st.session_state):
        if isinstance(key, str) and _kept(key, st.session_state[key]):
            kept[key] = st.session_state[key]
    for key, value in kept.items():
        # Set even when the key is still there: a widget not drawn last run holds a stale value Streamlit drops.
        st.session_state[key] = value
    saved = {key: value for key, value in kept.items() if not key.startswith(NOT_SAVED_PREFIXES)}
    saved = {key: list(value) if isinstance(value, tuple) else value for key, value in saved.items()}
    if get_project() is not None and saved != st.session_state.get(_SAVED_SETTINGS):
        projects.save_settings(st.session_state[PROJECT], saved)
        st.session_state[_SAVED_SETTINGS] = saved


# -- the sidebar -----------------------------------------------------------------------------------------------

SUMMARY_SLOT = "_session_summary_slot"


def show_session_summary() -> None:
    """Draw the sidebar's count of real and synthetic posts in a placeholder that the setters above redraw,
    so the counts include what the page loads or generates later in the same run (pages may `st.stop()`,
    which rules out drawing the summary after the page)."""
    st.session_state[SUMMARY_SLOT] = st.sidebar.empty()
    _redraw_session_summary()


def _redraw_session_summary() -> None:
    slot = st.session_state.get(SUMMARY_SLOT)
    if slot is None:
        return
    real, synthetic = get_real_posts(), get_synthetic_posts()
    project = get_project()
    runs = projects.run_names(synthetic)
    with slot.container():
        st.caption("Project")
        st.text(project.name if project else "(none yet: upload posts or open one)")
        st.markdown(
            f"Real posts: **{0 if real is None else len(real):,}**  \n"
            f"Synthetic posts: **{0 if synthetic is None else len(synthetic):,}**"
            + (f" from {len(runs)} run{'s' if len(runs) != 1 else ''}" if runs else "")
        )


TARGETED_PLAN = "targeted_plan"


def get_targeted_plan() -> TargetedPlan | None:
    """The coverage-gap plan sent from the Embeddings page to the Generate page, or None.

    It is a `synth.metrics.coverage_gaps.TargetedPlan`: topics x platforms x per_cell for a GenerationConfig; pass
    `plan.tag_real_posts(real_posts)` as the real posts so each gap's examples are its own posts.
    """
    return st.session_state.get(TARGETED_PLAN)


def set_targeted_plan(plan: TargetedPlan | None) -> None:
    """Store (or clear, with None) the plan the Generate page should offer to run."""
    st.session_state[TARGETED_PLAN] = plan


