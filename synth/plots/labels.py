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


# Words for the parts of metric identifiers (`median_chars`, `nearest_real_cosine_q25`...); whole identifiers
# with a better name than their parts give are in METRIC_LABELS.
_WORDS = {"chars": "characters", "jsd": "(Jensen-Shannon)", "ks": "(Kolmogorov-Smirnov)", "jaccard": "(Jaccard)",
          "ttr": "type-token ratio", "n": "number of", "mmd": "MMD", "mauve": "MAUVE", "fk": "Flesch-Kincaid",
          "rbf": "RBF", "cosine": "cosine similarity", "std": "standard deviation", "p": "share", "urls": "URLs",
          "1gram": "word", "2gram": "word pair", "3gram": "word triple", "pct": "percent"}
METRIC_LABELS: dict[str, str] = {
    "n_posts": "Posts", "score": "Fidelity score (0-100)", "p_best": "Chance of being the best model",
    "baseline_score": "Real-vs-real score", "nearest_real_cosine_mean": "Closeness to the nearest real post (mean)",
    "centroid_cosine": "Closeness of the two sets' centres (cosine)", "coverage": "Coverage of the real posts",
}


def metric_label(identifier: str) -> str:
    """Words for a metric identifier: `median_chars` -> 'Median characters', `nearest_real_cosine_q25` ->
    'Nearest real cosine similarity, 25th percentile'. Show the identifier beside it (a hover, a column) so a
    number can be traced to its definition."""
    if identifier in METRIC_LABELS:
        return METRIC_LABELS[identifier]
    parts, suffix = identifier.split("_"), ""
    if parts and len(parts) > 1 and parts[-1][:1] in "qp" and parts[-1][1:].isdigit():
        suffix = f", {int(parts.pop()[1:])}th percentile"
    words = " ".join(_WORDS.get(part, part) for part in parts).strip()
    return (words[:1].upper() + words[1:] + suffix) if words else identifier
