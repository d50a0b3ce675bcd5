from __future__ import annotations

import pytest

from synth.generate.parsing import is_refusal, parse_posts


@pytest.mark.parametrize(
    ("raw", "n_expected", "posts"),
    [
        ("Just tried the new cafe downtown #coffee", 1, ("Just tried the new cafe downtown #coffee",)),
        ('"Just tried the new cafe downtown #coffee"', 1, ("Just tried the new cafe downtown #coffee",)),
        ("“Curly quotes around it”", 1, ("Curly quotes around it",)),
        ('Here is a tweet:\n\n"Climate action now! #climate"', 1, ("Climate action now! #climate",)),
        ("Here is a tweet: inline post here", 1, ("inline post here",)),
        ("Sure! Here's one:\nMonday again. Coffee please.", 1, ("Monday again. Coffee please.",)),
        ("Tweet: hello world", 1, ("hello world",)),
        ("**Tweet:** bold label gone", 1, ("bold label gone",)),
        (
            "Sure! Here are 3 tweets about cats:\n1. Cats rule #cats\n2. \"My cat sleeps 20h\"\n3) Meow @bob\n\n"
            "Let me know if you want more!",
            3,
            ("Cats rule #cats", "My cat sleeps 20h", "Meow @bob"),
        ),
        ("- one\n- two", 2, ("one", "two")),
        ("• first bullet\n• second bullet", 2, ("first bullet", "second bullet")),
        ("Post 1: alpha\nPost 2: beta", 2, ("alpha", "beta")),
        ("1. a post\n   that wraps\n2. another", 2, ("a post\n   that wraps", "another")),
        ("first post\n---\nsecond post", 2, ("first post", "second post")),
        ("completion one\n### Post 7\ncompletion two", 2, ("completion one", "completion two")),
        ("para one\n\npara two", 2, ("para one", "para two")),
        ("A reddit post.\n\nWith two paragraphs.", 1, ("A reddit post.\n\nWith two paragraphs.",)),
        ('```json\n[{"text": "a"}, {"text": "b"}]\n```', 2, ("a", "b")),
        ('{"posts": ["x", "y"]}', 2, ("x", "y")),
        ('["only", "strings"]', 2, ("only", "strings")),
        ('{"text": "single"}', 1, ("single",)),
        ("#climate is trending now", 1, ("#climate is trending now",)),
        ("# not json { at all", 1, ("# not json { at all",)),
        ("", 1, ()),
        ("   \n  ", 1, ()),
    ],
)
def test_parse_posts_exact(raw: str, n_expected: int, posts: tuple[str, ...]) -> None:
    assert parse_posts(raw, n_expected=n_expected).posts == posts


@pytest.mark.parametrize(
    "raw",
    [
        "As an AI language model, I cannot write that.",
        "I can't help with that request.",
        "I cannot create content that spreads misinformation.",
        "I'm sorry, but I can't write posts like that.",
        "Sorry, I won't do that.",
        "I am unable to comply.",
        "I won't write that.",
        "Unfortunately, I cannot help.",
    ],
)
def test_refusals_are_tagged_not_kept(raw: str) -> None:
    parsed = parse_posts(raw)
    assert parsed.posts == ()
    assert parsed.refusal is True
    assert is_refusal(raw)


def test_refused_items_in_a_list_are_dropped_and_counted() -> None:
    parsed = parse_posts("1. A real post about trains\n2. I can't write a second one.", n_expected=2)
    assert parsed.posts == ("A real post about trains",)
    assert parsed.refused_items == 1
    assert parsed.refusal is False


@pytest.mark.parametrize(
    "text",
    ["I can't believe the train is late AGAIN", "Sorry not sorry, pineapple belongs on pizza", "I won the raffle!"],
)
def test_posts_that_merely_start_like_refusals_are_kept(text: str) -> None:
    # Only "I can't help/write/..." style refusals are refusals; "I can't believe..." is a post.
    parsed = parse_posts(text)
    assert parsed.posts == (text,)
    assert parsed.refusal is False


# What the `topic` strategy tells a model about Reddit, with the examples taken out (synth.prompts.render templates).
REDDIT_INSTRUCTIONS = (
    "You write realistic social media posts for a research dataset. Write like a real person posting, not like "
    "an assistant. Never add titles, explanations, quotation marks or notes.\n"
    "Write one new post for Reddit about this topic.\nTopic: zomato\nKeywords: zomato\n"
    "- posts with a title and a body, and threaded comments; conversational, longer, few hashtags\n"
    "Reply with the text of the post only."
)


@pytest.mark.parametrize("raw", ["Reply with the text only.", "Posts with a title and body", "Topic: zomato keywords"])
def test_answers_that_only_echo_the_instructions_are_dropped_and_counted(raw: str) -> None:
    parsed = parse_posts(raw, instructions=REDDIT_INSTRUCTIONS)
    assert parsed.posts == () and parsed.echoed_items == 1 and not parsed.refusal
    assert "echo" in parsed.notes


@pytest.mark.parametrize(
    "raw",
    [
        "new way to rip off",  # words the instructions do not hold
        "post about the topic of a dataset",  # known words, but not in the instructions' order
        "a real post",  # known words, but its word pairs are not the prompt's
        "Zomato ok",  # too short to judge
    ],
)
def test_posts_using_words_of_the_instructions_are_kept(raw: str) -> None:
    assert parse_posts(raw, instructions=REDDIT_INSTRUCTIONS).posts == (raw,)


def test_without_instructions_nothing_is_judged_an_echo() -> None:
    assert parse_posts("Reply with the text of the post only.").posts == ("Reply with the text of the post only.",)
