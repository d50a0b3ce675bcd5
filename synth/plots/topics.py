"""Figures about topics: the topic x platform heatmap (plotly; one function per chart, returning a Figure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from synth.platforms import get_platform
from synth.plots.labels import escape_label

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from synth.topics.model import TopicSet


def topic_platform_heatmap(topic_set: TopicSet, *, normalise: bool = False) -> go.Figure:
    """Posts per topic (rows) and platform (columns) as a heatmap.

    Args:
        topic_set: the topics.
        normalise: colour by the topic's share of each platform's posts instead of raw counts (platforms of
            very different sizes then compare fairly); the count is shown in the hover either way.
    """
    import plotly.graph_objects as go

    counts = topic_set.count_matrix()
    totals = pd.Series(topic_set.platform_totals).reindex(counts.columns).replace(0, 1)
    shares = counts / totals
    values = shares if normalise else counts
    labels = [get_platform(platform).label for platform in counts.columns]
    figure = go.Figure(
        go.Heatmap(
            z=values.to_numpy(),
            x=labels,
            # Labels come from the data: escaped, so plotly's HTML subset (links, tags) is shown, not run.
            y=[escape_label(label) for label in counts.index],
            customdata=shares.to_numpy(),
            text=counts.to_numpy(),
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate="%{y} on %{x}: %{text} posts (%{customdata:.1%} of the platform)<extra></extra>",
            colorbar={"title": "share" if normalise else "posts"},
        )
    )
    figure.update_layout(
        title="Topics x platforms" + (" (share of each platform's posts)" if normalise else " (posts)"),
        xaxis_title="platform",
        yaxis={"title": "topic", "autorange": "reversed"},
        height=max(300, 40 + 28 * len(counts)),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure
