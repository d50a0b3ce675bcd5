"""The canonical schema every table of posts is normalised to, real or synthetic.

One row per post. Required: `post_id`, `platform`, `text`, `source`. Optional columns describe the post
(`topic`, `created_at`, `author`, `engagement`) or, for synthetic posts, how it was made (`model`,
`backend`, `run_id`, `prompt_id`). Extra columns are allowed and kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pandas as pd

from synth.errors import InputError
from synth.platforms import PLATFORMS

POST_ID = "post_id"
PLATFORM = "platform"
TEXT = "text"
SOURCE = "source"
TOPIC = "topic"
CREATED_AT = "created_at"
AUTHOR = "author"
ENGAGEMENT = "engagement"
MODEL = "model"
BACKEND = "backend"
RUN_ID = "run_id"
PROMPT_ID = "prompt_id"

REQUIRED_COLUMNS: tuple[str, ...] = (POST_ID, PLATFORM, TEXT, SOURCE)
OPTIONAL_COLUMNS: tuple[str, ...] = (TOPIC, CREATED_AT, AUTHOR, ENGAGEMENT)
PROVENANCE_COLUMNS: tuple[str, ...] = (MODEL, BACKEND, RUN_ID, PROMPT_ID)
CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS + PROVENANCE_COLUMNS

REAL = "real"
SYNTHETIC = "synthetic"
SOURCES: tuple[str, ...] = (REAL, SYNTHETIC)


def empty_posts() -> pd.DataFrame:
    """An empty frame with every canonical column, in canonical order."""
    return pd.DataFrame({column: pd.Series(dtype="string") for column in CANONICAL_COLUMNS}).astype(
        {ENGAGEMENT: "Float64", CREATED_AT: "datetime64[ns, UTC]"}
    )


def count_by_value(values: pd.Series) -> dict[str, int]:
    """How many rows hold each value (e.g. posts per platform), as plain JSON-ready types, sorted by value;
    missing values are not counted."""
    return {str(value): int(count) for value, count in values.value_counts().sort_index().items()}


def content_hash(values: pd.DataFrame | pd.Series, columns: Sequence[str] | None = None, *, salt: bytes = b"") -> str:
    """A SHA-256 hex digest of the content of a column, or of some columns of a table, for cache keys and
    staleness checks: the same values in the same order give the same hash, whatever the index.

    Args:
        values: a Series, or a DataFrame whose `columns` (default: all, in order) are hashed one after another.
        columns: the DataFrame's columns to hash.
        salt: bytes hashed before the content (e.g. the parameters a cached result also depends on).
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values[list(columns or values.columns)]
    digest = hashlib.sha256(salt)
    for _, column in frame.items():
        digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def validate_posts(posts: pd.DataFrame, *, name: str = "posts") -> pd.DataFrame:
    """Check that `posts` follows the canonical schema and return it unchanged.

    Args:
        posts: the table to check.
        name: how to call the table in error messages (a file name, "synthetic posts"...).

    Raises:
        InputError: a required column is missing, a text or id is empty, an id repeats, or a platform or
            source is not one we know. The message says which rows and how to fix them.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in posts.columns]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {', '.join(missing)}. Load files with synth.io.load_posts, "
            "which adds them, or add them yourself."
        )
    _require_no_blanks(posts, TEXT, name)
    _require_no_blanks(posts, POST_ID, name)
    duplicated = posts[POST_ID][posts[POST_ID].duplicated()]
    if len(duplicated):
        raise InputError(
            f"{name}: {len(duplicated)} repeated post_id value(s), e.g. {duplicated.iloc[0]!r}. "
            "Give every post its own id."
        )
    unknown_platforms = sorted(set(posts[PLATFORM].dropna()) - set(PLATFORMS))
    if unknown_platforms or posts[PLATFORM].isna().any():
        shown = ", ".join(map(str, unknown_platforms[:5])) or "<empty>"
        raise InputError(
            f"{name}: unknown platform value(s) {shown}. Use one of {', '.join(PLATFORMS)} "
            "(synth.platforms.normalise_platform maps common spellings such as 'X' or 'IG')."
        )
    unknown_sources = sorted(set(posts[SOURCE].dropna()) - set(SOURCES))
    if unknown_sources or posts[SOURCE].isna().any():
        raise InputError(f"{name}: the source column must be 'real' or 'synthetic' on every row.")
    return posts


def _require_no_blanks(posts: pd.DataFrame, column: str, name: str) -> None:
    values = posts[column]
    blank = values.isna() | (values.astype("string").str.strip() == "")
    if blank.any():
        raise InputError(
            f"{name}: {int(blank.sum())} row(s) with an empty {column} (first at row {int(blank.idxmax())}). "
            "Drop them or fill them in."
        )
