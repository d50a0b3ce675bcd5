from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synth.errors import ConfigError, InputError
from synth.topics.discover import discover_topics
from synth.topics.model import TopicSet, drop_topics, merge_topics, rename_topic

COFFEE = ["espresso beans roasted fresh", "my coffee order was cold", "oat milk latte again #coffee",
          "best coffee beans in town", "coffee shop wifi down", "double espresso before work"]
TRAINS = ["train delayed again this morning", "the train station is packed", "signal failure on the train line",
          "train tickets went up", "missed my train by a minute", "train conductor was kind"]
RAIN = ["rain all week long", "forgot my umbrella in the rain", "heavy rain flooded the street"]


def make_posts() -> pd.DataFrame:
    """coffee and trains on twitter and reddit; rain only on reddit."""
    rows = []
    for platform in ("twitter", "reddit"):
        for topic, texts in (("coffee", COFFEE), ("trains", TRAINS)):
            rows += [(platform, topic, text) for text in texts]
    rows += [("reddit", "rain", text) for text in RAIN]
    frame = pd.DataFrame(rows, columns=["platform", "topic", "text"])
    frame.insert(0, "post_id", [f"p{i:02d}" for i in range(len(frame))])
    frame["source"] = "real"
    return frame


@pytest.fixture
def topic_set(tmp_path: Path) -> TopicSet:
    return discover_topics(make_posts(), cache_dir=tmp_path)


def test_topic_column_is_used_with_keywords_counts_and_representatives(topic_set: TopicSet) -> None:
    assert topic_set.method == "column"
    assert [t.topic_id for t in topic_set.topics] == ["coffee", "trains"]  # rain is on one platform only
    assert topic_set.params["dropped_single_platform_topics"] == 1
    coffee = topic_set.get("coffee")
    assert coffee.counts == {"twitter": 6, "reddit": 6}
    assert coffee.keywords[0] == "coffee" and {"espresso", "beans"} <= set(coffee.keywords)
    assert topic_set.get("trains").keywords[0] == "train"
    assert set(coffee.representatives) == {"twitter", "reddit"}
    assert all(len(texts) == 3 for texts in coffee.representatives.values())
    assert "coffee" in coffee.representatives["twitter"][0]
    assert topic_set.platform_totals == {"reddit": 15, "twitter": 12}


def test_count_matrix_and_shares(topic_set: TopicSet) -> None:
    matrix = topic_set.count_matrix()
    assert matrix.to_dict() == {"reddit": {"coffee": 6, "trains": 6}, "twitter": {"coffee": 6, "trains": 6}}
    coffee = topic_set.get("coffee")
    assert topic_set.share(coffee, "reddit") == pytest.approx(6 / 15)
    assert [t.topic_id for t in topic_set.offered("reddit", min_share=0.5)] == []
    assert [t.topic_id for t in topic_set.offered("twitter", min_share=0.5)] == ["coffee", "trains"]


def test_label_posts_writes_topic_ids(topic_set: TopicSet) -> None:
    labelled = topic_set.label_posts(make_posts())
    assert labelled["topic"].isna().sum() == len(RAIN)  # the dropped topic's posts are unassigned
    assert (labelled["topic"] == "coffee").sum() == 12


def test_single_platform_topics_kept_when_asked(tmp_path: Path) -> None:
    topic_set = discover_topics(make_posts(), min_platforms=1, cache_dir=tmp_path)
    assert {t.topic_id for t in topic_set.topics} == {"coffee", "trains", "rain"}


def test_rename_merge_drop(topic_set: TopicSet) -> None:
    renamed = rename_topic(topic_set, "coffee", "  Coffee culture ")
    assert renamed.get("coffee").label == "Coffee culture"
    assert topic_set.get("coffee").label == "coffee"  # pure: the original is unchanged
    merged = merge_topics(renamed, ["coffee", "trains"], label="Commute")
    assert [t.topic_id for t in merged.topics] == ["coffee"]
    combined = merged.get("coffee")
    assert combined.label == "Commute" and combined.counts == {"twitter": 12, "reddit": 12}
    assert combined.keywords[:2] == ("coffee", "train")  # interleaved: each topic's best keyword first
    assert set(merged.assignments.values()) == {"coffee"}
    dropped = drop_topics(topic_set, ["trains"])
    assert [t.topic_id for t in dropped.topics] == ["coffee"]
    assert "trains" not in dropped.assignments.values()


