"""JSON, JSON Lines, and the platform-native JSON exports researchers have.

Shapes recognised (the report names the one found):
- a JSON array of objects, an object holding such a list, JSON Lines, or a plain array of strings;
- X/Twitter API v2 (`{"data": [{"text"...}], "includes": {"users": ...}}`, long posts in `note_tweet`);
- X/Twitter API v1.1 tweets (`full_text`, `extended_tweet`, `user.screen_name`);
- Reddit dumps (Pushshift/Arctic Shift JSON Lines or the site's own listing JSON): posts give
  `title` + `selftext`, comments give `body`;
- Telegram Desktop `result.json` (`messages[].text`, either a string or a list of text entities);
- YouTube comments from the Data API (`items[].snippet...textOriginal`) or youtube-comment-downloader
  (`cid`, `text`, `votes`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from synth.errors import InputError
from synth.io.delimited import too_many_rows
from synth.io.encoding import decode_text
from synth.io.limits import MAX_ROWS
from synth.io.parsed import Parsed, shorten

Record = dict[str, Any]
# Keys under which an object commonly holds its list of posts, most specific first.
_LIST_KEYS = ("data", "messages", "items", "statuses", "posts", "comments", "tweets", "results", "records", "rows")


def read_json(data: bytes, name: str, *, lines: bool = False) -> Parsed:
    """Parse JSON or JSON Lines (either extension: the contents decide) and recognise its shape.

    Raises:
        InputError: not JSON, truncated, not a list of posts, or over MAX_ROWS records.
    """
    text, encoding, notes = decode_text(data, name)
    stripped = text.strip()
    if not lines or stripped.startswith("["):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as error:
            if not _is_json_lines(stripped, error):
                raise InputError(_json_error_message(name, stripped, error)) from None
        except RecursionError:
            raise InputError(f"{name}: the JSON is nested too deeply to be a list of posts.") from None
        else:
            parsed = _from_document(document, name)
            parsed.encoding, parsed.notes = encoding, notes + parsed.notes
            return parsed
    records, bad_lines, total = _parse_lines(stripped)
    if bad_lines and len(bad_lines) * 2 > total:
        raise InputError(
            f"{name}: not JSON Lines: {len(bad_lines):,} of {total:,} lines are not JSON objects, e.g. "
            f"{bad_lines[0]}. Each line must hold one JSON object (one post)."
        )
    if len(records) > MAX_ROWS:
        raise InputError(too_many_rows(name, len(records)))
    parsed = _from_records(records, name, container="JSON Lines")
    parsed.encoding, parsed.notes = encoding, notes + parsed.notes
    parsed.malformed, parsed.malformed_examples = len(bad_lines), bad_lines[:5]
    return parsed


def _is_json_lines(text: str, error: json.JSONDecodeError) -> bool:
    # "Extra data" after a complete first value on line 1 is the signature of JSON Lines.
    return error.msg == "Extra data" and text[: error.pos].count("\n") <= 1 and text.startswith("{")


def _json_error_message(name: str, text: str, error: json.JSONDecodeError) -> str:
    if error.pos >= len(text) - 1 or error.msg.startswith("Unterminated string"):
        return (
            f"{name}: the JSON ends early (line {error.lineno}, column {error.colno}: {error.msg}); the file "
            "looks truncated. Download or export it again and check it finished."
        )
    return (
        f"{name}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}). Fix that spot, "
        "or export the posts again as JSON or CSV."
    )


def _parse_lines(text: str) -> tuple[list[Any], list[str], int]:
    records: list[Any] = []
    bad: list[str] = []
    total = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        total += 1
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            bad.append(f"line {number}: {shorten(line)}")
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad.append(f"line {number} is not an object: {shorten(line)}")
    return records, bad, total


def _from_document(document: Any, name: str) -> Parsed:
    if isinstance(document, list):
        if len(document) > MAX_ROWS:
            raise InputError(too_many_rows(name, len(document)))
        if document and all(isinstance(item, str) for item in document):
            return Parsed(pd.DataFrame({"text": pd.Series(document, dtype="str")}), shape="list_of_strings")
        return _from_records(document, name, container="JSON array")
    if not isinstance(document, dict):
        kind = {"str": "string", "int": "number", "float": "number", "bool": "true/false", "NoneType": "null"}
        raise _not_posts(name, f"a single JSON {kind.get(type(document).__name__, 'value')}")
    data = document.get("data")
    if isinstance(data, dict) and isinstance(data.get("children"), list):  # Reddit listing
        return _from_records(data["children"], name, container="Reddit listing")
    if _is_twitter_v2(document):
        return _twitter_v2(document, name)
    if isinstance(document.get("messages"), list) and ("type" in document or "name" in document):
        return _telegram(document["messages"], name)
    for key in _LIST_KEYS:
        if isinstance(document.get(key), list) and document[key]:
            return _from_records(document[key], name, container=f"JSON object, list '{key}'")
    lists = [key for key, value in document.items() if isinstance(value, list) and value]
    if lists:
        key = max(lists, key=lambda k: len(document[k]))
        return _from_records(document[key], name, container=f"JSON object, list '{key}'")
    raise _not_posts(name, "a JSON object with no list in it")


def _not_posts(name: str, found: str) -> InputError:
    return InputError(
        f"{name}: {found} is not a list of posts. Expected a JSON array of objects (one per post), an object "
        "holding such a list (e.g. under 'data', 'messages' or 'items'), or JSON Lines (one object per line)."
    )


def _first_record_has(items: Any, *keys: str) -> bool:
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and all(k in items[0] for k in keys)


def _from_records(items: list[Any], name: str, *, container: str) -> Parsed:
    records = [item for item in items if isinstance(item, dict)]
    if not records:
        raise _not_posts(name, f"a {container} without objects")
    if len(records) > MAX_ROWS:
        raise InputError(too_many_rows(name, len(records)))
    notes = []
    if len(records) < len(items):
        notes.append(f"{len(items) - len(records):,} item(s) of the {container} were not objects and were skipped.")
    sample = records[:20]
    for recogniser, extractor in _RECORD_SHAPES:
        if any(recogniser(record) for record in sample):
            parsed = extractor(records)
            parsed.notes = notes + parsed.notes
            return parsed
    table = pd.DataFrame.from_records(records)
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(_as_text, na_action="ignore")
    parsed = Parsed(table, shape=container.split(",")[0].lower().replace(" ", "_"))
    parsed.notes = notes
    return parsed


def _as_text(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value if isinstance(value, str) else str(value)


def _scalar(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


def _list_of_dicts(value: Any) -> list[Record]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dig(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _frame(rows: list[dict[str, Any]], shape: str, platform: str) -> Parsed:
    table = pd.DataFrame.from_records(rows, columns=["post_id", "text", "created_at", "author", "engagement",
                                                     "post_type"])
    for column in ("created_at", "engagement"):
        table[column] = table[column].map(_scalar, na_action="ignore")
    for column in ("post_id", "author", "post_type"):
        table[column] = table[column].map(_as_text, na_action="ignore").astype("str")
    # Only strings are post text: a number or object where the text should be is reported as non-text.
    table["text"] = table["text"].map(lambda value: value if isinstance(value, str) else None).astype("str")
    return Parsed(table, shape=shape, platform=platform)


def _row(post_id: Any, text: Any, created_at: Any, author: Any, engagement: Any, post_type: str) -> dict[str, Any]:
    return {"post_id": post_id, "text": text, "created_at": created_at, "author": author,
            "engagement": engagement, "post_type": post_type}


def _is_twitter_v2(document: Record) -> bool:
    tweets = document.get("data")
    if not isinstance(tweets, list) or not _first_record_has(tweets, "id", "text"):
        return False
    first = tweets[0]
    return "includes" in document or any(key in first for key in ("author_id", "edit_history_tweet_ids",
                                                                    "public_metrics", "conversation_id"))


def _twitter_v2(document: Record, name: str) -> Parsed:
    tweets = [tweet for tweet in document.get("data") or [] if isinstance(tweet, dict)]
    if not tweets:
        raise _not_posts(name, "an X/Twitter API v2 response with no tweets in 'data'")
    users = {str(user.get("id")): user.get("username") for user in _list_of_dicts(_dig(document, "includes", "users"))}
    rows = [
        _row(t.get("id"), _dig(t, "note_tweet", "text") or t.get("text"), t.get("created_at"),
             users.get(str(t.get("author_id")), t.get("author_id")), _dig(t, "public_metrics", "like_count"), "post")
        for t in tweets
    ]
    return _frame(rows, "twitter_api_v2", "twitter")


def _is_twitter_v1(record: Record) -> bool:
    return "full_text" in record or "extended_tweet" in record or ("id_str" in record and isinstance(
        record.get("user"), dict) and "text" in record)


def _twitter_v1(records: list[Record]) -> Parsed:
    rows = [
        _row(r.get("id_str") or r.get("id"), _dig(r, "extended_tweet", "full_text") or r.get("full_text")
             or r.get("text"), r.get("created_at"), _dig(r, "user", "screen_name"), r.get("favorite_count"),
             "post")
        for r in records
    ]
    return _frame(rows, "twitter_api_v1.1", "twitter")


def _is_reddit(record: Record) -> bool:
    data = record.get("data") if record.get("kind") in ("t1", "t3") else record
    return isinstance(data, dict) and "subreddit" in data and ("body" in data or "title" in data)


def _reddit(records: list[Record]) -> Parsed:
    rows = []
    for record in records:
        r = record["data"] if record.get("kind") in ("t1", "t3") and isinstance(record.get("data"), dict) else record
        if "body" in r:
            rows.append(_row(r.get("name") or r.get("id"), r.get("body"), r.get("created_utc"), r.get("author"),
                             r.get("score"), "comment"))
        else:
            title, body = (value if isinstance(value, str) else "" for value in (r.get("title"), r.get("selftext")))
            text = f"{title}\n\n{body}" if body and body not in ("[deleted]", "[removed]") else title
            rows.append(_row(r.get("name") or r.get("id"), text, r.get("created_utc"), r.get("author"),
                             r.get("score"), "post"))
    return _frame(rows, "reddit_dump", "reddit")


def _telegram(messages: list[Any], name: str) -> Parsed:
    records = [m for m in messages if isinstance(m, dict)]
    if not records:
        raise _not_posts(name, "a Telegram export with no messages")
    rows = [
        _row(m.get("id"), _telegram_text(m.get("text")), m.get("date"), m.get("from") or m.get("actor"),
             sum(r["count"] for r in _list_of_dicts(m.get("reactions")) if _scalar(r.get("count")) is not None
                 and not isinstance(r["count"], str)) or None,
             str(m.get("type") or "message"))
        for m in records
    ]
    return _frame(rows, "telegram_export", "telegram")


def _telegram_text(text: Any) -> str:
    # Telegram Desktop writes formatted messages as a list of plain strings and {"type", "text"} entities.
    if isinstance(text, list):
        return "".join(part if isinstance(part, str) else str(_dig(part, "text") or "") for part in text)
    return text if isinstance(text, str) else ""


def _is_youtube_api(record: Record) -> bool:
    return isinstance(record.get("snippet"), dict) and (
        "topLevelComment" in record["snippet"] or "textOriginal" in record["snippet"]
        or "textDisplay" in record["snippet"])


def _youtube_api(records: list[Record]) -> Parsed:
    rows = []
    for record in records:
        top = _dig(record, "snippet", "topLevelComment")
        top = top if isinstance(top, dict) else record
        for comment in [top, *_list_of_dicts(_dig(record, "replies", "comments"))]:
            snippet = comment.get("snippet")
            s: Record = snippet if isinstance(snippet, dict) else {}
            rows.append(_row(comment.get("id"), s.get("textOriginal") or s.get("textDisplay"), s.get("publishedAt"),
                             s.get("authorDisplayName"), s.get("likeCount"),
                             "comment" if comment is top else "reply"))
    return _frame(rows, "youtube_data_api", "youtube")


def _is_youtube_downloader(record: Record) -> bool:
    return "cid" in record and "text" in record


def _youtube_downloader(records: list[Record]) -> Parsed:
    rows = [
        _row(r.get("cid"), r.get("text"), r.get("time_parsed"), r.get("author"), r.get("votes"),
             "reply" if r.get("reply") else "comment")
        for r in records
    ]
    return _frame(rows, "youtube_comment_downloader", "youtube")


_RECORD_SHAPES: tuple[tuple[Callable[[Record], bool], Callable[[list[Record]], Parsed]], ...] = (
    (_is_twitter_v1, _twitter_v1),
    (_is_reddit, _reddit),
    (_is_youtube_api, _youtube_api),
    (_is_youtube_downloader, _youtube_downloader),
)
