"""Plot builders of the Embeddings page, checked on their figure dicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.plots.embeddings import SOURCE_COLORS, coverage_chart, hover_text, projection_scatter
from synth.plots.labels import escape_label


@pytest.fixture
def points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [0.0, 1.0, 2.0, 3.0, 4.0],
            "y": [0.0, 1.0, 0.5, 2.0, 1.0],
            "text": ["hello", "<b>bold</b> & <a href='javascript:x'>link</a>", "third", None, "five"],
            "source": ["synthetic", "real", "real", "synthetic", "real"],
            "platform": ["twitter", "reddit", "twitter", "twitter", "reddit"],
            "topic": ["t1", None, "t1", "<i>t2</i>", "t1"],
        }
    )


def test_scatter_by_source(points: pd.DataFrame) -> None:
    figure = projection_scatter(points, color_by="source")
    traces = figure.to_dict()["data"]
    assert [trace["name"] for trace in traces] == ["real", "synthetic"]  # real first whatever the row order
    assert all(trace["type"] == "scattergl" for trace in traces)
    assert traces[0]["marker"]["color"] == SOURCE_COLORS["real"]
    # Numeric arrays are base64-encoded in the dict (plotly 6+): read them from the trace objects.
    assert list(figure.data[0].customdata) == [1, 2, 4]
    assert list(figure.data[1].customdata) == [0, 3]
    assert list(figure.data[0].x) == [1.0, 2.0, 4.0]
    assert "symbol" not in traces[0]["marker"]


def test_scatter_customdata_is_the_index_label(points: pd.DataFrame) -> None:
    figure = projection_scatter(points[points["platform"] == "twitter"], color_by="source")
    assert [list(trace.customdata) for trace in figure.data] == [[2], [0, 3]]


def test_scatter_escapes_user_text(points: pd.DataFrame) -> None:
    traces = projection_scatter(points, color_by="topic").to_dict()["data"]
    names = [trace["name"] for trace in traces]
    # One trace per (topic, source): colour shows the topic, the marker shape real vs synthetic; the real
    # traces come first so the synthetic ones are drawn on top.
    assert names == ["t1 (real)", "(none) (real)", "t1 (synthetic)", "&lt;i&gt;t2&lt;/i&gt; (synthetic)"]
    assert [trace["marker"]["symbol"] for trace in traces] == ["circle", "circle", "diamond", "diamond"]
    assert traces[0]["marker"]["color"] == traces[2]["marker"]["color"] != traces[1]["marker"]["color"]
    (bold,) = traces[1]["text"]
    assert "<b>" not in bold and "&lt;b&gt;bold&lt;/b&gt;" in bold and "&lt;a href=&#x27;javascript:x&#x27;" in bold
    assert "&lt;i&gt;" in traces[3]["hovertemplate"]


def test_scatter_missing_column(points: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="model"):
        projection_scatter(points, color_by="model")


def test_hover_text_truncates_and_wraps() -> None:
    long = "word " * 100
    (wrapped,) = hover_text([long], max_chars=80, width=20)
    assert wrapped.count("<br>") >= 2 and wrapped.endswith("…")
    assert hover_text([np.nan, "a\n\nb"]) == ["", "a b"]
    assert escape_label("x" * 100, max_chars=10) == "x" * 9 + "…"


def test_coverage_chart() -> None:
    clusters = pd.DataFrame(
        {
            "cluster": [0, 1, 2], "label": ["vaccine, dose", "<pizza>", "football"],
            "real_share": [0.5, 0.3, 0.2], "synthetic_share": [0.7, 0.0, 0.3], "is_gap": [False, True, False],
        }
    )
    figure = coverage_chart(clusters)
    assert [trace["type"] for trace in figure.to_dict()["data"]] == ["bar", "bar"]
    real, synthetic = figure.data
    assert real.name == "real" and synthetic.name == "synthetic"
    assert list(real.y) == ["⚠ #1 &lt;pizza&gt;", "#0 vaccine, dose", "#2 football"]
    assert list(real.x) == pytest.approx([30.0, 50.0, 20.0])
    assert list(synthetic.x) == pytest.approx([0.0, 70.0, 30.0])


def test_platform_colours_are_fixed_and_synthetic_points_stand_out() -> None:
    from synth.plots.colors import PLATFORM_COLORS

    def traces(platforms: list[str]) -> dict[str, dict]:
        points = pd.DataFrame({"x": range(len(platforms)), "y": range(len(platforms)), "text": "t",
                               "platform": platforms, "source": ["real", "synthetic"] * (len(platforms) // 2)})
        return {trace["name"]: trace for trace in projection_scatter(points, color_by="platform").to_dict()["data"]}

    alone = traces(["reddit", "reddit"])
    together = traces(["twitter", "twitter", "telegram", "telegram", "reddit", "reddit"])
    # Reddit keeps its colour whichever platforms share the map; legends show platform labels.
    assert alone["Reddit (real)"]["marker"]["color"] == together["Reddit (real)"]["marker"]["color"]
    assert together["Twitter/X (synthetic)"]["marker"]["color"] == PLATFORM_COLORS["twitter"]
    synthetic, real = together["Telegram (synthetic)"]["marker"], together["Telegram (real)"]["marker"]
    assert synthetic["symbol"] == "diamond" and synthetic["line"]["width"] >= 1 and synthetic["size"] > real["size"]
