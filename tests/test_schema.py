import pandas as pd
import pytest

from synth.errors import InputError
from synth.schema import CANONICAL_COLUMNS, content_hash, count_by_value, empty_posts, validate_posts


def _posts(**overrides: list) -> pd.DataFrame:
    data = {"post_id": ["a", "b"], "platform": ["twitter", "reddit"], "text": ["hi", "hello"],
            "source": ["real", "real"]}
    data.update(overrides)
    return pd.DataFrame(data)


def test_valid_posts_pass_unchanged() -> None:
    posts = _posts()
    assert validate_posts(posts) is posts


def test_empty_posts_has_every_canonical_column() -> None:
    assert tuple(empty_posts().columns) == CANONICAL_COLUMNS
    validate_posts(empty_posts())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": ["hi", "  "]}, "empty text"),
        ({"post_id": ["a", "a"]}, "repeated post_id"),
        ({"platform": ["twitter", "myspace"]}, "unknown platform value\\(s\\) myspace"),
        ({"source": ["real", "fake"]}, "'real' or 'synthetic'"),
    ],
)
def test_bad_posts_raise_input_error_saying_what_to_fix(overrides: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_posts(_posts(**overrides), name="upload.csv")


def test_missing_required_column_is_named() -> None:
    with pytest.raises(InputError, match="upload.csv: missing column\\(s\\) source"):
        validate_posts(_posts().drop(columns="source"), name="upload.csv")


def test_count_by_value_is_sorted_plain_and_skips_missing() -> None:
    values = pd.Series(["twitter", "reddit", None, "twitter"], dtype="string")
    counts = count_by_value(values)
    assert counts == {"reddit": 1, "twitter": 2} and list(counts) == ["reddit", "twitter"]
    assert all(type(n) is int for n in counts.values())


def test_content_hash_follows_values_and_order_not_the_index() -> None:
    posts = _posts()
    assert content_hash(posts) == content_hash(posts.set_axis([7, 8]))
    assert content_hash(posts, ["text"]) == content_hash(posts["text"])
    assert content_hash(posts, ["text"]) != content_hash(posts.iloc[::-1], ["text"])
    assert content_hash(posts, ["text"]) != content_hash(_posts(text=["hi", "hello!"]), ["text"])
    assert content_hash(posts, ["text"]) != content_hash(posts, ["text", "platform"])
    assert content_hash(posts["text"], salt=b"a") != content_hash(posts["text"], salt=b"b")
    assert len(content_hash(posts)) == 64
