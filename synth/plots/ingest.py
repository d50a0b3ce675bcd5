"""Figures of the Data page: what share of each platform's posts carries each feature."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from synth.plots.colors import colors_for

FEATURE_SHARES = ("with_hashtags", "with_mentions", "with_urls", "with_emoji")


def feature_share_figure(stats: pd.DataFrame) -> go.Figure:
    """A grouped bar chart of the share of posts with hashtags, mentions, URLs and emoji, per platform.

    Args:
        stats: one row per platform, as `synth.io.platform_stats` returns (`platform` and the `with_*` shares).
    """
    shares = stats.melt(id_vars="platform", value_vars=list(FEATURE_SHARES), var_name="feature", value_name="share")
    shares["feature"] = shares["feature"].str.removeprefix("with_")
    figure = px.bar(shares, x="feature", y="share", color="platform", barmode="group", height=320,
                    color_discrete_map=colors_for("platform", shares["platform"]),
                    labels={"share": "share of posts", "feature": ""})
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="Posts with each feature")
    return figure
