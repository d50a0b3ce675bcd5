from __future__ import annotations

import numpy as np

from synth.postprocess.calibrate import Calibrate
from synth.text import HASHTAG_RE, MENTION_RE, URL_RE, trim_to_clause
from tests.postprocess.frames import REAL_TEXTS, context, real_posts, synthetic_posts


def calibrated(rows: list[tuple[str, str, str]], real_texts: dict[str, list[str]] | None = None):
    real = real_posts()
    if real_texts is not None:
        real = real[real["platform"].isin(real_texts)]
    posts = synthetic_posts(rows)
    return Calibrate().fit(context(real=real)).apply(posts)


def test_surplus_hashtags_go_repeats_first_down_to_the_real_distribution() -> None:
    # Real Twitter posts carry 0 or 1 hashtag; a post with five (one repeated) keeps at most one.
    text = "late delivery again #zomato #food #zomato #late #fail"
    result = calibrated([("s1", "twitter", text)])
    kept = result.posts["text"].iloc[0]
    assert len(HASHTAG_RE.findall(kept)) <= 1
    assert kept.startswith("late delivery again")
    assert {c.reason for c in result.changes} >= {"fewer_hashtags"}


def test_missing_mentions_are_placeholders_in_the_platform_format_never_real_handles() -> None:
    rows = [(f"s{i}", "twitter", f"my order number {i} never showed up and support is silent.") for i in range(8)]
    result = calibrated(rows)
    real_handles = {m.lower() for t in REAL_TEXTS["twitter"] for m in MENTION_RE.findall(t)}
    added = [m for t in result.posts["text"] for m in MENTION_RE.findall(t)]
    assert added and all(m.startswith("@user_") for m in added)
    assert not {m.lower() for m in added} & real_handles
    share = np.mean([bool(MENTION_RE.search(t)) for t in result.posts["text"]])
    real_share = np.mean([bool(MENTION_RE.search(t)) for t in REAL_TEXTS["twitter"]])
    assert share == real_share


def test_length_is_cut_at_a_sentence_boundary_and_never_extended() -> None:
    long = "The fee is up. " * 40
    result = calibrated([("s1", "reddit", long.strip()), ("s2", "reddit", "short one.")])
    texts = result.posts["text"].tolist()
    assert len(texts[0]) < len(long) and texts[0].endswith(".")
    assert texts[1].startswith("short one.") or texts[1].startswith("Short one.")
    assert not URL_RE.search(texts[0])  # no real Reddit post here holds a link


def test_casing_follows_the_real_share_of_lower_case_starts() -> None:
    rows = [(f"s{i}", "twitter", f"Ordered dinner number {i} tonight and it came hot.") for i in range(8)]
    result = calibrated(rows)
    openings = [MENTION_RE.sub("", t).lstrip()[0] for t in result.posts["text"]]
    assert sum(c.islower() for c in openings) == sum(t[0].islower() for t in REAL_TEXTS["twitter"])
    assert all(c.before != c.after for c in result.changes)



def test_a_long_first_sentence_is_cut_at_a_clause_boundary() -> None:
    text = "the rider took the wrong turn, then called me twice, then waited at the gate for ten minutes and more"
    assert trim_to_clause(text, 55) == "the rider took the wrong turn, then called me twice"
    assert trim_to_clause("no breaks anywhere in this text at all", 20) is None
    long = "Ordered at nine and the food came cold, the rider was rude, the app showed delivered all along"
    result = calibrated([("s1", "twitter", long)] + [(f"s{i}", "twitter", "late again") for i in range(2, 9)])
    assert len(result.posts["text"].iloc[0]) < len(long)


def test_a_post_gains_at_most_two_of_a_marker_however_many_the_real_profile_has() -> None:
    # Every real post of this platform carries five links; a synthetic post with none gains two, not five.
    links = " ".join(f"https://example.com/{i}" for i in range(5))
    real = real_posts().head(10).assign(platform="youtube", text=[f"new video {i} {links}" for i in range(10)])
    posts = synthetic_posts([(f"s{i}", "youtube", f"watched the new video number {i} today.") for i in range(4)])
    result = Calibrate().fit(context(real=real)).apply(posts)
    assert [len(URL_RE.findall(text)) for text in result.posts["text"]] == [2, 2, 2, 2]
