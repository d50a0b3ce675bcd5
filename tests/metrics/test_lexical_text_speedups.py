"""The fast emoji regex and tokenizer paths in synth.text match what the plain longest-first alternation
over the emoji table matches (the metrics rely on them to run on 10k+ posts in seconds)."""

from __future__ import annotations

import random
import re

import emoji
import pandas as pd

from synth.text import count_features, emoji_re, may_hold_emoji, tokenize, tokenize_series

HARD_CASES = ["👨‍👩‍👧‍👦", "🇫🇷", "👍🏽", "❤️", "❤", "1️⃣", "2⃣", "#️⃣", "*️⃣", "🏳️‍🌈", "©", "™", "Ⓜ️", "🏽", "‍"]


def _reference_emoji_re() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in sorted(emoji.EMOJI_DATA, key=len, reverse=True)))


def test_every_emoji_in_the_table_is_one_match() -> None:
    pattern = emoji_re()
    assert all(pattern.fullmatch(symbol) for symbol in emoji.EMOJI_DATA)


def test_emoji_matches_equal_the_longest_first_alternation() -> None:
    symbols = random.Random(0).sample(sorted(emoji.EMOJI_DATA), 300) + HARD_CASES
    texts = ["".join(symbols), " x ".join(symbols), "a" + "b1".join(symbols[::-1]) + "Z"]
    reference = _reference_emoji_re()
    for text in texts:
        assert emoji_re().findall(text) == reference.findall(text)


def test_series_paths_equal_the_one_post_tokenizer() -> None:
    texts = pd.Series(
        ["Hi 👋 @Bob #Tag https://t.co/X1 ok!", "plain words only, 2021", "keycap 1️⃣ and 3", "ⓜ Ⓜ️ ™", "", None],
        index=[5, 3, 9, 1, 2, 0],
    )
    tokens = tokenize_series(texts)
    assert tokens.index.tolist() == texts.index.tolist()
    assert [list(t) for t in tokens] == [tokenize(t if isinstance(t, str) else "") for t in texts]
    assert may_hold_emoji(texts).tolist() == [True, False, True, True, False, False]
    assert count_features(texts)["tokens"].tolist() == [len(tokenize(t if isinstance(t, str) else "")) for t in texts]
