"""Figures of the Compare pages and the report: lexical distributions, top items, the leaderboard.

Each function takes plain frames and returns a plotly Figure; none reads files or Streamlit state, so the
same figure goes to a page (`st.plotly_chart`) and to the standalone report. Post text never reaches a
figure here: axes and labels show counts, tokens and model names only, escaped (`synth.plots.labels`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from synth import schema
from synth.plots.colors import SOURCE_COLORS, colors_for
from synth.plots.labels import escape_label

FEATURE_LABELS: dict[str, str] = {
    "chars": "Characters per post",
    "tokens": "Tokens per post",
    "hashtags": "Hashtags per post",
    "mentions": "Mentions per post",
    "urls": "URLs per post",
    "emoji": "Emoji per post",
}
# Long-tailed features are cut at this quantile so the bulk of the distribution stays readable.
TAIL_QUANTILE = 0.99
# The real posts (the source colour of every page) and the other real half, a lighter blue; models take their
# colours from synth.plots.colors, the same on every page and in the report.
REAL_COLOURS = (SOURCE_COLORS[schema.REAL], "#9ecae9")


def feature_distribution_figure(features: pd.DataFrame, feature: str, *, group: str = "group") -> go.Figure:
    """Overlaid histograms (percent of posts) of one per-post feature, one trace per group.

    Args:
        features: one row per post with a `group` column (e.g. "real (half 1)", "real (half 2)", a model
            name) and the numeric `feature` column. Groups whose name starts with "real" are drawn in
            blues, so the gap between the two real halves (the real-vs-real baseline) is visible beside
            the synthetic groups.
        feature: the column to draw (see FEATURE_LABELS).
        group: the column naming the groups.
    """
    values = features[feature].astype(float)
    upper = float(values.quantile(TAIL_QUANTILE)) if len(values) else 0.0
    discrete = feature != "chars" and upper <= 30
    figure = go.Figure()
    model_colours = colors_for(schema.MODEL, [n for n in features[group].unique() if not str(n).startswith("real")])
    real_index = 0
    for name, rows in features.groupby(group, sort=False):
        clipped = rows[feature].astype(float).clip(upper=upper)
        if str(name).startswith("real"):
            colour = REAL_COLOURS[min(real_index, len(REAL_COLOURS) - 1)]
            real_index += 1
        else:
            colour = model_colours[str(name)]
        figure.add_trace(
            go.Histogram(
                x=clipped, name=escape_label(f"{name} (n={len(rows):,})"), histnorm="percent", marker_color=colour,
                opacity=0.55, xbins={"size": 1} if discrete else None, nbinsx=None if discrete else 40,
            )
        )
    label = FEATURE_LABELS.get(feature, feature)
    figure.update_layout(
        barmode="overlay", title=label, yaxis_title="% of posts", legend_title_text="posts",
        xaxis_title=f"{label} (values above the {TAIL_QUANTILE:.0%} quantile, {upper:g}, drawn at {upper:g})",
        margin={"t": 50, "b": 40},
    )
    return figure


def top_items_figure(tops: dict[str, pd.Series], *, title: str) -> go.Figure:
    """Side-by-side horizontal bars of the most frequent items (hashtags, emoji, n-grams) of several sets.

    Args:
        tops: set name -> Series of item -> share of posts (or count), most frequent first.
        title: the figure title.
    """
    names = list(tops) or ["(nothing)"]
    model_colours = colors_for(schema.MODEL, [name for name in names if not name.startswith("real")])
    figure = make_subplots(rows=1, cols=len(names), subplot_titles=[escape_label(n) for n in names],
                           horizontal_spacing=0.12)
    for column, name in enumerate(names, start=1):
        items = tops.get(name, pd.Series(dtype=float))
        figure.add_trace(
            go.Bar(x=items.to_numpy()[::-1], y=[escape_label(i) for i in items.index][::-1], orientation="h",
                   name=escape_label(name), showlegend=False,
                   marker_color=REAL_COLOURS[0] if name.startswith("real") else model_colours[name]),
            row=1, col=column,
        )
    figure.update_layout(title=title, height=max(300, 22 * max((len(s) for s in tops.values()), default=0) + 120))
    return figure


def leaderboard_heatmap(cells: pd.DataFrame) -> go.Figure:
    """Models (rows) x platforms (columns), coloured by headline score, each cell labelled with its interval.

    Args:
        cells: `synth.metrics.leaderboard.Leaderboard.cells`.
    """
    scores = cells.pivot(index="model", columns="platform", values="score")
    low = cells.pivot(index="model", columns="platform", values="score_low").reindex_like(scores)
    high = cells.pivot(index="model", columns="platform", values="score_high").reindex_like(scores)
    labels = np.where(
        scores.isna(), "",
        np.where(low.isna(), scores.round(1).astype(str),
                 scores.round(1).astype(str) + "<br>[" + low.round(1).astype(str) + "–"
                 + high.round(1).astype(str) + "]"),
    )
    figure = go.Figure(
        go.Heatmap(z=scores.to_numpy(), x=[escape_label(c) for c in scores.columns],
                   y=[escape_label(i) for i in scores.index], text=labels,
                   texttemplate="%{text}", zmin=0, zmax=100, colorscale="Viridis",
                   colorbar={"title": {"text": "score"}}, hovertemplate="%{y} on %{x}: %{z:.1f}<extra></extra>")
    )
    figure.update_layout(title="Headline fidelity score (0-100) with 95% bootstrap interval",
                         xaxis_title="platform", yaxis_title="model", height=max(300, 150 + 60 * len(scores)))
    return figure


def leaderboard_bars(cells: pd.DataFrame, metric: str = "score") -> go.Figure:
    """Grouped bars of one leaderboard metric: platforms on the x axis, one bar per model.

    The score gets its bootstrap interval as error bars, and the real-vs-real baseline of each platform as
    a marker, so a gap smaller than the interval is not read as a difference.
    """
    figure = go.Figure()
    model_colours = colors_for(schema.MODEL, cells["model"].unique())
    for model, rows in cells.groupby("model", sort=True):
        error = None
        if metric == "score" and rows["score_low"].notna().any():
            error = {"type": "data", "symmetric": False, "array": rows["score_high"] - rows["score"],
                     "arrayminus": rows["score"] - rows["score_low"]}
        figure.add_trace(go.Bar(x=rows["platform"], y=rows[metric], name=escape_label(model), error_y=error,
                                marker_color=model_colours[str(model)]))
    if metric == "score":
        baseline = cells.groupby("platform", sort=True)["baseline_score"].first()
        figure.add_trace(go.Scatter(x=list(baseline.index), y=baseline.to_numpy(), mode="markers",
                                    name="real vs real (baseline)",
                                    marker={"symbol": "line-ew-open", "size": 40, "color": "black"}))
    figure.update_layout(barmode="group", title=f"{metric.replace('_', ' ')} by platform and model",
                         xaxis_title="platform", yaxis_title=metric.replace("_", " "))
    return figure
