"""How one platform's real posts look, measured: length, hashtag/mention/URL/emoji rates, typical hashtags,
register. Prompts describe the platform to the model with these numbers rather than with clichés."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from synth import schema
from synth.errors import InputError
from synth.text import HASHTAG_RE, count_features

MAX_TYPICAL_HASHTAGS = 5


@dataclass(frozen=True)
class StyleProfile:
    """How one platform's real posts look, measured (shares are fractions of posts in 0..1)."""

    platform: str
    n_posts: int
    median_chars: int
    p10_chars: int
    p90_chars: int
    hashtag_share: float
    mention_share: float
    url_share: float
    emoji_share: float
    lowercase_start_share: float
    exclamation_share: float
    typical_hashtags: tuple[str, ...] = ()

    @property
    def register(self) -> str:
        """A short description of the register, with the measured shares it rests on."""
        informal = self.lowercase_start_share >= 0.25 or self.exclamation_share >= 0.25 or self.emoji_share >= 0.25
        return (
            f"{'informal' if informal else 'neutral'} ({pct(self.lowercase_start_share)} start in lower case, "
            f"{pct(self.exclamation_share)} use '!')"
        )


def style_profile(platform_posts: pd.DataFrame, platform: str, *, topic_id: str | None = None) -> StyleProfile:
    """Measure how one platform's real posts look.

    Typical hashtags come from the topic's posts on the platform when they use any, else from all of the
    platform's posts. Results are cached on the texts' content, so repeated calls are cheap.
    """
    if platform_posts.empty:
        raise InputError(f"no real {platform} posts to measure a style profile on; load some first")
    texts = platform_posts[schema.TEXT].astype("string").fillna("")
    in_topic = topic_mask(platform_posts, topic_id) if topic_id is not None else pd.Series(False, texts.index)
    key = (platform, schema.content_hash(texts), schema.content_hash(in_topic.astype("int8")))
    if key not in _PROFILE_CACHE:
        if len(_PROFILE_CACHE) > 256:
            _PROFILE_CACHE.clear()
        _PROFILE_CACHE[key] = _measure(texts, platform, in_topic)
    return _PROFILE_CACHE[key]


_PROFILE_CACHE: dict[tuple[str, str, str], StyleProfile] = {}


def topic_mask(posts: pd.DataFrame, topic_id: str | None) -> pd.Series:
    """True for the posts whose `topic` column equals `topic_id` (all False without the column)."""
    if schema.TOPIC not in posts.columns or topic_id is None:
        return pd.Series(False, index=posts.index)
    return (posts[schema.TOPIC].astype("string") == topic_id).fillna(False).astype(bool)


def _measure(texts: pd.Series, platform: str, in_topic: pd.Series) -> StyleProfile:
    features = count_features(texts)
    chars = features["chars"]
    stripped = texts.str.lstrip()
    topic_tags = _top_hashtags(texts[in_topic])
    return StyleProfile(
        platform=platform,
        n_posts=len(texts),
        median_chars=round(chars.median()),
        p10_chars=round(chars.quantile(0.1)),
        p90_chars=round(chars.quantile(0.9)),
        hashtag_share=float((features["hashtags"] > 0).mean()),
        mention_share=float((features["mentions"] > 0).mean()),
        url_share=float((features["urls"] > 0).mean()),
        emoji_share=float((features["emoji"] > 0).mean()),
        lowercase_start_share=float(stripped.str.match(r"[a-z]").fillna(False).mean()),
        exclamation_share=float(texts.str.contains("!", regex=False).mean()),
        typical_hashtags=topic_tags or _top_hashtags(texts),
    )


def _top_hashtags(texts: pd.Series) -> tuple[str, ...]:
    counts = Counter(tag.lower() for tags in texts.str.findall(HASHTAG_RE) for tag in tags)
    return tuple(tag for tag, _ in counts.most_common(MAX_TYPICAL_HASHTAGS))


def pct(share: float) -> str:
    """A share in 0..1 as a whole percentage, e.g. 0.375 -> '38%'."""
    return f"{round(100 * share)}%"