def test_resolve_by_id_label_or_all(topic_set: TopicSet) -> None:
    assert [t.topic_id for t in topic_set.resolve(["all"])] == ["coffee", "trains"]
    assert [t.topic_id for t in topic_set.resolve(["TRAINS", "coffee", "trains"])] == ["trains", "coffee"]
    with pytest.raises(ConfigError, match="unknown topic"):
        topic_set.resolve(["bikes"])


def test_json_round_trip(topic_set: TopicSet) -> None:
    assert TopicSet.from_dict(json.loads(json.dumps(topic_set.to_dict()))) == topic_set


def test_topics_json_layout_round_trip(topic_set: TopicSet) -> None:
    written = json.loads(topic_set.to_json())
    assert set(written) == {"method", "params", "platform_totals", "topics", "assignments"}
    assert written["topics"][0]["size"] == topic_set.topics[0].size
    assert TopicSet.from_json(topic_set.to_json()) == topic_set
    with pytest.raises(KeyError):
        TopicSet.from_json('{"topics": []}')


def test_cached_on_disk_per_content_and_parameters(tmp_path: Path) -> None:
    first = discover_topics(make_posts(), cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert discover_topics(make_posts(), cache_dir=tmp_path) == first
    assert len(list(tmp_path.glob("*.json"))) == 1
    discover_topics(make_posts(), cache_dir=tmp_path, n_keywords=3)
    changed = make_posts()
    changed.loc[0, "text"] = "a different post"
    discover_topics(changed, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 3


@pytest.mark.parametrize(
    ("posts", "kwargs", "error", "message"),
    [
        (make_posts().drop(columns="text"), {}, InputError, "lack column"),
        (make_posts().head(10), {}, InputError, "at least 20"),
        (make_posts(), {"method": "lda"}, ConfigError, "unknown topic method"),
        (make_posts().drop(columns="topic"), {"method": "column"}, InputError, "no topic column"),
    ],
)
def test_bad_input(posts: pd.DataFrame, kwargs: dict, error: type[Exception], message: str, tmp_path: Path) -> None:
    with pytest.raises(error, match=message):
        discover_topics(posts, cache_dir=tmp_path, **kwargs)


def test_bad_edits(topic_set: TopicSet) -> None:
    with pytest.raises(ConfigError, match="cannot be empty"):
        rename_topic(topic_set, "coffee", "   ")
    with pytest.raises(ConfigError, match="already called"):
        rename_topic(topic_set, "coffee", "Trains")
    with pytest.raises(ConfigError, match="at least two"):
        merge_topics(topic_set, ["coffee", "coffee"])
    with pytest.raises(ConfigError, match="unknown topic"):
        drop_topics(topic_set, ["nope"])


def test_cli_writes_topics_json(tmp_path: Path) -> None:
    source = tmp_path / "posts.csv"
    make_posts().to_csv(source, index=False)
    out = tmp_path / "out" / "topics.json"
    result = subprocess.run(
        [sys.executable, "-m", "synth", "topics", str(source), "--out", str(out)],
        capture_output=True, text=True, env={"SYNTH_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert [t["topic_id"] for t in data["topics"]] == ["coffee", "trains"]
    assert data["topics"][0]["counts"] == {"twitter": 6, "reddit": 6}
    assert len(data["assignments"]) == 24
    assert "coffee" in result.stdout


def test_cli_bad_file_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "synth", "topics", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "t.json")],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2 and "error:" in result.stderr


def test_heatmap_shows_counts_and_shares(topic_set: TopicSet) -> None:
    from synth.plots.topics import topic_platform_heatmap

    figure = topic_platform_heatmap(topic_set)
    heatmap = figure.data[0]
    assert list(heatmap.x) == ["Reddit", "Twitter/X"] and list(heatmap.y) == ["coffee", "trains"]
    assert heatmap.z.tolist() == [[6, 6], [6, 6]]
    shares = topic_platform_heatmap(topic_set, normalise=True).data[0].z
    assert shares[0][0] == pytest.approx(6 / 15) and shares[0][1] == pytest.approx(6 / 12)


def test_heatmap_escapes_labels(topic_set: TopicSet) -> None:
    from synth.plots.topics import topic_platform_heatmap

    renamed = rename_topic(topic_set, "coffee", '<a href="https://evil.example">click</a>')
    labels = list(topic_platform_heatmap(renamed).data[0].y)
    # Numeric entities for quotes: plotly.js decodes those, but shows `&quot;` as typed.
    assert labels[0] == "&lt;a href=&#34;https://evil.example&#34;&gt;click&lt;/a&gt;"
