"""Column guesses, tool layouts, and user overrides."""

from __future__ import annotations

import pandas as pd
import pytest

from synth.errors import InputError
from synth.io import ColumnMapping, load_posts, read_file
from synth.io.mapping import guess_mapping, is_platform_column


def test_common_names_are_guessed() -> None:
    table = pd.DataFrame({"Tweet ID": ["1"], "Full Text": ["hello there"], "Site": ["twitter.com"],
                          "Published At": ["2024-01-01"], "User Name": ["a"], "Likes": ["3"], "Topic": ["t"]})
    assert guess_mapping(table) == ColumnMapping(text="Full Text", platform="Site", post_id="Tweet ID",
                                                 created_at="Published At", author="User Name",
                                                 engagement="Likes", topic="Topic")


def test_source_column_of_client_names_is_not_a_platform_column() -> None:
    assert not is_platform_column(pd.Series(["Twitter for iPhone", "Twitter Web App", "TweetDeck"]))
    assert is_platform_column(pd.Series(["X", "Reddit", "yt", None]))
    table = pd.DataFrame({"text": ["hello world"], "source": ["Twitter for iPhone"]})
    assert guess_mapping(table).platform is None


def test_text_column_found_by_its_values_when_no_name_matches() -> None:
    table = pd.DataFrame({"n": ["1", "2"], "label": ["a", "b"],
                          "what_they_wrote": ["a sentence with several words", "another one with words"]})
    assert guess_mapping(table).text == "what_they_wrote"


def test_crowdtangle_facebook_layout_is_recognised(write) -> None:
    content = ("Page Name,Facebook Id,Post Created,Message,Total Interactions\n"
               "Some Page,123,2021-03-01 10:00:00 EST,Posted a link with words,\"1,234\"\n")
    loaded = load_posts(write("ct.csv", content))
    assert loaded.report.shape == "crowdtangle_facebook"
    assert loaded.posts["platform"].tolist() == ["facebook"]
    assert loaded.posts["author"].tolist() == ["Some Page"]
    assert loaded.posts["engagement"].tolist() == [1234]


def test_overrides_win_and_a_missing_column_is_named(write) -> None:
    path = write("p.csv", "text,other,where\nignored words here,the real post,reddit\n")
    loaded = load_posts(path, text_column="other", platform_column="where")
    assert loaded.posts["text"].tolist() == ["the real post"]
    assert loaded.posts["platform"].tolist() == ["reddit"]
    with pytest.raises(InputError, match=r"p.csv: no column named 'body' \(asked for as the text column\). "
                                         r"Columns are: text, other, where"):
        load_posts(path, text_column="body")


def test_no_text_like_column_says_how_to_name_one(write) -> None:
    with pytest.raises(InputError, match=r"p.csv: no column looks like post text \(columns: id, n\).*--text-column"):
        load_posts(write("p.csv", "id,n\n1,2\n3,4\n"), platform="twitter")


def test_file_without_platform_needs_one(write) -> None:
    path = write("p.csv", "text\nhello world\n")
    raw = read_file(path)
    assert raw.needs_platform()
    with pytest.raises(InputError, match="p.csv: no platform column, and no platform chosen.*--platform"):
        raw.to_posts()
    assert raw.to_posts(platform="Tweet").posts["platform"].tolist() == ["twitter"]
    with pytest.raises(InputError, match="unknown platform 'myspace'"):
        raw.to_posts(platform="myspace")


@pytest.mark.parametrize(("name", "platform"), [
    ("instagram.csv", "instagram"), ("tweets_2024.jsonl", "twitter"), ("Reddit-comments.parquet", "reddit"),
    ("exports/youtube_comments.xlsx", "youtube"), ("telegram-export.json", "telegram"),
    ("posts.csv", None), ("x.csv", None), ("meta.json", None), ("twitter_vs_reddit.csv", None),
])
def test_platform_guessed_from_the_file_name_only_when_it_names_one(name: str, platform: str | None) -> None:
    from synth.io.mapping import platform_from_file_name

    assert platform_from_file_name(name) == platform
