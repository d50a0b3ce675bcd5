"""Calibrate: move each platform's style toward its real profile, changing as few posts as possible.

For each platform and each marker (hashtags, @mentions, URLs, emoji) and for length, the synthetic posts are
ranked by their own count and each is given the real count at the same rank (the real distribution's quantile:
1-D optimal transport, so the synthetic counts take the real distribution and a post moves only as far as
needed). A post above its target loses its surplus (repeated hashtags first, then the last ones); a post below
gains what is missing (at most MAX_ADDED_PER_MARKER of each), drawn from the real platform's own hashtags and
emoji by frequency, and, for mentions and links, placeholders in the platform's format (`@user_4821`,
`u/user_4821`, `https://t.co/Xk3...`): never a real person's handle. Length is only ever cut, at a sentence
boundary (at a clause boundary when the first sentence alone is too long). Casing: as many posts start in lower
case as the real share says (posts opening with "I" or an acronym are left alone).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from synth import schema
from synth.postprocess.base import CHANGED, Change, Context, StepResult, texts
from synth.text import HASHTAG_RE, MENTION_RE, URL_RE, emoji_re, trim_to_clause, trim_to_sentences

MARKERS: dict[str, re.Pattern[str] | None] = {"hashtags": HASHTAG_RE, "mentions": MENTION_RE, "urls": URL_RE,
                                              "emoji": None}
# A post gains at most this many of one marker: a run of links or tags appended without context reads as spam,
# not as a person's post (the rank target can ask for a real post's six links at the top of the distribution).
MAX_ADDED_PER_MARKER = 2
_DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?([^/\s?#]+)", re.IGNORECASE)
_LOWERABLE_RE = re.compile(r"^([A-Z])([a-z])")


def _pattern(marker: str) -> re.Pattern[str]:
    return MARKERS[marker] or emoji_re()


class _PlatformProfile:
    """One platform's real distributions: marker counts, lengths, pools to draw from, formats."""

    def __init__(self, real_texts: list[str]) -> None:
        self.counts = {marker: np.array([len(_pattern(marker).findall(t)) for t in real_texts]) for marker in MARKERS}
        self.chars = np.array([len(t) for t in real_texts])
        self.hashtags = Counter(tag for t in real_texts for tag in HASHTAG_RE.findall(t))
        self.emoji = Counter(e for t in real_texts for e in emoji_re().findall(t))
        self.domains = Counter(m.group(1).lower() for t in real_texts for url in URL_RE.findall(t)
                               if (m := _DOMAIN_RE.match(url)))
        mentions = [m for t in real_texts for m in MENTION_RE.findall(t)]
        self.mention_prefix = "u/" if sum(m.startswith("u/") for m in mentions) > len(mentions) / 2 else "@"
        starts = [bool(MENTION_RE.match(t.lstrip())) for t in real_texts if MENTION_RE.search(t)]
        self.mentions_lead = bool(starts) and sum(starts) >= len(starts) / 2
        stripped = [t.lstrip() for t in real_texts if t.strip()]
        self.lowercase_share = float(np.mean([t[0].islower() for t in stripped])) if stripped else 0.0


