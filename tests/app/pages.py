"""The one way page tests open a page: through app.py (its navigation and sidebar), with posts and widget
values already in the session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(
    page: str | None, real: pd.DataFrame | None = None, synthetic: pd.DataFrame | None = None, **state: object
) -> AppTest:
    """Run `page` (e.g. "pages/lexical.py"; None: the app's first page) through app.py with these posts and
    these other session-state entries (widget values by key) in the session."""
    at = AppTest.from_file(APP, default_timeout=120)
    if real is not None:
        at.session_state["real_posts"] = real
    if synthetic is not None:
        at.session_state["synthetic_posts"] = synthetic
    for key, value in state.items():
        at.session_state[key] = value
    if page is not None:
        at.switch_page(page)
    return at.run()
