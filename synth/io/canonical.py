"""From a parsed table and its column mapping to posts in the canonical schema, with the row drops reported.

Rows are dropped only for the reasons in the report (each row counted once, under the first that applies):
malformed (skipped by the parser), empty or non-text (blank, a number or other non-string value, Reddit's
`[deleted]`/`[removed]` placeholders), exact duplicate (every field of the record equal to an earlier
row's: the same record exported twice; equal texts from different records are kept: repeated posts are
data), unknown platform, over-long text. Post text is kept exactly as written, HTML included: it is data.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from synth import schema
from synth.errors import InputError
from synth.io.limits import MAX_TEXT_CHARS
from synth.io.mapping import ColumnMapping, check_mapping
from synth.io.parsed import Parsed, shorten
from synth.io.validation import DUPLICATE, EMPTY, MALFORMED, OVER_LONG, UNKNOWN_PLATFORM, FileReport
from synth.platforms import PLATFORMS, normalise_platform

_PLACEHOLDERS = ("[deleted]", "[removed]")
_HTML_TAG = re.compile(r"<[a-zA-Z/!][^>]{0,200}>")


def to_canonical(parsed: Parsed, *, name: str, file_format: str, mapping: ColumnMapping,
                 platform: str | None = None) -> tuple[pd.DataFrame, FileReport]:
    """Map, validate and normalise one parsed file.

    Args:
        parsed: the file's rows as read.
        name: the file name, for messages and generated ids.
        file_format: the detected format family, for the report.
        mapping: which column holds what (mapping.text is required).
        platform: the platform of rows without one (no platform column, or a blank cell in it).

    Raises:
        InputError: a mapped column is missing, no platform can be found, or no row is left.
    """
    table = parsed.table.reset_index(drop=True)
    check_mapping(mapping, table, name)
    chosen = _chosen_platform(platform, name)
    report = FileReport(name=name, format=file_format, shape=parsed.shape, mapping=mapping.as_dict(),
                        encoding=parsed.encoding, delimiter=parsed.delimiter, rows_read=len(table) + parsed.malformed)
    report.drop(MALFORMED, parsed.malformed, parsed.malformed_examples)
    report.notes.extend(parsed.notes)
    row_label = pd.Series(range(1, len(table) + 1), index=table.index).astype("str").radd("row ")

    text = _as_text(table[mapping.text])
    empty = text.isna() | (text.str.strip().fillna("") == "") | text.str.strip().isin(_PLACEHOLDERS)
    if empty.all():
        raise InputError(
            f"{name}: the text column {mapping.text!r} is empty on every row. Choose the column that holds the "
            "post text (--text-column, or the 'Text column' box on the Data page)."
        )
    keep = ~empty
    report.drop(EMPTY, int(empty.sum()), row_label[empty].head(5).tolist())

    duplicate = keep & _duplicated_records(table)
    report.drop(DUPLICATE, int(duplicate.sum()), row_label[duplicate].head(5).tolist())
    keep &= ~duplicate

    platforms, report.platform_source = _platforms(table, mapping, chosen, parsed.platform, name)
    unknown = keep & platforms.isna()
    if unknown.any():
        values = table.loc[unknown, mapping.platform].astype("str").fillna("<empty>") if mapping.platform else None
        shown = values.value_counts().head(5).index.tolist() if values is not None else []
        report.drop(UNKNOWN_PLATFORM, int(unknown.sum()), [shorten(str(value), 40) for value in shown])
    keep &= ~unknown

    lengths = text.str.len().fillna(0)
    over_long = keep & (lengths > MAX_TEXT_CHARS)
    report.drop(OVER_LONG, int(over_long.sum()), row_label[over_long].head(5).tolist())
    keep &= ~over_long
    if not keep.any():
        raise InputError(f"{name}: no row is left after validation ({_summary(report)}). Fix the file or "
                         "the column mapping and load it again.")

    posts = _build(table[keep], text[keep], platforms[keep], mapping, name, report)
    report.rows_kept = len(posts)
    report.platform_counts = schema.count_by_value(posts[schema.PLATFORM])
    _note_content(posts, report)
    return posts, report


def _chosen_platform(platform: str | None, name: str) -> str | None:
    if platform is None or platform == "":
        return None
    canonical = normalise_platform(platform)
    if canonical is None:
        raise InputError(f"{name}: unknown platform {platform!r}. Choose one of {', '.join(PLATFORMS)}.")
    return canonical


def _as_text(values: pd.Series) -> pd.Series:
    # Non-string cells (numbers, booleans from Parquet/Excel/JSON) are not post text.
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return values.astype("str")
    return values.map(lambda value: value if isinstance(value, str) else None).astype("str")


def _duplicated_records(table: pd.DataFrame) -> pd.Series:
    try:
        return table.duplicated(keep="first")
    except TypeError:  # unhashable cells (lists in Parquet/JSON): compare their text form
        return table.astype("str").duplicated(keep="first")


def _platforms(table: pd.DataFrame, mapping: ColumnMapping, chosen: str | None, implied: str | None,
               name: str) -> tuple[pd.Series, str]:
    fallback = chosen or implied
    if mapping.platform is not None:
        raw = _optional_text(table, mapping.platform)
        lookup = {value: normalise_platform(value) for value in raw.dropna().unique()}
        normalised = raw.map(lookup).astype("object")
        blank = raw.isna() | (raw.astype("str").str.strip() == "")
        if fallback and blank.any():
            normalised[blank] = fallback
        filled = f", {int(blank.sum()):,} blank(s) set to {fallback}" if fallback and blank.any() else ""
        source = f"from column {mapping.platform!r}{filled}"
        return normalised, source
    if fallback is None:
        raise InputError(
            f"{name}: no platform column, and no platform chosen for this file. Choose the platform its posts "
            f"come from (--platform on the command line, the 'Platform' box on the Data page): one of "
            f"{', '.join(PLATFORMS)}."
        )
    source = "chosen for this file" if chosen else f"implied by the {implied} export format"
    return pd.Series(fallback, index=table.index, dtype="object"), f"{fallback} ({source})"


def _build(table: pd.DataFrame, text: pd.Series, platforms: pd.Series, mapping: ColumnMapping, name: str,
           report: FileReport) -> pd.DataFrame:
    row_numbers = pd.Series(table.index + 1, index=table.index)
    generated = row_numbers.astype("str").radd(f"{Path(name).stem}-")
    if mapping.post_id:
        ids = table[mapping.post_id].astype("str").str.strip()
        ids = ids.where(ids.notna() & (ids != ""), generated)
        repeated = ids.duplicated(keep="first")
        if repeated.any():
            report.notes.append(f"{int(repeated.sum()):,} repeated id(s) in {mapping.post_id!r} were made unique "
                                "by adding '#<row>'.")
            ids = ids.where(~repeated, ids + "#" + row_numbers.astype("str"))
    else:
        ids = generated
    posts = pd.DataFrame({
        schema.POST_ID: ids.astype("string"),
        schema.PLATFORM: platforms.astype("string"),
        schema.TEXT: text.astype("string"),
        schema.SOURCE: pd.Series(schema.REAL, index=table.index, dtype="string"),
        schema.TOPIC: _optional_text(table, mapping.topic),
        schema.CREATED_AT: _dates(table, mapping.created_at, report),
        schema.AUTHOR: _optional_text(table, mapping.author),
        schema.ENGAGEMENT: _counts(table, mapping.engagement, report),
    }, index=table.index)
    for column in schema.PROVENANCE_COLUMNS:
        posts[column] = pd.Series(pd.NA, index=table.index, dtype="string")
    mapped = {column for column in mapping.as_dict().values() if column}
    for column in table.columns:
        if column not in mapped:
            posts[column if column not in posts.columns else f"original_{column}"] = table[column]
    return posts.reset_index(drop=True)


def as_synthetic(posts: pd.DataFrame) -> pd.DataFrame:
    """Posts loaded from a file of synthetic posts, marked as synthetic again.

    Loading reads every file as real posts and keeps a file's own `source`, `model`, `backend`, `run_id`
    and `prompt_id` values as `original_<column>`; this restores them (where the canonical column is empty)
    and sets `source` to "synthetic" on every row. Returns a copy.
    """
    posts = posts.copy()
    for column in schema.PROVENANCE_COLUMNS:
        original = f"original_{column}"
        if original in posts.columns:
            restored = posts.pop(original).astype("string")
            posts[column] = posts[column].astype("string").fillna(restored) if column in posts.columns else restored
    posts = posts.drop(columns=[f"original_{schema.SOURCE}"], errors="ignore")
    posts[schema.SOURCE] = pd.Series(schema.SYNTHETIC, index=posts.index, dtype="string")
    return posts


def _optional_text(table: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series(pd.NA, index=table.index, dtype="string")
    values = table[column]
    if pd.api.types.is_string_dtype(values) and values.dtype != object:  # already strings (CSV): no loop
        return values.astype("string")
    return values.map(lambda value: value if isinstance(value, str) else str(value),
                      na_action="ignore").astype("string")


def _dates(table: pd.DataFrame, column: str | None, report: FileReport) -> pd.Series:
    if column is None:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    values = table[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _as_ns(values.dt.tz_convert("UTC"), column, report)
    if pd.api.types.is_datetime64_dtype(values):  # naive times (Parquet, Excel): taken as UTC
        return _as_ns(values.dt.tz_localize("UTC"), column, report)
    numbers = pd.to_numeric(values, errors="coerce")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if values.notna().any() and numbers.notna().sum() == values.notna().sum():
            unit = "ms" if numbers.median() > 1e11 else "s"  # epoch seconds (Reddit) or milliseconds
            dates = pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
        else:
            strings = values.astype("str")
            dates = pd.to_datetime(strings, utc=True, errors="coerce", format="ISO8601")
            rest = dates.isna() & strings.notna()
            if rest.any():
                dates[rest] = pd.to_datetime(strings[rest], utc=True, errors="coerce", format="mixed")
    unreadable = int((dates.isna() & values.notna() & (values.astype("str").str.strip() != "")).sum())
    if unreadable:
        report.notes.append(f"{unreadable:,} value(s) of {column!r} are not dates and were left empty.")
    return _as_ns(dates, column, report)


def _as_ns(dates: pd.Series, column: str, report: FileReport) -> pd.Series:
    # The schema stores nanoseconds, which span the years 1677-2262; dates outside are errors in the data.
    inside = dates.isna() | dates.between(pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC"))
    if not inside.all():
        report.notes.append(f"{int((~inside).sum()):,} value(s) of {column!r} are dates outside 1677-2262 and "
                            "were left empty.")
    return dates.where(inside).astype("datetime64[ns, UTC]")


_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}


def _counts(table: pd.DataFrame, column: str | None, report: FileReport) -> pd.Series:
    if column is None:
        return pd.Series(pd.NA, index=table.index, dtype="Float64")
    values = table[column]
    if values.dtype == object:  # lists or dicts (Parquet, JSON) are not counts
        values = values.map(lambda value: value if isinstance(value, (str, int, float)) else None)
    numbers = pd.to_numeric(values, errors="coerce")
    rest = numbers.isna() & values.notna()
    if rest.any():  # "1,234" and "1.2K" as exports show them
        text = values[rest].astype("str").str.strip().str.replace(",", "", regex=False).str.lower()
        scale = text.str[-1].map(_SUFFIX).fillna(1.0)
        base = pd.to_numeric(text.str.rstrip("kmb"), errors="coerce")
        numbers[rest] = base * scale
        unreadable = int((numbers.isna() & values.notna() & (values.astype("str").str.strip() != "")).sum())
        if unreadable:
            report.notes.append(f"{unreadable:,} value(s) of {column!r} are not numbers and were left empty.")
    return numbers.astype("Float64")


def _note_content(posts: pd.DataFrame, report: FileReport) -> None:
    limits = posts[schema.PLATFORM].map({name: p.max_chars for name, p in PLATFORMS.items()})
    over_limit = int((posts[schema.TEXT].str.len() > limits).sum())
    if over_limit:
        report.notes.append(f"{over_limit:,} post(s) are longer than their platform's usual limit (kept).")
    html = int(posts[schema.TEXT].str.contains(_HTML_TAG, regex=True).sum())
    if html:
        report.notes.append(f"{html:,} post(s) contain HTML-like tags; kept as plain text, never rendered.")
    shared_text = int(posts.duplicated([schema.PLATFORM, schema.TEXT]).sum())
    if shared_text:
        report.notes.append(f"{shared_text:,} post(s) repeat the text of another post on the same platform "
                            "(different records, kept).")


def _summary(report: FileReport) -> str:
    return ", ".join(f"{count:,} {reason}" for reason, count in report.dropped.items()) or "no rows"