def _rank_targets(values: np.ndarray, real: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each value's target: the real quantile at its rank among `values` (ties broken at random)."""
    order = np.lexsort((rng.random(len(values)), values))
    targets = np.empty(len(values), dtype=np.int64)
    quantiles = (np.arange(len(values)) + 0.5) / len(values)
    targets[order] = np.quantile(real, quantiles, method="inverted_cdf").astype(np.int64)
    return targets


class Calibrate:
    """The calibrate step (see the module docstring)."""

    name = "calibrate"

    def fit(self, context: Context) -> Calibrate:
        real = context.real
        self.seed = context.seed
        self.profiles = {
            str(platform): _PlatformProfile(texts(group)) for platform, group in real.groupby(schema.PLATFORM)
        }
        return self

    def record(self) -> dict[str, Any]:
        """What the fitted profiles hold, for steps.json."""
        return {platform: {"median_chars": float(np.median(p.chars)), "lowercase_share": round(p.lowercase_share, 3),
                           **{f"{m}_share": round(float((p.counts[m] > 0).mean()), 3) for m in MARKERS},
                           "mention_format": p.mention_prefix + "user_NNNN"}
                for platform, p in self.profiles.items()}

    def apply(self, posts: pd.DataFrame) -> StepResult:
        rng = np.random.default_rng(self.seed)
        new_texts = texts(posts)
        ids = posts[schema.POST_ID].astype(str).tolist()
        changes: list[Change] = []
        platforms = posts[schema.PLATFORM].astype(str).to_numpy()
        for platform in sorted(set(platforms)):
            profile = self.profiles.get(platform)
            if profile is None:
                continue  # no real posts of this platform: nothing to calibrate toward
            rows = np.flatnonzero(platforms == platform)
            for row, reason, detail, after in self._calibrate_platform([new_texts[r] for r in rows], profile, rng):
                changes.append(Change(ids[rows[row]], CHANGED, reason, detail, new_texts[rows[row]], after))
                new_texts[rows[row]] = after
        kept = posts.copy()
        kept[schema.TEXT] = pd.array(new_texts, dtype="string")
        return StepResult(kept, changes)

    def _calibrate_platform(
        self, values: list[str], profile: _PlatformProfile, rng: np.random.Generator
    ) -> list[tuple[int, str, str, str]]:
        """(row, reason, detail, new text) for each change, in order, on one platform's posts."""
        out: list[tuple[int, str, str, str]] = []
        current = list(values)

        def apply(row: int, reason: str, detail: str, text: str) -> None:
            if text != current[row]:
                out.append((row, reason, detail, text))
                current[row] = text

        targets = {m: _rank_targets(np.array([len(_pattern(m).findall(t)) for t in current]), profile.counts[m], rng)
                   for m in MARKERS}
        for marker in MARKERS:  # surplus first, so length is judged on what stays
            for row, text in enumerate(current):
                have = len(_pattern(marker).findall(text))
                if have > targets[marker][row]:
                    apply(row, f"fewer_{marker}", f"{have} -> {targets[marker][row]} (real profile)",
                          _remove_surplus(text, marker, int(targets[marker][row])))
        length_targets = _rank_targets(np.array([len(t) for t in current]), profile.chars, rng)
        for row, text in enumerate(current):
            if len(text) > length_targets[row]:
                target = int(length_targets[row])
                trimmed, where = trim_to_sentences(text, target), "a sentence"
                if trimmed is None:
                    trimmed, where = trim_to_clause(text, target), "a clause"
                if trimmed is not None:
                    apply(row, "trim_length", f"{len(text)} -> {len(trimmed)} characters at the end of {where} "
                          f"(target {target})", trimmed)
        # Casing before additions: an added leading @mention would hide how the text itself opens.
        n_lower = round(profile.lowercase_share * len(current)) - sum(t.lstrip()[:1].islower() for t in current)
        candidates = [row for row, t in enumerate(current) if _LOWERABLE_RE.match(t.lstrip())]
        if n_lower > 0 and candidates:
            for row in rng.choice(candidates, size=min(n_lower, len(candidates)), replace=False):
                text = current[int(row)].lstrip()
                apply(int(row), "lowercase_start", "starts in lower case (real share)", text[0].lower() + text[1:])
        for marker in MARKERS:
            for row, text in enumerate(current):
                missing = min(int(targets[marker][row]) - len(_pattern(marker).findall(text)), MAX_ADDED_PER_MARKER)
                if missing > 0:
                    added = [self._draw(marker, profile, rng) for _ in range(missing)]
                    apply(row, f"more_{marker}", f"added {' '.join(added)}", _add(text, marker, added, profile))
        return out

    def _draw(self, marker: str, profile: _PlatformProfile, rng: np.random.Generator) -> str:
        if marker == "mentions":
            return f"{profile.mention_prefix}user_{rng.integers(1000, 10000)}"
        if marker == "urls":
            domains = profile.domains or Counter({"example.com": 1})
            token = "".join(rng.choice(list(string.ascii_letters + string.digits), size=10))
            return f"https://{_weighted(domains, rng)}/{token}"
        pool = profile.hashtags if marker == "hashtags" else profile.emoji
        return _weighted(pool, rng) if pool else ""


def _weighted(counter: Counter[str], rng: np.random.Generator) -> str:
    items = list(counter)
    weights = np.array([counter[item] for item in items], dtype=float)
    return str(items[rng.choice(len(items), p=weights / weights.sum())])


def _remove_surplus(text: str, marker: str, keep: int) -> str:
    """`text` with only `keep` of its markers: repeats go first, then the last ones."""
    matches = list(_pattern(marker).finditer(text))
    seen: set[str] = set()
    repeats: list[re.Match[str]] = []
    firsts: list[re.Match[str]] = []
    for match in matches:
        (repeats if match.group(0).lower() in seen else firsts).append(match)
        seen.add(match.group(0).lower())
    drop = (repeats[::-1] + firsts[::-1])[: len(matches) - keep]
    for match in sorted(drop, key=lambda m: m.start(), reverse=True):
        text = text[: match.start()] + text[match.end() :]
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _add(text: str, marker: str, added: list[str], profile: _PlatformProfile) -> str:
    items = [item for item in added if item]
    if not items:
        return text
    if marker == "mentions" and profile.mentions_lead:
        return " ".join(items) + " " + text
    joiner = "" if marker == "emoji" else " "
    return text.rstrip() + " " + joiner.join(items)
