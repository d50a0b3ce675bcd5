"""Data page helpers: parse each upload once, the mapping widgets, and the report's rendering.

Parsed uploads are memoised in this session's state, keyed by the upload's id, rather than in
`st.cache_data`: that cache pickles what it stores, and user text is never pickled; session state also
keeps one researcher's posts out of everyone else's cache.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from synth.errors import InputError
from synth.io import ROLES, ColumnMapping, IngestReport, LoadedFile, RawFile, combine, platform_stats, read_file
from synth.io.mapping import platform_from_file_name
from synth.platforms import PLATFORMS
from synth.plots.ingest import feature_share_figure
from ui.format import escape_markdown

_PARSED = "ingest_parsed_uploads"
_LOADED = "ingest_loaded_files"
_COMBINED = "ingest_combined"
_STATS = "ingest_platform_stats"
NONE = "(none)"
_ROLE_LABELS = {"text": "Text column", "platform": "Platform column", "post_id": "Id column",
                "created_at": "Date column", "author": "Author column", "engagement": "Engagement column",
                "topic": "Topic column"}
def read_upload(upload: Any) -> RawFile | InputError:
    """Parse an uploaded file once per upload; the error, if any, is kept and returned too."""
    memo: dict[str, RawFile | InputError] = st.session_state.setdefault(_PARSED, {})
    if upload.file_id not in memo:
        try:
            memo[upload.file_id] = read_file(upload.getvalue(), name=upload.name)
        except InputError as error:
            memo[upload.file_id] = error
    return memo[upload.file_id]


def forget_other_uploads(file_ids: set[str]) -> None:
    """Drop memoised parses of files no longer uploaded (frees their memory)."""
    for key in (_PARSED, _LOADED):
        memo = st.session_state.get(key, {})
        for file_id in [k for k in memo if (k if isinstance(k, str) else k[0]) not in file_ids]:
            del memo[file_id]


def describe(raw: RawFile) -> str:
    """One line on how the file was read, escaped for markdown."""
    parts = [raw.format.upper(), raw.parsed.shape.replace("_", " "), raw.parsed.encoding,
             f"delimiter {raw.parsed.delimiter!r}" if raw.parsed.delimiter else None,
             f"{len(raw.parsed.table):,} rows"]
    return escape_markdown(" · ".join(part for part in parts if part))


def mapping_widgets(raw: RawFile, file_id: str) -> tuple[ColumnMapping, str | None]:
    """Selectboxes for each role (defaults: the guesses) and, when needed, the file's platform."""
    columns = raw.columns
    chosen: dict[str, str | None] = {}
    boxes = st.columns(4)
    for index, role in enumerate(ROLES):
        guess = getattr(raw.mapping, role)
        options = columns if role == "text" else [NONE, *columns]
        # No text guess: the box starts empty and the page asks for a choice, rather than picking one.
        default = options.index(guess) if guess in options else (None if role == "text" else 0)
        value = boxes[index % 4].selectbox(
            _ROLE_LABELS[role], options, index=default, placeholder="Choose the text column...",
            key=f"map_{role}_{file_id}",
        )
        chosen[role] = None if value == NONE else value
    mapping = ColumnMapping(**chosen)
    platform = None
    if mapping.platform is None:
        implied, by_name = raw.platform, platform_from_file_name(raw.name)
        why = " (implied by the export format)" if implied else " (guessed from the file name)" if by_name else ""
        implied = implied or by_name
        names = list(PLATFORMS)
        platform = st.selectbox(
            "Platform of these posts" + why, names,
            index=names.index(implied) if implied else None, placeholder="Choose the platform...",
            format_func=lambda name: PLATFORMS[name].label, key=f"platform_{file_id}",
        )
    return mapping, platform


def to_posts(raw: RawFile, file_id: str, mapping: ColumnMapping, platform: str | None) -> LoadedFile:
    """Map an upload to canonical posts, memoised per (upload, mapping, platform). Raises InputError."""
    memo: dict[tuple[str, ColumnMapping, str | None], LoadedFile] = st.session_state.setdefault(_LOADED, {})
    key = (file_id, mapping, platform)
    if key not in memo:
        memo[key] = raw.to_posts(mapping, platform=platform)
    return memo[key]


def combine_files(files: list[LoadedFile]) -> tuple[pd.DataFrame, IngestReport]:
    """`synth.io.combine`, recomputed only when the set of loaded files changes."""
    cached = st.session_state.get(_COMBINED)
    # Compared by identity: to_posts hands back the same LoadedFile while upload and mapping are unchanged.
    unchanged = cached is not None and len(cached[0]) == len(files) and all(
        old is new for old, new in zip(cached[0], files, strict=True))
    if not unchanged:
        cached = (list(files), *combine(files))
        st.session_state[_COMBINED] = cached
    assert cached is not None
    return cached[1], cached[2]


def report_tables(report: IngestReport) -> pd.DataFrame:
    """One row per file: how it was read, rows read and kept, and each drop reason."""
    rows = []
    for file in report.files:
        row: dict[str, Any] = {"file": file.name, "format": file.format, "shape": file.shape,
                               "platform": file.platform_source, "rows read": file.rows_read,
                               "posts kept": file.rows_kept}
        row.update({f"dropped: {reason}": count for reason, count in file.dropped.items()})
        rows.append(row)
    return pd.DataFrame(rows).fillna(0)


def stats_figure(posts: pd.DataFrame) -> tuple[pd.DataFrame, go.Figure]:
    """Per-platform basic stats and their figure (`synth.plots.ingest.feature_share_figure`), computed once
    per table of posts (not on every rerun of the page)."""
    cached = st.session_state.get(_STATS)
    if cached is not None and cached[0] is posts:  # the same combined table as last run
        return cached[1], cached[2]
    stats = platform_stats(posts)
    figure = feature_share_figure(stats)
    st.session_state[_STATS] = (posts, stats, figure)
    return stats, figure
