"""Per-post lexical features and the flat token table the set-level lexical metrics are computed from.

Each post is tokenised once (`synth.text.tokenize_series`: URLs, @mentions, #hashtags and emoji kept whole,
lower-cased); every token gets a kind (url, mention, hashtag, emoji, word). Everything after that is
vectorised over the flat table of (post, token, kind) rows, so subsets (a platform, a half of the real set)
are a row selection, never a second pass over the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.schema import TEXT
from synth.text import COUNTED_KINDS, TOKEN_KINDS, URL_PATTERN, token_kinds, tokenize_series

URL_TOKEN = "<url>"
"""What every URL becomes in the vocabulary: shortened links are unique per post and would swamp it."""

KINDS: tuple[str, ...] = TOKEN_KINDS

# English personal pronouns by grammatical person; contractions count by their first part ("i'm" -> "i").
# "u", "ur" and "yall" are the common social-media spellings of the second person.
PRONOUNS: dict[str, frozenset[str]] = {
    "first": frozenset(["i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves"]),
    "second": frozenset(["you", "your", "yours", "yourself", "yourselves", "u", "ur", "yall"]),
    "third": frozenset(
        ["he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself",
         "they", "them", "their", "theirs", "themselves"]
    ),
}

_SENTENCE_END = r"[.!?…]+(?:\s|$)"
_VOWEL_GROUP = r"[aeiouy]+"

FEATURE_COLUMNS: tuple[str, ...] = (
    "chars", "tokens", "hashtags", "mentions", "urls", "emoji", "words", "sentences", "syllables",
    "difficult_words", "pronouns_first", "pronouns_second", "pronouns_third", "has_question",
    "has_exclamation", "cased_letters", "uppercase_letters", "uppercase_ratio", "flesch_kincaid_grade", "dale_chall",
)


@dataclass(frozen=True)
class AnalysedPosts:
    """One set of posts, tokenised once.

    Attributes:
        features: one row per post (same index as the input), columns FEATURE_COLUMNS.
        tokens: one row per token: `post` (position of the post, 0..n-1), `token` (lower-cased, URLs as
            written), `kind` (one of KINDS), `term` (the token as counted in the vocabulary: URLs become
            URL_TOKEN) and `term_id` (an integer per distinct term of this set).
    """

    features: pd.DataFrame
    tokens: pd.DataFrame

    def subset(self, positions: np.ndarray) -> AnalysedPosts:
        """The posts at `positions` (0-based), renumbered 0..len(positions)-1 in the given order."""
        positions = np.asarray(positions, dtype=np.int64)
        renumber = np.full(len(self.features), -1, dtype=np.int64)
        renumber[positions] = np.arange(len(positions))
        new_post = renumber[self.tokens["post"].to_numpy()]
        keep = new_post >= 0
        tokens = self.tokens[keep].assign(post=new_post[keep])
        order = np.argsort(tokens["post"].to_numpy(), kind="stable")
        return AnalysedPosts(self.features.iloc[positions], tokens.iloc[order].reset_index(drop=True))


def post_texts(posts: pd.DataFrame | pd.Series, name: str = "posts") -> pd.Series:
    """The text of each post as Arrow-backed strings (missing text becomes empty); the input is untouched."""
    if isinstance(posts, pd.DataFrame):
        if TEXT not in posts.columns:
            raise InputError(f"{name}: no '{TEXT}' column. Load the file with synth.io.load_posts, which adds it.")
        posts = posts[TEXT]
    return posts.astype(pd.StringDtype("pyarrow")).fillna("")


def analyse_posts(posts: pd.DataFrame | pd.Series, name: str = "posts", *,
                  tokens: pd.DataFrame | None = None) -> AnalysedPosts:
    """Tokenise `posts` (a frame with a `text` column, or a Series of texts) and compute per-post features.

    `tokens`, the `token_table` of the same posts when already made, is used instead of tokenising again.
    """
    texts = post_texts(posts, name)
    if tokens is None:
        tokens = _token_table(texts)
    return AnalysedPosts(_features(texts, tokens), tokens)


def token_table(posts: pd.DataFrame | pd.Series, name: str = "posts") -> pd.DataFrame:
    """The flat token table of `posts` alone (the `tokens` of `AnalysedPosts`), without the per-post features."""
    return _token_table(post_texts(posts, name))


def _token_table(texts: pd.Series) -> pd.DataFrame:
    per_post = tokenize_series(texts.reset_index(drop=True))
    exploded = per_post.explode().dropna()
    token = exploded.astype(pd.StringDtype("pyarrow")).reset_index(drop=True)
    kind = token_kinds(token)
    term = token.where(kind != "url", URL_TOKEN)
    return pd.DataFrame(
        {
            "post": exploded.index.to_numpy(dtype=np.int64),
            "token": token,
            "kind": pd.Categorical(kind, categories=KINDS),
            "term": term,
            # Integer ids of the terms, so n-grams are counted on numbers rather than joined strings.
            "term_id": pd.factorize(term)[0].astype(np.int64),
        }
    )


def _features(texts: pd.Series, tokens: pd.DataFrame) -> pd.DataFrame:
    n_posts = len(texts)
    post = tokens["post"].to_numpy()
    kind = tokens["kind"]
    columns: dict[str, np.ndarray] = {
        "chars": texts.str.len().to_numpy(dtype=np.int64),
        "tokens": np.bincount(post, minlength=n_posts),
    }
    for column, token_kind in COUNTED_KINDS.items():
        columns[column] = np.bincount(post[(kind == token_kind).to_numpy()], minlength=n_posts)

    words = tokens[(kind == "word").to_numpy()]
    word_post = words["post"].to_numpy()
    word = words["token"]
    columns["words"] = np.bincount(word_post, minlength=n_posts)
    # URLs are not prose: drop them before looking at punctuation and letter case.
    prose = texts.str.replace(URL_PATTERN, " ", regex=True)
    sentence_ends = prose.str.count(_SENTENCE_END).to_numpy(dtype=np.int64)
    columns["sentences"] = np.where(columns["words"] > 0, np.maximum(sentence_ends, 1), 0)
    columns["syllables"] = np.bincount(word_post, weights=syllable_counts(word), minlength=n_posts).astype(np.int64)
    difficult = ~word.isin(easy_words()).to_numpy(dtype=bool)
    columns["difficult_words"] = np.bincount(word_post[difficult], minlength=n_posts)
    stem = word.str.replace(r"['’].*$", "", regex=True)
    for person, pronouns in PRONOUNS.items():
        columns[f"pronouns_{person}"] = np.bincount(
            word_post[stem.isin(pronouns).to_numpy(dtype=bool)], minlength=n_posts
        )
    columns["has_question"] = prose.str.contains("?", regex=False).to_numpy(dtype=bool)
    columns["has_exclamation"] = prose.str.contains("!", regex=False).to_numpy(dtype=bool)
    # Only letters with a case count: Arabic, Devanagari or CJK text has no upper case to use or not.
    # Deleting the other characters and measuring the rest is one regex pass, not a match per letter.
    columns["cased_letters"] = (
        prose.str.replace(r"[^\p{Lu}\p{Ll}\p{Lt}]+", "", regex=True).str.len().to_numpy(dtype=np.int64)
    )
    columns["uppercase_letters"] = prose.str.replace(r"\P{Lu}+", "", regex=True).str.len().to_numpy(dtype=np.int64)

    with np.errstate(divide="ignore", invalid="ignore"):
        letters = columns["cased_letters"].astype(float)
        columns["uppercase_ratio"] = np.where(letters > 0, columns["uppercase_letters"] / letters, np.nan)
        n_words = columns["words"].astype(float)
        has_words = n_words > 0
        words_per_sentence = n_words / columns["sentences"]
        columns["flesch_kincaid_grade"] = np.where(
            has_words, 0.39 * words_per_sentence + 11.8 * columns["syllables"] / n_words - 15.59, np.nan
        )
        difficult_percent = 100 * columns["difficult_words"] / n_words
        columns["dale_chall"] = np.where(
            has_words,
            0.1579 * difficult_percent + 0.0496 * words_per_sentence + np.where(difficult_percent > 5, 3.6365, 0),
            np.nan,
        )
    frame = pd.DataFrame({name: columns[name] for name in FEATURE_COLUMNS}, index=texts.index)
    int_columns = [c for c in FEATURE_COLUMNS if c not in ("uppercase_ratio", "flesch_kincaid_grade", "dale_chall")
                   and not c.startswith("has_")]
    return frame.astype({c: "int64" for c in int_columns})


def syllable_counts(words: pd.Series) -> np.ndarray:
    """Estimated syllables of each lower-cased word: its groups of vowels (a e i o u y), less a silent final
    "e" (not "-le") when there are two or more groups; at least 1. Vectorised over the distinct words."""
    codes, uniques = pd.factorize(words)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=pd.StringDtype("pyarrow"))
    groups = distinct.str.count(_VOWEL_GROUP).to_numpy(dtype=np.int64)
    silent_e = (distinct.str.endswith("e") & ~distinct.str.endswith("le")).to_numpy(dtype=bool) & (groups > 1)
    per_distinct = np.maximum(groups - silent_e, 1)
    return per_distinct[codes] if len(codes) else np.zeros(0, dtype=np.int64)


@lru_cache(maxsize=1)
def easy_words() -> frozenset[str]:
    """The Dale-Chall list of familiar English words, as shipped with `textstat` (2,940 words)."""
    source = resources.files("textstat").joinpath("resources/en/easy_words.txt")
    return frozenset(line.strip() for line in source.read_text(encoding="utf-8").splitlines() if line.strip())


def top_counts(tokens: pd.DataFrame, kind: str, n: int = 1) -> pd.Series:
    """Counts of the items of one kind (`hashtag`, `emoji`, `mention`, `url`, `word`, or `ngram` for the
    n-grams of vocabulary terms within posts), most frequent first, ties in alphabetical order."""
    if kind == "ngram":
        items = ngrams(tokens, n)
    elif kind in KINDS:
        items = tokens.loc[(tokens["kind"] == kind).to_numpy(), "token"]
    else:
        raise InputError(f"unknown kind {kind!r}: use one of {', '.join((*KINDS, 'ngram'))}.")
    counts = items.value_counts()
    frame = pd.DataFrame({"item": counts.index.astype(str), "count": counts.to_numpy(dtype=np.int64)})
    frame = frame.sort_values(["count", "item"], ascending=[False, True], kind="stable")
    return pd.Series(frame["count"].to_numpy(), index=pd.Index(frame["item"], name="item"), name="count")


def distinct_ngrams(tokens: pd.DataFrame, n: int) -> int:
    """Number of distinct runs of `n` consecutive vocabulary terms inside one post."""
    ids = tokens["term_id"].to_numpy()
    post = tokens["post"].to_numpy()
    count = len(ids) - n + 1
    if count <= 0:
        return 0
    base = int(ids.max()) + 1
    if n * np.log2(base) >= 62:  # the n-gram's number would not fit in int64: count joined strings
        return int(ngrams(tokens, n).nunique())
    key = ids[:count].copy()
    same_post = np.ones(count, dtype=bool)
    for offset in range(1, n):
        key = key * base + ids[offset : offset + count]
        same_post &= post[offset : offset + count] == post[:count]
    return len(pd.unique(key[same_post]))


def ngrams(tokens: pd.DataFrame, n: int) -> pd.Series:
    """Every run of `n` consecutive vocabulary terms inside one post, joined by spaces."""
    if n < 1:
        raise InputError(f"n-gram length must be 1 or more, got {n}.")
    terms = tokens["term"].reset_index(drop=True)
    post = tokens["post"].to_numpy()
    count = len(terms) - n + 1
    if count <= 0:
        return pd.Series([], dtype=pd.StringDtype("pyarrow"))
    joined = terms.iloc[:count].reset_index(drop=True)
    same_post = np.ones(count, dtype=bool)
    for offset in range(1, n):
        joined = joined + " " + terms.iloc[offset : offset + count].reset_index(drop=True)
        same_post &= post[offset : offset + count] == post[:count]
    return joined[same_post].reset_index(drop=True)
