"""JSON, JSON Lines and the platform-native JSON exports, with their bad inputs."""

from __future__ import annotations

import json

import pytest

from synth.errors import InputError
from synth.io import load_posts, read_file


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_json_array_of_objects(write) -> None:
    loaded = load_posts(write("p.json", _dump([{"content": "first post", "network": "IG"},
                                               {"content": "second", "network": "tiktok.com"}])))
    assert loaded.posts["text"].tolist() == ["first post", "second"]
    assert loaded.posts["platform"].tolist() == ["instagram", "tiktok"]
    assert loaded.report.shape == "json_array"


def test_object_holding_a_list_and_nested_values(write) -> None:
    document = {"meta": {"count": 2}, "posts": [{"body": "a post", "tags": ["x", "y"]}, {"body": "b post"}]}
    loaded = load_posts(write("p.json", _dump(document)), platform="mastodon")
    assert loaded.posts["text"].tolist() == ["a post", "b post"]
    assert loaded.posts["tags"].iloc[0] == '["x", "y"]'  # nested values kept as JSON text
    assert loaded.report.shape == "json_object"


def test_array_of_strings_is_a_list_of_texts(write) -> None:
    loaded = load_posts(write("p.json", '["one post", "another post"]'), platform="bluesky")
    assert loaded.posts["text"].tolist() == ["one post", "another post"]


def test_json_lines_in_a_json_file_is_recognised(write) -> None:
    content = '{"text": "a", "platform": "x"}\n{"text": "b", "platform": "x"}\n'
    for name in ("p.json", "p.jsonl", "p.ndjson"):
        loaded = load_posts(write(name, content))
        assert loaded.posts["text"].tolist() == ["a", "b"]
        assert loaded.posts["platform"].tolist() == ["twitter", "twitter"]


def test_truncated_last_json_line_is_dropped_and_reported(write) -> None:
    content = '{"text": "a", "platform": "x"}\n{"text": "b", "platform": "x"}\n{"text": "c", "pla'
    loaded = load_posts(write("p.jsonl", content))
    assert loaded.posts["text"].tolist() == ["a", "b"]
    assert loaded.report.dropped == {"malformed row": 1}
    assert loaded.report.examples["malformed row"][0].startswith("line 3")


def test_twitter_api_v2_with_users_and_long_posts(write) -> None:
    document = {
        "data": [
            {"id": "11", "text": "short one", "author_id": "u1", "created_at": "2024-01-02T03:04:05.000Z",
             "public_metrics": {"like_count": 7, "retweet_count": 1}, "edit_history_tweet_ids": ["11"]},
            {"id": "12", "text": "cut off…", "note_tweet": {"text": "the whole long post"}, "author_id": "u2"},
        ],
        "includes": {"users": [{"id": "u1", "username": "alice"}]},
    }
    loaded = load_posts(write("tweets.json", _dump(document)))
    posts = loaded.posts
    assert loaded.report.shape == "twitter_api_v2"
    assert posts["platform"].tolist() == ["twitter", "twitter"]
    assert posts["text"].tolist() == ["short one", "the whole long post"]
    assert posts["author"].tolist() == ["alice", "u2"]
    assert posts["post_id"].tolist() == ["11", "12"]
    assert posts["engagement"].iloc[0] == 7
    assert str(posts["created_at"].iloc[0]) == "2024-01-02 03:04:05+00:00"
    assert "implied by the twitter export" in loaded.report.platform_source


def test_twitter_v1_full_text_and_extended_tweet(write) -> None:
    records = [
        {"id_str": "1", "full_text": "full text one", "user": {"screen_name": "bob"}, "favorite_count": 3,
         "created_at": "Wed Oct 10 20:19:24 +0000 2018"},
        {"id_str": "2", "text": "trunc…", "extended_tweet": {"full_text": "extended text two"},
         "user": {"screen_name": "eve"}},
    ]
    loaded = load_posts(write("v1.jsonl", "\n".join(_dump(r) for r in records)))
    assert loaded.report.shape == "twitter_api_v1.1"
    assert loaded.posts["text"].tolist() == ["full text one", "extended text two"]
    assert loaded.posts["author"].tolist() == ["bob", "eve"]
    assert str(loaded.posts["created_at"].iloc[0]) == "2018-10-10 20:19:24+00:00"


def test_reddit_dump_posts_and_comments(write) -> None:
    records = [
        {"id": "p1", "subreddit": "india", "title": "A title", "selftext": "the body", "author": "a",
         "created_utc": 1700000000, "score": 5},
        {"id": "p2", "subreddit": "india", "title": "Link post", "selftext": "", "author": "b",
         "created_utc": 1700000001, "score": 1},
        {"id": "c1", "subreddit": "india", "body": "a comment", "author": "c", "created_utc": 1700000002,
         "score": 2},
        {"id": "c2", "subreddit": "india", "body": "[deleted]", "author": "[deleted]", "created_utc": 1700000003},
    ]
    loaded = load_posts(write("RS_dump.jsonl", "\n".join(_dump(r) for r in records)))
    assert loaded.report.shape == "reddit_dump"
    assert loaded.posts["text"].tolist() == ["A title\n\nthe body", "Link post", "a comment"]
    assert loaded.posts["post_type"].tolist() == ["post", "post", "comment"]
    assert loaded.report.dropped == {"empty or non-text": 1}  # the [deleted] placeholder
    assert str(loaded.posts["created_at"].iloc[0]) == "2023-11-14 22:13:20+00:00"


