"""Typed accessors for what pages share through `st.session_state`.

Pages never touch session-state keys directly for shared data: they go through these functions, so the
keys and their types live in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

if TYPE_CHECKING:
    from synth.metrics.coverage_gaps import TargetedPlan

REAL_POSTS = "real_posts"
INGEST_REPORT = "ingest_report"
SYNTHETIC_POSTS = "synthetic_posts"


def get_real_posts() -> pd.DataFrame | None:
    """The real posts loaded on the Data page (canonical schema, source == 'real'), or None."""
    return st.session_state.get(REAL_POSTS)


def set_real_posts(posts: pd.DataFrame, report: Any = None) -> None:
    st.session_state[REAL_POSTS] = posts
    st.session_state[INGEST_REPORT] = report
    _redraw_session_summary()


def get_ingest_report() -> Any:
    return st.session_state.get(INGEST_REPORT)


def get_synthetic_posts() -> pd.DataFrame | None:
    """The synthetic posts generated or loaded in this session (canonical schema), or None."""
    return st.session_state.get(SYNTHETIC_POSTS)


def set_synthetic_posts(posts: pd.DataFrame | None) -> None:
    st.session_state[SYNTHETIC_POSTS] = posts
    _redraw_session_summary()


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
    with slot.container():
        st.caption("This session")
        st.markdown(
            f"Real posts: **{0 if real is None else len(real):,}**  \n"
            f"Synthetic posts: **{0 if synthetic is None else len(synthetic):,}**"
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
