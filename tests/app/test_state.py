"""Which session values are kept across pages: settings only, never a widget's read-only selection state."""

from __future__ import annotations

import datetime

from ui.state import _kept


def test_settings_are_kept_and_selection_states_are_not() -> None:
    assert _kept("embeddings_color", "platform")
    assert _kept("generate_platforms", ["twitter", "reddit"])
    assert _kept("generate_temperature", 0.9) and _kept("generate_since", datetime.date(2026, 1, 1))
    # st.plotly_chart(on_select=...) keeps a dict of the selection under its key: setting it back raises
    # StreamlitValueAssignmentNotAllowedError, which a browser user saw as a traceback on the Embeddings page.
    assert not _kept("embeddings_map", {"selection": {"points": [], "box": [], "lasso": []}})
    assert not _kept("generate_start", True)  # a button
    assert not _kept("report_download_html", True) and not _kept("report_download_bundle", False)  # downloads
