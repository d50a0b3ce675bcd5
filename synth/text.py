"""Social-media text primitives shared by ingestion, metrics and prompts.

Hashtags, mentions, URLs and emoji are kept whole as tokens: they carry much of a platform's style.
Emoji come from the `emoji` package's table (not our own), compiled once into one regex.
Everything that runs over many posts takes a pandas Series and stays vectorised.
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji
import pandas as pd

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# @name on most platforms, u/name on Reddit; not e-mail addresses (no word char before the @).
MENTION_RE = re.compile(r"(?<![\w@/])(?:@\w{1,50}(?:\.\w+)*|u/[\w-]{2,30})")
# A hashtag needs at least one letter: "#1" is a rank, not a tag.
HASHTAG_RE = re.compile(r"(?<![\w#&/])#\w*[^\W\d_]\w*")
WORD_RE = re.compile(r"\w+(?:['’]\w+)*")


@lru_cache(maxsize=1)
def emoji_re() -> re.Pattern[str]:
    """One regex matching any emoji in the `emoji` package's table, longest sequences first (ZWJ families,
    flags and skin tones stay one emoji)."""
    alternatives = sorted(emoji.EMOJI_DATA, key=len, reverse=True)
    return re.compile("|".join(re.escape(symbol) for symbol in alternatives))


@lru_cache(maxsize=1)
def token_re() -> re.Pattern[str]:
    """Tokens in priority order: URL, mention, hashtag, emoji, word."""
    return re.compile(
        "|".join(f"(?:{p.pattern})" for p in (URL_RE, MENTION_RE, HASHTAG_RE, emoji_re(), WORD_RE)),
        re.IGNORECASE,
    )


def tokenize(text: str) -> list[str]:
    """Split one post into lower-cased tokens, keeping URLs, @mentions, #hashtags and emoji whole."""
    return [token.lower() for token in token_re().findall(text)]


def tokenize_series(texts: pd.Series) -> pd.Series:
    """`tokenize` over a Series of posts (one list of tokens per post)."""
    return texts.astype("string").fillna("").str.lower().str.findall(token_re())


def count_features(texts: pd.Series) -> pd.DataFrame:
    """Per-post counts of characters, tokens, hashtags, mentions, URLs and emoji.

    Returns a frame with the same index as `texts` and integer columns
    `chars, tokens, hashtags, mentions, urls, emoji`.
    """
    texts = texts.astype("string").fillna("")
    # Only posts with a non-ASCII character can hold an emoji: skip the big regex on the rest.
    has_non_ascii = texts.str.contains(r"[^\x00-\x7f]", regex=True)
    emoji_counts = pd.Series(0, index=texts.index, dtype="int64")
    if has_non_ascii.any():
        emoji_counts[has_non_ascii] = texts[has_non_ascii].str.count(emoji_re())
    return pd.DataFrame(
        {
            "chars": texts.str.len().astype("int64"),
            "tokens": texts.str.count(token_re()).astype("int64"),
            "hashtags": texts.str.count(HASHTAG_RE).astype("int64"),
            "mentions": texts.str.count(MENTION_RE).astype("int64"),
            "urls": texts.str.count(URL_RE).astype("int64"),
            "emoji": emoji_counts.astype("int64"),
        },
        index=texts.index,
    )
