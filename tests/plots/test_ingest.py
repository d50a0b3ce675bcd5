"""The Data page's figure: the share of each platform's posts with each feature."""

from __future__ import annotations

import pandas as pd

from synth.plots.ingest import feature_share_figure


def test_one_bar_group_per_feature_one_trace_per_platform() -> None:
    stats = pd.DataFrame({"platform": ["twitter", "reddit"], "with_hashtags": [0.5, 0.0], "with_mentions": [0.25, 0.1],
                          "with_urls": [0.0, 0.2], "with_emoji": [1.0, 0.0], "posts": [4, 10]})
    figure = feature_share_figure(stats)
    traces = {trace.name: trace for trace in figure.data}
    assert set(traces) == {"twitter", "reddit"}
    assert list(traces["twitter"].x) == ["hashtags", "mentions", "urls", "emoji"]
    assert list(traces["twitter"].y) == [0.5, 0.25, 0.0, 1.0]
    assert figure.layout.yaxis.range == (0, 1) and figure.layout.title.text == "Posts with each feature"
