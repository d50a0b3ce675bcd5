"""User text made safe for plotly: the one escaper every figure's titles, legends, axes and hovers go through.

Plotly renders a subset of HTML in those (`<b>`, `<a href=...>`, `<br>`, entities), and user text (post text,
topic labels, model names, anything that came from a file or a model) is data, never markup. Plotly.js decodes
numeric entities and only a few named ones (`&amp;`, `&lt;`, `&gt;`...; not `&quot;`), so quotes become numeric
entities: every escaped character is shown as itself.
"""

from __future__ import annotations

import numpy as np

MISSING_LABEL = "(none)"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#x27;"})


def escape_markup(text: str) -> str:
    """`text` with the characters plotly reads as markup replaced by entities it shows as those characters."""
    return text.translate(_ENTITIES)


def escape_label(value: object, max_chars: int | None = None) -> str:
    """A category value (topic, model, platform, token...) made safe, and at most `max_chars` long, for a
    legend, an axis or a title; a missing value reads `(none)`."""
    text = MISSING_LABEL if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return escape_markup(text)
