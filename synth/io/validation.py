"""The validation report: what was read, how, what was dropped and why, and what the posts look like."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from synth.io.limits import LANGUAGE_SAMPLE, MAX_ROWS, MAX_TEXT_CHARS, MAX_UPLOAD_MB
from synth.text import count_features

# Reasons a row is dropped, as shown to people.
EMPTY = "empty or non-text"
DUPLICATE = "exact duplicate"
UNKNOWN_PLATFORM = "unknown platform"
OVER_LONG = f"over-long text (> {MAX_TEXT_CHARS:,} chars)"
MALFORMED = "malformed row"
DUPLICATE_ACROSS_FILES = "duplicate of a post in an earlier file"


@dataclass
class FileReport:
    """How one file was read and validated."""

    name: str
    format: str
    shape: str
    mapping: dict[str, str | None]
    encoding: str | None = None
    delimiter: str | None = None
    platform_source: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    platform_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int, examples: list[str] | None = None) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)
            self.examples.setdefault(reason, []).extend((examples or [])[: 5 - len(self.examples.get(reason, []))])


@dataclass
class IngestReport:
    """The report over every file of one load."""

    files: list[FileReport] = field(default_factory=list)
    platform_counts: dict[str, int] = field(default_factory=dict)
    languages: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    limits: dict[str, int] = field(
        default_factory=lambda: {"max_upload_mb": MAX_UPLOAD_MB, "max_rows_per_file": MAX_ROWS,
                                 "max_text_chars": MAX_TEXT_CHARS}
    )

    @property
    def rows_read(self) -> int:
        return sum(file.rows_read for file in self.files)

    @property
    def rows_kept(self) -> int:
        return sum(self.platform_counts.values())

    @property
    def dropped(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for file in self.files:
            for reason, count in file.dropped.items():
                total[reason] = total.get(reason, 0) + count
        return total

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_read": self.rows_read, "rows_kept": self.rows_kept, "dropped": self.dropped}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The report as plain text (the CLI prints this)."""
        lines = [f"Read {self.rows_read:,} rows from {len(self.files)} file(s); kept {self.rows_kept:,} posts."]
        for file in self.files:
            how = ", ".join(part for part in (file.format, file.shape, file.encoding,
                                               f"delimiter {file.delimiter!r}" if file.delimiter else "") if part)
            lines.append(f"\n{file.name}: {how}")
            mapped = ", ".join(f"{role}={column}" for role, column in file.mapping.items() if column)
            lines.append(f"  mapping: {mapped}; platform {file.platform_source}")
            lines.append(f"  rows read {file.rows_read:,}, kept {file.rows_kept:,}")
            for reason, count in file.dropped.items():
                example = f" (e.g. {file.examples[reason][0]})" if file.examples.get(reason) else ""
                lines.append(f"  dropped {count:,}: {reason}{example}")
            lines.extend(f"  note: {note}" for note in file.notes)
        lines.append("\nPosts per platform: " + ", ".join(f"{p} {n:,}" for p, n in self.platform_counts.items()))
        if self.languages:
            lines.append("Languages (sample): " + ", ".join(f"{lang} {share:.0%}" for lang, share in
                                                             self.languages.items()))
        lines.extend(f"note: {note}" for note in self.notes)
        lines.append(f"Limits: {MAX_UPLOAD_MB} MB and {MAX_ROWS:,} rows per file; texts over {MAX_TEXT_CHARS:,} "
                     "characters are dropped.")
        return "\n".join(lines)


def language_mix(texts: pd.Series, *, sample: int = LANGUAGE_SAMPLE, top: int = 8) -> dict[str, float]:
    """Share of each language over a fixed random sample of posts (py3langid), largest first.

    Languages outside the `top` most common are summed under 'other'.
    """
    import py3langid  # loads its model on import (about a second): only when a report needs it

    texts = texts.dropna()
    texts = texts[texts.str.len() >= 20]  # shorter posts are guessed too poorly to count
    if texts.empty:
        return {}
    picked = texts.sample(n=min(sample, len(texts)), random_state=0)
    # The first 300 characters tell the language as well as the whole post, at a fraction of the cost.
    languages = pd.Series([py3langid.classify(text[:300])[0] for text in picked]).value_counts(normalize=True)
    shares = {str(lang): round(float(share), 3) for lang, share in languages.head(top).items()}
    if len(languages) > top:
        shares["other"] = round(float(languages.iloc[top:].sum()), 3)
    return shares


def platform_stats(posts: pd.DataFrame, *, sample: int = 5_000) -> pd.DataFrame:
    """Per platform: posts, median length, and share of posts with hashtags, mentions, URLs and emoji.

    The shares come from a fixed random sample of at most `sample` posts per platform, to stay fast.
    """
    rows = []
    for platform, group in posts.groupby("platform", sort=True):
        texts = group["text"]
        picked = texts.sample(n=min(sample, len(texts)), random_state=0)
        features = count_features(picked)
        rows.append({
            "platform": platform,
            "posts": len(group),
            "median_chars": float(texts.str.len().median()),
            "with_hashtags": float((features["hashtags"] > 0).mean()),
            "with_mentions": float((features["mentions"] > 0).mean()),
            "with_urls": float((features["urls"] > 0).mean()),
            "with_emoji": float((features["emoji"] > 0).mean()),
        })
    return pd.DataFrame(rows)
