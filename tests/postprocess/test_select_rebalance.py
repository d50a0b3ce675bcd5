from __future__ import annotations

import numpy as np
import pandas as pd

from synth.postprocess.rebalance import Rebalance, largest_remainder
from synth.postprocess.select import SCORE, Select, herding_order
from tests.postprocess.frames import REAL_TEXTS, context, real_posts, synthetic_posts

REALISTIC = [
    "@zomato my biryani is 50 minutes late and the rider is not picking up #zomato",
    "why is the platform fee higher than the food today",
    "rain in delhi and my order still came on time, respect to the rider",
    "ordered paneer, got chicken. classic zomato",
]
ASSISTANT_LIKE = [
    "Food delivery platforms have revolutionized the culinary landscape, offering unparalleled convenience.",
    "In today's fast-paced world, food delivery services play a pivotal role in modern urban lifestyles.",
    "Exploring the multifaceted dimensions of digital food ecosystems reveals fascinating insights.",
    "Embracing innovation, delivery services continue to transform how communities experience cuisine.",
]


def candidates() -> pd.DataFrame:
    rows = [(f"r{i}", "twitter", text) for i, text in enumerate(REALISTIC)]
    rows += [(f"a{i}", "twitter", text) for i, text in enumerate(ASSISTANT_LIKE)]
    return synthetic_posts(rows)


def test_select_keeps_per_cell_the_candidates_that_look_most_real() -> None:
    result = Select(per_cell=4).fit(context()).apply(candidates())
    assert len(result.posts) == 4
    assert set(result.posts["post_id"]).issuperset({"r0", "r1", "r3"})  # at least 3 of the 4 real-looking
    assert {c.reason for c in result.changes} == {"not_selected"}
    assert result.posts[SCORE].between(0, 1).all()


def test_select_never_keeps_a_copy_of_a_real_post_whatever_its_score() -> None:
    posts = synthetic_posts([("c0", "twitter", REAL_TEXTS["twitter"][1]), ("n0", "twitter", REALISTIC[1])])
    result = Select(per_cell=2).fit(context()).apply(posts)
    assert result.posts["post_id"].tolist() == ["n0"]
    assert [(c.post_id, c.reason) for c in result.changes] == [("c0", "too_close_to_real")]


def test_select_takes_the_runs_per_cell_and_works_per_cell() -> None:
    posts = candidates()
    posts.loc[posts.index[::2], "platform"] = "reddit"
    result = Select().fit(context(per_cell=1)).apply(posts)
    assert sorted(result.posts["platform"]) == ["reddit", "twitter"]


def test_largest_remainder_sums_to_the_total() -> None:
    assert largest_remainder({"a": 1, "b": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder({"a": 0, "b": 5}, 3) == {"a": 0, "b": 3}


def test_rebalance_trims_cells_above_their_real_share_and_records_shortfalls() -> None:
    # Real: 8 twitter and 6 reddit posts on T1. Synthetic: 6 twitter, 1 reddit -> targets 4 and 3.
    rows = [(f"t{i}", "twitter", f"tweet number {i} about fees") for i in range(6)] + [("d0", "reddit", "one")]
    posts = synthetic_posts(rows)
    posts[SCORE] = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.5]
    step = Rebalance().fit(context())
    result = step.apply(posts)
    assert sorted(result.posts["post_id"]) == ["d0", "t0", "t2", "t4", "t5"]
    assert step.record()["targets"] == {"T1|reddit": 3, "T1|twitter": 4}
    assert step.record()["shortfall"] == {"T1|reddit": 2}


def test_rebalance_falls_back_to_platform_shares_when_real_posts_lack_the_topics() -> None:
    real = real_posts().assign(topic="zomato")
    posts = synthetic_posts([(f"t{i}", "twitter", f"tweet {i}") for i in range(2)] + [("d0", "reddit", "one")])
    step = Rebalance().fit(context(real=real))
    step.apply(posts)
    assert step.record()["by"].startswith("platform")


def test_herding_keeps_a_set_spread_like_the_real_posts_not_the_most_typical_ones() -> None:
    # Real posts sit in two equal clusters; three candidates sit in the first, one in the second. The two
    # chosen first cover both clusters, though the first cluster's candidates are each as close to real posts.
    rng = np.random.default_rng(0)
    a, b = np.eye(8)[0], np.eye(8)[1]
    real = np.vstack([a + 0.05 * rng.normal(size=(20, 8)), b + 0.05 * rng.normal(size=(20, 8))])
    candidates = np.vstack([a, a + 0.01, a - 0.01, b])
    place = herding_order(candidates, real)
    assert sorted(place.tolist()) == [0, 1, 2, 3]
    assert place[3] <= 1  # the lone candidate of the second cluster is picked first or second
