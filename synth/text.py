"""Social-media text primitives shared by ingestion, metrics and prompts.

Hashtags, mentions, URLs and emoji are kept whole as tokens: they carry much of a platform's style.
Emoji come from the `emoji` package's table (not our own), compiled once into one regex.
Everything that runs over many posts takes a pandas Series and stays vectorised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import emoji
import numpy as np
import pandas as pd

# A URL runs to the next space, quote or angle bracket, and stops before an emoji written straight after it
# (`https://youtu.be/abc❇️`): pictographs (U+1F000-U+1FAFF), the symbol blocks U+2000-U+2BFF (which also
# hold the ellipsis of truncated tweets), © ®, variation selectors, the zero-width joiner and the keycap
# mark never occur in a link. The class is written with the characters themselves, not \u escapes, so the
# same pattern runs in Python's re and in pandas' Arrow (RE2) string methods.
_NOT_IN_URL = "\\s<>\"'\u00a9\u00ae\u200d\u2000-\u2bff\u20e3\u3030\u303d\u3297\u3299\ufe00-\ufe0f\U0001f000-\U0001faff"
URL_RE = re.compile(r"(?:https?://|www\.)[^" + _NOT_IN_URL + "]+", re.IGNORECASE)
# The same pattern as a string with an inline flag, for pandas' Arrow (RE2) string methods.
URL_PATTERN = "(?i)" + URL_RE.pattern
# @name on most platforms, u/name on Reddit; not e-mail addresses (no word char before the @).
MENTION_RE = re.compile(r"(?<![\w@/])(?:@\w{1,50}(?:\.\w+)*|u/[\w-]{2,30})")
# A hashtag needs at least one letter: "#1" is a rank, not a tag. Not after a word character ("word#tag",
# "C#"), "&" (HTML entities) or "/" (URL fragments); "##tag" is the hashtag "#tag" (the first "#" is
# punctuation), so the tag never lands in the vocabulary as a word.
HASHTAG_RE = re.compile(r"(?<![\w&/])#\w*[^\W\d_]\w*")
WORD_RE = re.compile(r"\w+(?:['’]\w+)*")


@lru_cache(maxsize=1)
def emoji_re() -> re.Pattern[str]:
    """One regex matching any emoji in the `emoji` package's table, longest sequence first (ZWJ families,
    flags and skin tones stay one emoji).

    The table is compiled as a trie (one branch per first character, greedy optional continuations), which
    matches exactly what a longest-first alternation of every emoji matches, behind a lookahead on the
    characters an emoji can start with: many times faster on text that is mostly not emoji.
    """
    starts = {symbol[0] for symbol in emoji.EMOJI_DATA}
    # Python's re checks a class of BMP characters with a bitmap; astral ones go into one range.
    bmp = "".join(re.escape(char) for char in sorted(char for char in starts if ord(char) < 0x10000))
    astral = sorted(char for char in starts if ord(char) >= 0x10000)
    guard = f"(?=[{bmp}]|[{astral[0]}-{astral[-1]}])" if astral else f"(?=[{bmp}])"
    return re.compile(guard + "(?:" + _trie_pattern(emoji.EMOJI_DATA) + ")")


def _trie_pattern(words: Iterable[str]) -> str:
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def render(node: dict[str, dict]) -> str:
        children = {char: child for char, child in node.items() if char}
        leaves = sorted(char for char, child in children.items() if set(child) == {""})
        branches = [re.escape(char) + render(child) for char, child in sorted(children.items())
                    if set(child) != {""}]
        if leaves:
            branches.append("[" + "".join(re.escape(char) for char in leaves) + "]")
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy: the longer sequence is tried first, the word ending here is the fallback.
        return f"(?:{body})?" if "" in node else body

    return render(trie)


@lru_cache(maxsize=1)
def _emoji_hint() -> str:
    """A pattern (RE2-compatible, so pandas' Arrow strings run it natively) found in every text holding an
    emoji: a character that starts an emoji, other than the keycap bases #, * and digits, or a keycap."""
    starts = {symbol[0] for symbol in emoji.EMOJI_DATA}
    # Callers may match case-insensitively or on lower-cased text (circled letters have a case).
    starts |= {variant for char in starts for variant in (char.lower(), char.upper()) if len(variant) == 1}
    starts -= set("#*0123456789")
    return "[" + "".join(re.escape(char) for char in sorted(starts)) + "]|[#*0-9]\ufe0f?\u20e3"


def may_hold_emoji(texts: pd.Series) -> pd.Series:
    """Whether each text could hold an emoji (a fast filter: False means none, True means look closer)."""
    texts = texts.astype("string").fillna("")
    return texts.str.contains(_emoji_hint(), regex=True).astype(bool)


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


@lru_cache(maxsize=1)
def _token_re_without_emoji() -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?:{p.pattern})" for p in (URL_RE, MENTION_RE, HASHTAG_RE, WORD_RE)), re.IGNORECASE
    )


