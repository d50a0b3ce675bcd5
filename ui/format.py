"""Text and numbers for Streamlit: user text escaped for `st.markdown` (and every widget label, caption or
message that renders markdown), numbers formatted for people."""

from __future__ import annotations

import re

import numpy as np

# Markdown, HTML and Streamlit's :shortcode: syntax: escaped so file and column names show as typed.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$:])")


def escape_markdown(text: object) -> str:
    """`text` escaped so Streamlit's markdown shows it literally (file names, column names, messages)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def number(value: object) -> str:
    """A metric value for a table: floats to 3 decimals, integers with thousands separators, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:.3f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value)
