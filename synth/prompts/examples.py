"""Which real posts a prompt shows: a platform's posts, the examples drawn from them with a call's seed, and
(`multi-platform`) the posts on the topic from the other platforms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth import schema
from synth.errors import InputError
from synth.platforms import PLATFORMS, Platform
from synth.prompts.style import topic_mask


@dataclass(frozen=True)
class PlatformExamples:
    """Another platform of the real data, as `multi-platform` shows it beside the target.

    Attributes:
        platform: the platform's description.
        posts: all its real posts (its style profile is measured on them).
        examples: the real posts on the topic shown, in prompt order.
    """

    platform: Platform
    posts: pd.DataFrame
    examples: pd.DataFrame


def sample_examples(
    platform_posts: pd.DataFrame, topic_id: str, *, k: int, seed: int
) -> tuple[pd.DataFrame, int]:
    """Pick up to `k` distinct real posts from one platform, from the topic first.

    Posts are ordered by post_id before sampling so the same seed picks the same posts whatever the row
    order; posts with the same text count once, so no example appears twice.

    Returns:
        The examples (rows of `platform_posts`) and how many came from outside the topic.
    """
    rng = np.random.default_rng(seed)
    posts = platform_posts.sort_values(schema.POST_ID, kind="stable").drop_duplicates(schema.TEXT)
    in_topic = topic_mask(posts, topic_id)
    chosen = _sample(posts[in_topic], k, rng)
    fallback = 0
    if len(chosen) < k:
        others = posts[~in_topic & ~posts[schema.TEXT].isin(chosen[schema.TEXT])]
        extra = _sample(others, k - len(chosen), rng)
        fallback = len(extra)
        chosen = pd.concat([chosen, extra])
    return chosen, fallback


def other_platform_examples(
    real_posts: pd.DataFrame, topic_id: str, platform: str, *, k: int, seed: int
) -> tuple[PlatformExamples, ...]:
    """Up to `k` distinct real posts on the topic from each platform of the real data other than `platform`,
    in `synth.platforms.PLATFORMS` order. A platform with no post on the topic is left out: posts from its
    other topics would show its style but contrast nothing about this topic."""
    present = set(real_posts[schema.PLATFORM].dropna())
    others = []
    for name, info in PLATFORMS.items():
        if name == platform or name not in present:
            continue
        posts = _nonblank_posts(real_posts, name)
        on_topic = posts[topic_mask(posts, topic_id)]
        if not on_topic.empty:
            examples, _ = sample_examples(on_topic, topic_id, k=k, seed=seed)
            others.append(PlatformExamples(info, posts, examples))
    return tuple(others)


def _nonblank_posts(real_posts: pd.DataFrame, name: str) -> pd.DataFrame:
    posts = real_posts[real_posts[schema.PLATFORM] == name]
    return posts[posts[schema.TEXT].astype("string").str.strip().fillna("") != ""]


def platform_posts(real_posts: pd.DataFrame, name: str, label: str) -> pd.DataFrame:
    missing = [c for c in (schema.POST_ID, schema.PLATFORM, schema.TEXT) if c not in real_posts.columns]
    if missing:
        raise InputError(f"real posts lack column(s) {', '.join(missing)}; load them with synth.io.load_posts")
    posts = _nonblank_posts(real_posts, name)
    if posts.empty:
        raise InputError(
            f"there are no real {label} posts to take examples and style from; load some {label} posts or "
            "choose a platform that the real data has (or the 'platform-aware' strategy, which needs none)"
        )
    return posts


def _sample(posts: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(posts) <= n:
        return posts.iloc[rng.permutation(len(posts))]
    return posts.iloc[rng.choice(len(posts), size=n, replace=False)]

