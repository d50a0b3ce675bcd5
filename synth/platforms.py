"""Platform names, their aliases, limits and conventions, in one place.

Measured style (length distribution, hashtag rates...) comes from the real posts at run time; what lives
here is what is true of a platform whatever the dataset: its canonical name, how people spell it, its
length limit and the conventions a faithful post follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """What is fixed about one platform.

    Attributes:
        name: canonical lower-case name used everywhere in data (`twitter`, `reddit`...).
        label: how to show it to people.
        max_chars: the platform's length limit for one post or comment (the longest form we ingest).
        aliases: other spellings that mean this platform (compared case-insensitively, punctuation ignored).
        conventions: one line on how posts there look, used in prompts.
    """

    name: str
    label: str
    max_chars: int
    aliases: tuple[str, ...]
    conventions: str


_ALL = (
    Platform(
        "twitter", "Twitter/X", 280,
        ("x", "x.com", "twitter.com", "tweet", "tweets", "twitter/x", "x/twitter", "tw"),
        "short posts up to 280 characters; hashtags, @mentions and links are common; informal and terse",
    ),
    Platform(
        "reddit", "Reddit", 40_000,
        ("reddit.com", "subreddit", "redditor", "rd"),
        "posts with a title and a body, and threaded comments; conversational, longer, few hashtags; "
        "mentions as u/name and communities as r/name",
    ),
    Platform(
        "youtube", "YouTube", 10_000,
        ("yt", "youtube.com", "youtu.be", "youtube comment", "youtube comments"),
        "comments under videos, often short reactions addressed to the creator; video titles and descriptions "
        "from channels; emoji common",
    ),
    Platform(
        "instagram", "Instagram", 2_200,
        ("ig", "insta", "instagram.com", "instagram post"),
        "captions up to 2,200 characters; many hashtags, often in a block at the end; emoji heavy",
    ),
    Platform(
        "tiktok", "TikTok", 4_000,
        ("tik tok", "tiktok.com", "tt", "douyin"),
        "short captions with trending hashtags (#fyp) and emoji; comments are brief and playful",
    ),
    Platform(
        "telegram", "Telegram", 4_096,
        ("tg", "t.me", "telegram.org", "telegram channel"),
        "channel messages up to 4,096 characters, often news-like with links; forwarded posts are common",
    ),
    Platform(
        "facebook", "Facebook", 63_206,
        ("fb", "facebook.com", "meta", "fb.com", "crowdtangle"),
        "posts and comments of any length; pages share links with a line of commentary; fewer hashtags",
    ),
    Platform(
        "mastodon", "Mastodon", 500,
        ("fediverse", "toot", "toots"),
        "posts up to 500 characters; hashtags in CamelCase for accessibility; content warnings",
    ),
    Platform(
        "bluesky", "Bluesky", 300,
        ("bsky", "bsky.app", "bluesky social"),
        "posts up to 300 characters; conversational; links and mentions as @name.bsky.social",
    ),
    Platform(
        "threads", "Threads", 500,
        ("threads.net", "instagram threads"),
        "posts up to 500 characters; casual, one tag per post",
    ),
    Platform(
        "linkedin", "LinkedIn", 3_000,
        ("linked in", "linkedin.com", "li"),
        "professional register; line breaks between short paragraphs; a few hashtags at the end",
    ),
)

PLATFORMS: dict[str, Platform] = {platform.name: platform for platform in _ALL}


def _key(value: str) -> str:
    # "Twitter.com", " twitter/X ", "TIK-TOK" all compare on their letters, digits, dots and slashes.
    return re.sub(r"[\s_\-]+", " ", value.strip().lower()).replace("www.", "")


_ALIASES: dict[str, str] = {}
for _platform in _ALL:
    for _alias in (_platform.name, _platform.label, *_platform.aliases):
        _ALIASES[_key(_alias)] = _platform.name
        _ALIASES[_key(_alias).replace(" ", "")] = _platform.name


def normalise_platform(value: object) -> str | None:
    """Return the canonical platform name for `value`, or None when it names no platform we know.

    >>> normalise_platform("X"), normalise_platform("twitter.com"), normalise_platform("IG")
    ('twitter', 'twitter', 'instagram')
    """
    if not isinstance(value, str) or not value.strip():
        return None
    key = _key(value)
    return _ALIASES.get(key) or _ALIASES.get(key.replace(" ", "")) or _ALIASES.get(key.removeprefix("https://"))


def get_platform(name: str) -> Platform:
    """The Platform for a canonical name or alias; raises KeyError with the known names otherwise."""
    canonical = normalise_platform(name)
    if canonical is None:
        raise KeyError(f"unknown platform {name!r}; known: {', '.join(PLATFORMS)}")
    return PLATFORMS[canonical]
