"""What a parser hands back: the raw table plus what it noticed, before any column mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Parsed:
    """A file's rows as read, one column per field, before mapping to the canonical schema.

    Attributes:
        table: the rows; text columns as strings.
        shape: what the contents look like (`table`, `twitter_api_v2`, `reddit_dump`, `telegram_export`...).
        platform: the platform the shape implies (a Telegram export is Telegram), or None.
        encoding: the text encoding used, for text formats.
        delimiter: the field separator, for CSV/TSV.
        malformed: rows or lines that could not be parsed and were skipped.
        malformed_examples: up to five of them, shortened, to show the user.
        notes: anything else the user should know about how the file was read.
    """

    table: pd.DataFrame
    shape: str = "table"
    platform: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def shorten(text: str, limit: int = 80) -> str:
    """One line, at most `limit` characters, for showing a bad row in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
