from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth.postprocess.filter import Filter
from synth.postprocess.text_checks import assistant_talk, cut_leak, is_loop, trim_unfinished
from tests.postprocess.frames import context, synthetic_posts


def run_filter(rows: list[tuple[str, str, str]], **overrides: object) -> tuple[pd.DataFrame, dict[str, tuple]]:
    posts = synthetic_posts(rows)
    result = Filter().fit(context(**overrides)).apply(posts)
    return result.posts, {change.post_id: (change.action, change.reason, change.after) for change in result.changes}


def test_keeps_a_plain_post_and_does_not_touch_its_input() -> None:
    rows = [("s1", "twitter", "the app keeps logging me out before I can pay, third time this week")]
    posts = synthetic_posts(rows)
    before = posts.copy()
    result = Filter().fit(context()).apply(posts)
    assert result.posts["text"].tolist() == [rows[0][2]] and result.changes == []
    pd.testing.assert_frame_equal(posts, before)


def test_cuts_at_a_stray_closing_tag_and_drops_what_is_only_markup() -> None:
    kept, changes = run_filter([
        ("s1", "twitter", "late again, the soup was cold</post>\n<post>Another one here"),
        ("s2", "twitter", "</post>"),
        ("s3", "reddit", "How posts on Reddit look (670 real posts measured): long"),
    ])
    assert kept["text"].tolist() == ["late again, the soup was cold"]
    assert changes["s1"] == ("changed", "cut_leaked_prompt", "late again, the soup was cold")
    assert changes["s2"][:2] == ("removed", "leaked_prompt") and changes["s3"][:2] == ("removed", "leaked_prompt")


@pytest.mark.parametrize("text", [
    "I'm a dedicated AI assistant and I love food delivery!",
    "What a great question! Delivery apps are changing India.",
    "Here is a tweet about Zomato: late again",
    "The post is: my food was late",
    "I'm sorry, but I can't help with that request.",
    "```python\nprint('hi')\n```",
    "Sure! Here's what I came up with about delivery fees.",
])
def test_drops_assistant_talk_and_refusals(text: str) -> None:
    kept, changes = run_filter([("s1", "twitter", text)])
    assert kept.empty and changes["s1"][:2] == ("removed", "assistant_talk")


def test_drops_non_language_and_loops_and_unloops_repeated_sentences() -> None:
    kept, changes = run_filter([
        ("s1", "twitter", "!!! ??? 123 ..."),
        ("s2", "reddit", "Crypto is a game of reward. Crypto is a game of reward. Crypto is a game of reward."),
        ("s3", "reddit", " ".join(["food food delivery late"] * 6)),
    ])
    assert changes["s1"][:2] == ("removed", "non_language")
    assert changes["s2"] == ("changed", "loop", "Crypto is a game of reward.")
    assert changes["s3"][:2] == ("removed", "loop")
    assert kept["post_id"].tolist() == ["s2"]


def test_truncated_posts_are_cut_back_to_their_last_sentence() -> None:
    kept, changes = run_filter(
        [("s1", "reddit", "The fee went up again. Nobody told us anything. And then the rider said that the"),
         ("s2", "reddit", "and then the rider said that the")],
        truncated=frozenset({"s1", "s2"}),
    )
    assert changes["s1"] == ("changed", "truncated", "The fee went up again. Nobody told us anything.")
    assert changes["s2"][:2] == ("removed", "truncated")
    assert kept["post_id"].tolist() == ["s1"]


def test_posts_over_the_platform_limit_are_cut_at_a_sentence_boundary() -> None:
    text = "Short first sentence about fees. " + "x" * 300
    kept, changes = run_filter([("s1", "twitter", text)])
    assert changes["s1"] == ("changed", "over_platform_limit", "Short first sentence about fees.")
    assert len(kept["text"].iloc[0]) <= 280


def test_exact_and_near_duplicates_keep_the_first() -> None:
    base = "the new platform fee is ridiculous, I am going back to calling the restaurant myself"
    kept, changes = run_filter([
        ("s1", "twitter", base), ("s2", "twitter", base.upper()), ("s3", "twitter", base + "!!"),
        ("s4", "twitter", "completely different complaint about cold pizza and a rude rider at night"),
    ])
    assert kept["post_id"].tolist() == ["s1", "s4"]
    assert changes["s2"][:2] == ("removed", "duplicate") and changes["s3"][:2] == ("removed", "duplicate")


def test_near_copies_of_real_posts_and_of_prompt_examples_are_dropped() -> None:
    example = "Restaurants near Koramangala are listing higher prices on the app than on the menu."
    kept, changes = run_filter(
        [
            ("s1", "twitter", "why is the delivery fee so high today"),  # a copy of a real post
            ("s2", "reddit", "Totally new opening here and " + example.lower() + " Anyway, bye all of you."),
            ("s3", "reddit", "My cousin runs a cloud kitchen and says commission eats 25 percent of revenue, wow ok"),
            ("s4", "twitter", "thunderstorm outside, ordering khichdi and staying in tonight"),
        ],
        examples={"s2": (example,)},
    )
    assert changes["s1"][:2] == ("removed", "near_copy_real")
    assert changes["s2"][:2] == ("removed", "copies_prompt_example")
    assert changes["s3"][1] in {"near_copy_real", "copies_real_chunk"}
    assert kept["post_id"].tolist() == ["s4"]


def test_text_checks_on_their_own() -> None:
    assert cut_leak("fine post") is None
    assert assistant_talk("I can't believe the train is late again") is None
    assert not is_loop("a b c d e f g h i j k l")
    assert trim_unfinished("no sentence end at all here") is None


def test_real_posts_are_rarely_flagged_as_assistant_talk(shared_data: Path) -> None:
    real = pd.read_csv(shared_data / "zomato" / "posts.csv")
    flagged = real["text"].astype(str).map(lambda text: assistant_talk(text) is not None or cut_leak(text) is not None)
    assert flagged.mean() < 0.01
