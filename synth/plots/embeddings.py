"""Figures for the Compare pages and the report: plain functions that return plotly Figures.

Conventions for every function here (please keep them when you add one):

- Input is data (DataFrames, arrays, result dataclasses); output is a `plotly.graph_objects.Figure`. No
  Streamlit, no file writing, no computing of metrics: the caller passes what to draw.
- User text (post text, topic labels, model names, anything that came from a file or a model) goes through
  `synth.plots.labels.escape_label` (or `hover_text`, for post text) before it reaches a title, a legend, an
  axis or a hover: plotly renders a subset of HTML in those, and user text is data, never markup.
- Colours come from `synth.plots.colors` (fixed per source and per platform, everywhere); synthetic points are
  diamonds with a dark outline, drawn above the real ones, so they stay visible whatever colours the map.
- Figures carry a short title and axis titles in words a newcomer understands; `template="plotly_white"`.
- Tests check the figure dict (`fig.to_dict()`): traces, names, counts; not pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from synth import schema
from synth.platforms import normalise_platform
from synth.plots.colors import SOURCE_COLORS, SOURCE_SYMBOLS, colors_for
from synth.plots.labels import MISSING_LABEL, escape_label, escape_markup

__all__ = ["SOURCE_COLORS", "coverage_chart", "hover_text", "projection_scatter"]
COLOR_TITLES = {schema.SOURCE: "Real or synthetic", schema.PLATFORM: "Platform", schema.MODEL: "Model",
                schema.TOPIC: "Topic", "file_topic": "Topic column of the real file"}
TEMPLATE = "plotly_white"
LEGEND_CHARS = 60  # legend entries and group names are clipped to this many characters


def hover_text(texts: Sequence[object] | pd.Series, *, max_chars: int = 280, width: int = 60) -> list[str]:
    """Post texts made safe and readable for a hover box: truncated, escaped, wrapped with <br>.

    The escaping happens before the only markup we add (`<br>`), so a post containing `<b>` or
    `<a href=...>` shows those characters literally. Lines break at the first space after `width`
    characters (vectorised string operations: 20k posts take a fraction of a second).
    """
    series = pd.Series(list(texts), dtype="object").astype("string").fillna("")
    series = series.str.replace(r"\s+", " ", regex=True).str.strip()
    too_long = series.str.len() > max_chars
    series = series.where(~too_long, series.str.slice(0, max_chars - 1) + "…")
    series = series.map(escape_markup).astype("string")
    series = series.str.replace(rf"(\S.{{{width - 1},}}?) ", r"\1<br>", regex=True)
    return series.tolist()


def _shown(value: str, color_by: str) -> str:
    """A legend entry: platforms by their label (Twitter/X), other values as they are."""
    if color_by == schema.PLATFORM:
        canonical = normalise_platform(value)
        if canonical:
            from synth.platforms import get_platform

            return get_platform(canonical).label
    return value


def projection_scatter(
    points: pd.DataFrame,
    *,
    color_by: str = schema.SOURCE,
    x: str = "x",
    y: str = "y",
    text: str = schema.TEXT,
    title: str = "",
    marker_size: int = 5,
) -> go.Figure:
    """Scatter of a 2-D map of posts, one trace per value of `color_by`, post text on hover.

    Each point's `customdata` is its row's index label in `points`, so a selection (plotly's lasso or box,
    or Streamlit's `on_select`) maps back to rows with `points.loc[labels]`, also after filtering rows. Real
    and synthetic posts get different marker shapes (one trace each) when the colour is not the source.

    Args:
        points: one row per post with columns `x`, `y`, `text`, `source` and `color_by`.
        color_by: the column that colours points (`source`, `platform`, `model`, `topic`...).
        x, y: coordinate columns.
        text: the column shown on hover.
        title: figure title (escaped).
        marker_size: point size in pixels.
    """
    missing = [column for column in (x, y, text, color_by) if column not in points.columns]
    if missing:
        raise ValueError(f"projection_scatter: missing column(s) {', '.join(missing)}")
    groups = points[color_by].astype("string").fillna(MISSING_LABEL)
    order = [str(value) for value in pd.unique(groups)]
    if color_by == schema.SOURCE:
        order = sorted(order, key=lambda value: (value != schema.REAL, value))
    colors = colors_for(color_by, order)
    labels = points.index.to_numpy()
    hovers = np.asarray(hover_text(points[text].tolist()), dtype=object)
    sources = points[schema.SOURCE].astype("string").fillna("") if schema.SOURCE in points else None
    split_by_source = sources is not None and color_by != schema.SOURCE
    source_values = sorted(pd.unique(sources), key=lambda value: value != schema.REAL) if split_by_source else [None]
    fig = go.Figure()
    # Real traces first, synthetic ones after: drawn on top, as outlined diamonds, they never vanish below.
    for source in source_values:
        for value in order:
            mask = (groups == value).to_numpy()
            marker: dict[str, Any] = {"size": marker_size, "color": colors[value], "opacity": 0.6}
            label = escape_label(_shown(value, color_by), LEGEND_CHARS)
            if source is not None:
                mask &= (sources == source).to_numpy()
                marker["symbol"] = SOURCE_SYMBOLS.get(source, "circle")
                label = f"{label} ({escape_label(source, LEGEND_CHARS)})"
            if (source or value) == schema.SYNTHETIC:
                marker.update(size=marker_size + 3, opacity=0.95, line={"width": 1, "color": "#222222"})
                marker.setdefault("symbol", SOURCE_SYMBOLS[schema.SYNTHETIC])
            if not mask.any():
                continue
            fig.add_trace(
                go.Scattergl(
                    x=points[x].to_numpy()[mask], y=points[y].to_numpy()[mask], mode="markers", name=label,
                    legendgroup=escape_label(value, LEGEND_CHARS), marker=marker, customdata=labels[mask],
                    text=hovers[mask],
                    hovertemplate="%{text}<extra>" + label + "</extra>",
                )
            )
    fig.update_layout(
        title=escape_label(title, 120) if title else None, template=TEMPLATE, dragmode="lasso",
        legend={"title": {"text": escape_label(COLOR_TITLES.get(color_by, color_by), LEGEND_CHARS)},
                "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10}, height=600,
    )
    # Map axes have no units: hide the numbers, keep the aspect honest.
    fig.update_xaxes(showticklabels=False, title=None, zeroline=False)
    fig.update_yaxes(showticklabels=False, title=None, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def coverage_chart(clusters: pd.DataFrame, *, max_clusters: int = 30) -> go.Figure:
    """Share of real vs synthetic posts in each real cluster, the gaps first.

    Args:
        clusters: `synth.metrics.coverage_gaps.CoverageReport.clusters`: columns `cluster`, `label`, `real_share`,
            `synthetic_share`, `is_gap`.
        max_clusters: show at most this many clusters (largest coverage gaps first).
    """
    shown = clusters.sort_values(["is_gap", "real_share"], ascending=[False, False]).head(max_clusters)
    labels = [
        f"{'⚠ ' if gap else ''}#{cluster} {escape_label(label, 40)}"
        for cluster, label, gap in zip(shown["cluster"], shown["label"], shown["is_gap"], strict=True)
    ]
    fig = go.Figure()
    for source, column in ((schema.REAL, "real_share"), (schema.SYNTHETIC, "synthetic_share")):
        fig.add_trace(
            go.Bar(
                y=labels, x=shown[column] * 100, orientation="h", name=source,
                marker_color=SOURCE_COLORS[source],
                hovertemplate="%{y}: %{x:.1f}% of " + source + " posts<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE, barmode="group", title="Where the posts fall: real clusters (⚠ = coverage gap)",
        xaxis_title="% of posts in the cluster", yaxis={"autorange": "reversed"},
        height=max(300, 26 * len(shown) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig
