"""Which column holds what: guessed from common names (and the values), overridable by the user.

Also recognises the platform tools' own CSV layouts by their headers: CrowdTangle (Facebook `Message`,
Instagram `Description`), Meta Content Library, YouTube comment exports, so the report can name them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

import pandas as pd

from synth.errors import InputError
from synth.platforms import normalise_platform

ROLES = ("text", "platform", "post_id", "created_at", "author", "engagement", "topic")

# Candidate names per role, best first, compared lower-case with everything but letters and digits removed.
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": ("text", "fulltext", "content", "body", "message", "caption", "tweet", "tweettext", "posttext",
             "post", "commenttext", "comment", "textoriginal", "textdisplay", "selftext", "messagetext",
             "description", "title"),
    "platform": ("platform", "source", "network", "site", "socialnetwork", "socialmedia", "medium", "channel"),
    "post_id": ("postid", "id", "idstr", "tweetid", "commentid", "messageid", "cid", "facebookid", "uuid",
                "postid1", "url"),
    "created_at": ("createdat", "createdutc", "date", "datetime", "timestamp", "time", "publishedat",
                   "postcreated", "creationtime", "created", "postedat", "timeparsed", "publishtime"),
    "author": ("author", "username", "user", "screenname", "from", "account", "pagename", "authordisplayname",
               "authorname", "handle", "userscreenname", "postownername", "accountname"),
    "engagement": ("engagement", "likes", "likecount", "favoritecount", "score", "votes", "totalinteractions",
                   "reactions", "upvotes", "ups", "statisticsreactioncount", "reactioncount"),
    "topic": ("topic", "theme", "subject", "query", "keyword"),
}


@dataclass(frozen=True)
class ColumnMapping:
    """The source column for each canonical role (None: not in this file)."""

    text: str | None = None
    platform: str | None = None
    post_id: str | None = None
    created_at: str | None = None
    author: str | None = None
    engagement: str | None = None
    topic: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def with_overrides(self, **overrides: str | None) -> ColumnMapping:
        """A copy with the given roles replaced (None values are ignored: keep the guess)."""
        return replace(self, **{role: column for role, column in overrides.items() if column is not None})


@dataclass(frozen=True)
class TableShape:
    """A tool's own CSV layout recognised by its header."""

    name: str
    platform: str | None
    preferred: dict[str, str]


# (shape, platform, columns that must all be present, preferred mapping)
_TABLE_SHAPES: tuple[tuple[str, str | None, tuple[str, ...], dict[str, str]], ...] = (
    ("crowdtangle_facebook", "facebook", ("Message", "Post Created"),
     {"text": "Message", "created_at": "Post Created", "author": "Page Name", "post_id": "Facebook Id",
      "engagement": "Total Interactions"}),
    ("crowdtangle_instagram", "instagram", ("Description", "Post Created", "Account"),
     {"text": "Description", "created_at": "Post Created", "author": "Account", "post_id": "URL",
      "engagement": "Total Interactions"}),
    ("meta_content_library", None, ("text", "creation_time"),
     {"text": "text", "created_at": "creation_time", "post_id": "id", "author": "post_owner.name",
      "engagement": "statistics.reaction_count"}),
    ("youtube_comments_export", "youtube", ("Comment Text", "Video ID"),
     {"text": "Comment Text", "post_id": "Comment ID", "created_at": "Comment Create Timestamp"}),
)


def _key(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def detect_table_shape(columns: list[str]) -> TableShape | None:
    """The tool export whose header `columns` match, or None for a plain table."""
    present = set(columns)
    for name, platform, required, preferred in _TABLE_SHAPES:
        if all(column in present for column in required):
            return TableShape(name, platform, {role: col for role, col in preferred.items() if col in present})
    return None


def guess_mapping(table: pd.DataFrame, preferred: dict[str, str] | None = None) -> ColumnMapping:
    """Guess the column for every role from names (then values, for the text); never raises.

    Args:
        table: the parsed rows.
        preferred: roles already known from the detected shape; they win over name guesses.
    """
    columns = [str(column) for column in table.columns]
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    chosen: dict[str, str | None] = dict.fromkeys(ROLES)
    chosen.update(preferred or {})
    for role in ROLES:
        if chosen[role] is not None:
            continue
        taken = {value for value in chosen.values() if value}
        for candidate in _CANDIDATES[role]:
            match = by_key.get(candidate)
            if match is None or match in taken:
                continue
            if role == "text" and not _is_text_like(table[match], strict=False):
                continue
            # A column named 'platform' is one whatever it holds (unknown values get reported); others
            # ('source', 'site'...) must hold platform names to count.
            if role == "platform" and candidate != "platform" and not is_platform_column(table[match]):
                continue
            chosen[role] = match
            break
    if chosen["text"] is None:
        chosen["text"] = _longest_text_column(table, exclude={v for v in chosen.values() if v})
    return ColumnMapping(**chosen)


def check_mapping(mapping: ColumnMapping, table: pd.DataFrame, name: str) -> None:
    """Raise InputError unless every mapped column exists and there is a text column."""
    columns = [str(column) for column in table.columns]
    shown = ", ".join(columns[:30]) + (" ..." if len(columns) > 30 else "")
    for role, column in mapping.as_dict().items():
        if column is not None and column not in columns:
            raise InputError(f"{name}: no column named {column!r} (asked for as the {role} column). "
                             f"Columns are: {shown}.")
    if mapping.text is None:
        raise InputError(
            f"{name}: no column looks like post text (columns: {shown}). Name the text column "
            "(--text-column on the command line, the 'Text column' box on the Data page)."
        )


def is_platform_column(values: pd.Series) -> bool:
    """True when most rows hold a platform name we recognise (so 'source' = 'Twitter for iPhone' is not)."""
    counts = values.dropna().astype("str").value_counts().head(50)
    if counts.empty:
        return False
    recognised = sum(count for value, count in counts.items() if normalise_platform(value))
    return recognised / counts.sum() >= 0.5


def _is_text_like(values: pd.Series, *, strict: bool) -> bool:
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return False
    sample = values.dropna().astype("str").head(500)
    if sample.empty:
        return not strict  # an all-empty column named 'text' is still the text column (reported as empty)
    numeric = pd.to_numeric(sample, errors="coerce").notna().mean()
    if numeric > 0.5:
        return False
    if not strict:
        return True
    return bool(sample.str.len().mean() >= 15 and sample.str.contains(" ", regex=False).mean() >= 0.5)


def _longest_text_column(table: pd.DataFrame, exclude: set[str]) -> str | None:
    candidates = [column for column in table.columns
                  if str(column) not in exclude and _is_text_like(table[column], strict=True)]
    if not candidates:
        return None
    return str(max(candidates, key=lambda column: table[column].dropna().astype("str").head(500).str.len().mean()))


# File-name words too short or too common to name a platform on their own ("x_data.csv", "meta.json").
_NOT_PLATFORM_WORDS = frozenset({"meta"})


def platform_from_file_name(name: str) -> str | None:
    """The platform a file's name names (`instagram.csv`, `tweets_2024.jsonl`, `Reddit-comments.parquet`),
    or None when it names none or several. Words of three letters or more are read (`x`, `ig` or `tt` could
    mean anything in a file name).

    >>> platform_from_file_name("instagram.csv"), platform_from_file_name("posts.csv")
    ('instagram', None)
    """
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", str(name).replace("\\", "/").rsplit("/", 1)[-1])
    words = [word for word in re.split(r"[^A-Za-z0-9.]+|(?<=[a-z])(?=[A-Z])", stem) if len(word) >= 3]
    found = {normalise_platform(word) for word in words if word.lower() not in _NOT_PLATFORM_WORDS}
    found.discard(None)
    return found.pop() if len(found) == 1 else None