def tokenize_series(texts: pd.Series) -> pd.Series:
    """`tokenize` over a Series of posts (one list of tokens per post)."""
    lowered = texts.astype("string").fillna("").str.lower()
    # The emoji alternative is the slow part of the token regex: run it only where an emoji may be.
    with_emoji = may_hold_emoji(lowered)
    tokens = lowered.astype(object).copy()
    tokens[~with_emoji] = lowered[~with_emoji].str.findall(_token_re_without_emoji())
    tokens[with_emoji] = lowered[with_emoji].str.findall(token_re())
    return tokens


TOKEN_KINDS: tuple[str, ...] = ("url", "mention", "hashtag", "emoji", "word")
COUNTED_KINDS: dict[str, str] = {"hashtags": "hashtag", "mentions": "mention", "urls": "url", "emoji": "emoji"}
"""Feature column -> token kind: the markers every per-post counter counts, as tokens of the tokenizer."""


def token_kinds(tokens: pd.Series) -> np.ndarray:
    """The kind (one of TOKEN_KINDS) of each token `tokenize` returned, as an object array.

    The one place a token's kind is decided, in the tokenizer's order of precedence, so the lexical metrics,
    the leaderboard, recognisability and validation all count hashtags, mentions, URLs and emoji alike.
    """
    token = tokens.astype(pd.StringDtype("pyarrow")).reset_index(drop=True)
    kind = np.full(len(token), "word", dtype=object)
    # Prefix tests, not regexes: pandas runs startswith natively on Arrow strings.
    is_url = token.str.startswith(("http://", "https://", "www.")).to_numpy(dtype=bool)
    is_mention = ~is_url & token.str.startswith(("@", "u/")).to_numpy(dtype=bool)
    # A token starting with "#" is a hashtag unless it is the keycap emoji #️⃣ (which holds U+20E3).
    is_keycap = token.str.contains("\u20e3", regex=False).to_numpy(dtype=bool)
    is_hashtag = ~is_url & ~is_mention & ~is_keycap & token.str.startswith("#").to_numpy(dtype=bool)
    is_emoji = ~is_url & ~is_mention & ~is_hashtag & may_hold_emoji(token).to_numpy(dtype=bool)
    candidates = np.flatnonzero(is_emoji)
    is_emoji[candidates] = [emoji_re().fullmatch(t) is not None for t in token.iloc[candidates]]
    kind[is_url], kind[is_mention], kind[is_hashtag], kind[is_emoji] = "url", "mention", "hashtag", "emoji"
    return kind


def count_features(texts: pd.Series) -> pd.DataFrame:
    """Per-post counts of characters, tokens, hashtags, mentions, URLs and emoji.

    Markers are counted as tokens of the tokenizer (`token_kinds`), so a hashtag inside a URL is part of the
    URL and an emoji written straight after a link is an emoji.

    Returns:
        A frame with the same index as `texts` and integer columns `chars, tokens, hashtags, mentions, urls,
        emoji`.
    """
    texts = texts.astype("string").fillna("")
    per_post = tokenize_series(texts.reset_index(drop=True))
    exploded = per_post.explode().dropna()
    post = exploded.index.to_numpy(dtype=np.int64)
    kinds = token_kinds(exploded)
    columns = {"chars": texts.str.len().to_numpy(dtype=np.int64), "tokens": np.bincount(post, minlength=len(texts))}
    for column, kind in COUNTED_KINDS.items():
        columns[column] = np.bincount(post[kinds == kind], minlength=len(texts))
    return pd.DataFrame(columns, index=texts.index).astype("int64")


# Sentences: split after sentence-ending punctuation (closing quotes and brackets stay with it) or at line breaks.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
_CLAUSE_END_RE = re.compile(r"[,;:–—](?=\s)|[.!?…](?=\s|$)")
# A cut that keeps less than this is no post.
MIN_TRIMMED_CHARS = 15


def sentences(text: str) -> list[str]:
    """The text split after sentence-ending punctuation or at line breaks (pieces keep their punctuation)."""
    return [piece for piece in _SENTENCE_END_RE.split(text) if piece and piece.strip()]


def trim_to_sentences(text: str, max_chars: int) -> str | None:
    """The longest run of whole leading sentences of at most `max_chars` characters that ends a sentence,
    or None when not even the first sentence fits (or what fits is under MIN_TRIMMED_CHARS)."""
    kept = ""
    for sentence in sentences(text):
        candidate = f"{kept} {sentence.strip()}".strip()
        if len(candidate) > max_chars:
            break
        kept = candidate
    return kept if len(kept) >= MIN_TRIMMED_CHARS else None


def trim_to_clause(text: str, max_chars: int) -> str | None:
    """The text cut after the last clause or sentence end (, ; : – — . ! ? …) within `max_chars`, for posts
    whose first sentence alone is too long; None when no such cut keeps MIN_TRIMMED_CHARS characters."""
    ends = [match.end() for match in _CLAUSE_END_RE.finditer(text[: max_chars + 1]) if match.end() <= max_chars]
    if not ends:
        return None
    kept = text[: ends[-1]].rstrip(",;:–— ")
    return kept if len(kept) >= MIN_TRIMMED_CHARS else None
