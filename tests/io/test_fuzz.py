"""Arbitrary bytes into every loader: nothing but InputError may escape."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.errors import InputError
from synth.io import load_posts
from synth.io.detect import EXTENSIONS

# Bytes that reach each parser's interesting paths: random bytes, and random bytes after a real header.
PREFIXES = [b"", b"text,platform\n", b'[{"text": ', b'{"data": [', b"PAR1", b"PK\x03\x04", b"\xef\xbb\xbf",
            b"\xff\xfe"]


@pytest.mark.parametrize("extension", sorted(EXTENSIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_input_error(extension: str, prefix: bytes, body: bytes) -> None:
    try:
        load_posts(prefix + body, name=f"fuzz{extension}", platform="twitter")
    except InputError as error:
        assert f"fuzz{extension}" in str(error) or "no files" in str(error)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_as_csv_raises_only_input_error(text: str) -> None:
    try:
        load_posts(("text,platform\n" + text).encode("utf-8"), name="fuzz.csv", platform="reddit")
    except InputError as error:
        assert "fuzz.csv" in str(error)


# JSON documents built from the keys the platform-shape recognisers look for, with values of any type.
_SHAPE_KEYS = st.sampled_from(
    ["data", "includes", "users", "id", "text", "author_id", "note_tweet", "public_metrics", "like_count", "messages",
     "type", "name", "items", "snippet", "topLevelComment", "textOriginal", "replies", "comments", "cid", "votes",
     "subreddit", "title", "selftext", "body", "kind", "children", "full_text", "extended_tweet", "user", "id_str",
     "screen_name", "reactions", "count", "from", "created_utc", "platform", "edit_history_tweet_ids", "reply"]
)
_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
           | st.sampled_from(["x", "[deleted]", "1.2K", "2020-01-01", "t1", "t3"]))
_DOCUMENTS = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(_SHAPE_KEYS, inner, max_size=5), max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(document=_DOCUMENTS, as_lines=st.booleans())
def test_platform_shaped_json_of_any_types_raises_only_input_error(document: object, as_lines: bool) -> None:
    if as_lines and isinstance(document, list):
        content, name = "\n".join(json.dumps(item) for item in document), "fuzz.jsonl"
    else:
        content, name = json.dumps(document), "fuzz.json"
    try:
        load_posts(content.encode("utf-8"), name=name)
    except InputError as error:
        assert name in str(error)
