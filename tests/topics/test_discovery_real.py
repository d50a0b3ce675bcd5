"""Topic discovery with BERTopic on real posts from ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth.topics.discover import discover_topics


@pytest.mark.slow
def test_zomato_topics_are_shared_across_platforms(shared_data: Path, tmp_path: Path) -> None:
    posts = pd.read_csv(shared_data / "zomato" / "posts.csv", dtype={"post_id": str})
    posts["source"] = "real"
    # A seeded sample of up to 250 posts per platform keeps the fit quick on two cores.
    sample = posts.sample(frac=1.0, random_state=0).groupby("platform").head(250)
    assert sample["topic"].nunique() == 1  # one collection theme: the topic column cannot be used
    topic_set = discover_topics(sample, cache_dir=tmp_path)
    assert topic_set.method == "bertopic"
    assert len(topic_set.topics) >= 2
    for topic in topic_set.topics:
        assert sum(count > 0 for count in topic.counts.values()) >= 2, topic
        assert topic.keywords and topic.label
        assert all(len(texts) >= 1 for texts in topic.representatives.values())
    assigned = set(topic_set.assignments)
    assert assigned <= set(sample["post_id"])
    assert len(assigned) == sum(topic.size for topic in topic_set.topics)
    # The second call reads the cache: same result, no refit.
    assert discover_topics(sample, cache_dir=tmp_path) == topic_set
