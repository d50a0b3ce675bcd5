"""Which topics a run offers: one rule for the Generate page and `synth generate`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from synth.errors import ConfigError
from synth.topics.discover import discover_topics
from synth.topics.model import TopicSpec
from synth.topics.select import COLUMN, GAPS, TOPIC_SET, column_topics, offered_topics, topics_above_share, topics_named
from tests.topics.test_topics import make_posts


@dataclass(frozen=True)
class Gaps:
    topics: tuple[TopicSpec, ...]

    def tag_real_posts(self, real_posts: pd.DataFrame) -> pd.DataFrame:
        return real_posts.assign(topic="gap-1")


def test_column_topics_most_posts_first_ties_by_value_blanks_skipped() -> None:
    posts = pd.DataFrame({"topic": ["b", "a", "c", "c", " ", None, "a", "b"]})
    assert [t.topic_id for t in column_topics(posts)] == ["a", "b", "c"]
    posts = pd.DataFrame({"topic": ["b", "c", "c"]})
    assert column_topics(posts) == [TopicSpec("c", "c"), TopicSpec("b", "b")]
    assert column_topics(pd.DataFrame({"text": ["x"]})) == []


def test_gaps_win_then_the_topic_set_then_the_column(tmp_path) -> None:
    real = make_posts()
    topic_set = discover_topics(real, method="column", min_platforms=1, cache_dir=tmp_path)
    gaps = Gaps((TopicSpec("gap-1", "gap one"),))

    offered = offered_topics(real, topic_set=topic_set, gaps=gaps)
    assert offered.origin == GAPS and offered.topics == [TopicSpec("gap-1", "gap one")]
    assert set(offered.posts["topic"]) == {"gap-1"}

    offered = offered_topics(real, topic_set=topic_set)
    assert offered.origin == TOPIC_SET and [t.topic_id for t in offered.topics] == ["coffee", "trains", "rain"]
    assert offered.posts["topic"].tolist() == real["topic"].tolist()

    offered = offered_topics(real)
    assert offered.origin == COLUMN and [t.topic_id for t in offered.topics] == ["coffee", "trains", "rain"]
    assert offered.posts is real

    nothing = offered_topics(real.drop(columns="topic"))
    assert nothing.topics == [] and nothing.origin == ""


def test_topics_above_share_keeps_topics_big_enough_on_some_chosen_platform() -> None:
    real = make_posts()  # reddit: coffee 6, trains 6, rain 3 of 15; twitter: coffee 6, trains 6 of 12
    topics = column_topics(real)
    assert topics_above_share(real, topics, ["reddit"], 0.25) == [TopicSpec("coffee", "coffee"),
                                                                  TopicSpec("trains", "trains")]
    assert topics_above_share(real, topics, ["reddit"], 0.2) == topics
    assert topics_above_share(real, topics, [], 0.9) == topics
    assert topics_above_share(real, topics, ["twitter"], 0.0) == topics


def test_topics_named_by_id_or_label() -> None:
    available = [TopicSpec("T01", "Coffee"), TopicSpec("T02", "Trains")]
    assert topics_named(available, "all") == available
    assert topics_named(available, "coffee, T02, T01") == available
    with pytest.raises(ConfigError, match=r"unknown topic 'tea'; choose from: T01 \(Coffee\), T02 \(Trains\)"):
        topics_named(available, "tea")
