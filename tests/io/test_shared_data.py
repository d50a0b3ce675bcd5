"""Every posts.csv in ../shared/data loads with the per-platform counts its README states.

The one difference is deliberate: zomato has two Reddit comments whose text is Reddit's `[deleted]`
placeholder (the comment was deleted; no one wrote those words). They are dropped as "empty or non-text"
and the report says so, so zomato's Reddit count is 1,184 - 2 = 1,182. Nothing else is dropped.
"""

from __future__ import annotations

import pytest

from synth.io import load_files, load_posts
from synth.schema import validate_posts

EXPECTED = {
    "zomato": ({"reddit": 1182, "twitter": 164, "youtube": 1552}, {"empty or non-text": 2}),
    "covid_vaccine": ({"reddit": 1576, "twitter": 9748}, {}),
}


@pytest.mark.parametrize("dataset", sorted(EXPECTED))
def test_shared_posts_load_with_expected_counts(shared_data, dataset: str) -> None:
    counts, dropped = EXPECTED[dataset]
    loaded = load_posts(shared_data / dataset / "posts.csv")
    assert loaded.report.platform_counts == counts
    assert loaded.report.dropped == dropped
    assert loaded.report.rows_read == sum(counts.values()) + sum(dropped.values())
    assert loaded.report.mapping["text"] == "text" and loaded.report.mapping["platform"] == "platform"
    validate_posts(loaded.posts)


def test_every_shared_file_loads_together(shared_data) -> None:
    paths = sorted(shared_data.glob("*/posts.csv"))
    assert len(paths) == len(EXPECTED)
    posts, report = load_files(paths)
    assert report.platform_counts == {"reddit": 1182 + 1576, "twitter": 164 + 9748, "youtube": 1552}
    assert posts["post_id"].is_unique
    assert "en" in report.languages