def test_reddit_listing_json(write) -> None:
    listing = {"kind": "Listing", "data": {"children": [
        {"kind": "t3", "data": {"id": "x", "subreddit": "r", "title": "T", "selftext": "S"}},
        {"kind": "t1", "data": {"id": "y", "subreddit": "r", "body": "B"}},
    ]}}
    loaded = load_posts(write("listing.json", _dump(listing)))
    assert loaded.posts["text"].tolist() == ["T\n\nS", "B"]
    assert loaded.posts["platform"].unique().tolist() == ["reddit"]


def test_telegram_desktop_export_flattens_text_entities(write) -> None:
    export = {"name": "Channel", "type": "public_channel", "id": 1, "messages": [
        {"id": 1, "type": "message", "date": "2024-03-01T10:00:00", "from": "Channel",
         "text": ["Read ", {"type": "bold", "text": "this"}, " at ", {"type": "link", "text": "https://t.me/x"}]},
        {"id": 2, "type": "service", "date": "2024-03-01T10:01:00", "actor": "Channel", "text": ""},
        {"id": 3, "type": "message", "date": "2024-03-01T10:02:00", "from": "Channel", "text": "plain text",
         "reactions": [{"type": "emoji", "count": 4}, {"type": "emoji", "count": 1}]},
    ]}
    loaded = load_posts(write("result.json", _dump(export)))
    assert loaded.report.shape == "telegram_export"
    assert loaded.posts["text"].tolist() == ["Read this at https://t.me/x", "plain text"]
    assert loaded.posts["platform"].unique().tolist() == ["telegram"]
    assert loaded.posts["engagement"].tolist()[1] == 5
    assert loaded.report.dropped == {"empty or non-text": 1}  # the service message


def test_youtube_data_api_comment_threads_with_replies(write) -> None:
    def comment(cid: str, text: str) -> dict:
        return {"id": cid, "snippet": {"textOriginal": text, "textDisplay": f"<b>{text}</b>",
                                       "authorDisplayName": "@viewer", "likeCount": 2,
                                       "publishedAt": "2024-05-01T00:00:00Z"}}

    threads = {"kind": "youtube#commentThreadListResponse", "items": [
        {"snippet": {"topLevelComment": comment("c1", "great video")},
         "replies": {"comments": [comment("c1.r1", "agreed")]}},
    ]}
    loaded = load_posts(write("comments.json", _dump(threads)))
    assert loaded.report.shape == "youtube_data_api"
    assert loaded.posts["text"].tolist() == ["great video", "agreed"]
    assert loaded.posts["post_type"].tolist() == ["comment", "reply"]


def test_youtube_comment_downloader_lines_with_vote_suffixes(write) -> None:
    lines = [{"cid": "a", "text": "nice 👍", "author": "@u", "votes": "1.2K", "time_parsed": 1700000000.5},
             {"cid": "b", "text": "ok", "author": "@v", "votes": "3", "reply": True}]
    loaded = load_posts(write("yt.json", "\n".join(_dump(line) for line in lines)))
    assert loaded.report.shape == "youtube_comment_downloader"
    assert loaded.posts["engagement"].tolist() == [1200, 3]
    assert loaded.posts["platform"].unique().tolist() == ["youtube"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"text": "a"}, {"text": "b"', "p.json: the JSON ends early .* looks truncated"),
        ('{"data": [{"text": "a"', "the JSON ends early"),
        ('{"text": "unterminated', "the JSON ends early"),
        ('[{"text": "a"},, ]', "not valid JSON at line 1, column 16"),
        ('{"a": 1, "b": "c"}', "a JSON object with no list in it is not a list of posts"),
        ("[1, 2, 3]", "a JSON array without objects is not a list of posts"),
        ('"just a string"', "a single JSON string is not a list of posts"),
        ("42", "a single JSON number is not a list of posts"),
        ("not json at all", "not valid JSON"),
        ('{"data": []}', "a JSON object with no list in it"),
    ],
)
def test_bad_json_gets_a_clear_message(write, content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_file(write("p.json", content))


def test_json_lines_that_are_mostly_not_objects_are_refused(write) -> None:
    with pytest.raises(InputError, match="p.jsonl: not JSON Lines: 2 of 3 lines"):
        read_file(write("p.jsonl", '{"text": "a"}\n[1]\nnope\n'))


def test_non_string_text_in_a_platform_export_is_non_text(write) -> None:
    records = [{"id": "1", "subreddit": "r", "title": True}, {"id": "2", "subreddit": "r", "body": 42},
               {"id": "3", "subreddit": "r", "body": "words"}]
    loaded = load_posts(write("r.jsonl", "\n".join(_dump(r) for r in records)))
    assert loaded.posts["text"].tolist() == ["words"]
    assert loaded.report.dropped == {"empty or non-text": 2}
