"""Reading files (format and shape detected, mapping guessed) and loading them as canonical posts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synth import schema
from synth.errors import InputError
from synth.io.canonical import as_synthetic, to_canonical
from synth.io.delimited import read_delimited
from synth.io.detect import Source, detect_format, read_source
from synth.io.jsonish import read_json
from synth.io.mapping import ColumnMapping, detect_table_shape, guess_mapping
from synth.io.parsed import Parsed
from synth.io.tabular import read_excel, read_parquet
from synth.io.validation import DUPLICATE_ACROSS_FILES, FileReport, IngestReport, language_mix


@dataclass
class RawFile:
    """A file read and recognised, before mapping: parse once, then map as often as the user changes it.

    Attributes:
        name: the file name used in messages.
        format: `csv`, `tsv`, `json`, `jsonl`, `parquet` or `xlsx`.
        parsed: the rows and what the parser noticed (shape, encoding, delimiter, malformed rows).
        mapping: the guessed column mapping.
    """

    name: str
    format: str
    parsed: Parsed
    mapping: ColumnMapping

    @property
    def columns(self) -> list[str]:
        return [str(column) for column in self.parsed.table.columns]

    @property
    def platform(self) -> str | None:
        """The platform implied by the file's shape (a Telegram export is Telegram), if any."""
        return self.parsed.platform

    def needs_platform(self, mapping: ColumnMapping | None = None) -> bool:
        """True when rows get no platform unless the user chooses one."""
        return (mapping or self.mapping).platform is None and self.parsed.platform is None

    def to_posts(self, mapping: ColumnMapping | None = None, *, platform: str | None = None) -> LoadedFile:
        """Map to the canonical schema (see synth.io.canonical for what is dropped and why)."""
        posts, report = to_canonical(self.parsed, name=self.name, file_format=self.format,
                                     mapping=mapping or self.mapping, platform=platform)
        return LoadedFile(self.name, posts, report)


@dataclass
class LoadedFile:
    """One file's posts in the canonical schema (source='real') and its report."""

    name: str
    posts: pd.DataFrame
    report: FileReport


def read_file(source: Source, *, name: str | None = None) -> RawFile:
    """Read a file of posts: detect its format and shape, parse it and guess the column mapping.

    Args:
        source: a path, the file's bytes, or a binary file object (an upload).
        name: the name to use in messages; also decides the format by its extension (default: the path's).

    Raises:
        InputError: the file cannot be read as posts; the message names the file and the fix.
    """
    data, name = read_source(source, name)
    file_format = detect_format(data, name)
    if file_format in ("csv", "tsv"):
        parsed = read_delimited(data, name, tab_separated=file_format == "tsv")
    elif file_format in ("json", "jsonl"):
        parsed = read_json(data, name, lines=file_format == "jsonl")
    elif file_format == "parquet":
        parsed = read_parquet(data, name)
    else:
        parsed = read_excel(data, name)
    preferred: dict[str, str] = {}
    if parsed.shape == "table":
        table_shape = detect_table_shape([str(column) for column in parsed.table.columns])
        if table_shape is not None:
            parsed.shape, parsed.platform, preferred = table_shape.name, table_shape.platform, table_shape.preferred
    return RawFile(name, file_format, parsed, guess_mapping(parsed.table, preferred))


def load_posts(source: Source, *, name: str | None = None, text_column: str | None = None,
               platform_column: str | None = None, platform: str | None = None,
               id_column: str | None = None) -> LoadedFile:
    """Read one file and return its posts in the canonical schema with its report.

    Args:
        source: a path, bytes or binary file object.
        name: the name to use in messages (and whose extension picks the format).
        text_column, platform_column, id_column: override the guessed columns.
        platform: the platform of rows without one (files with no platform column need it, unless their
            shape implies one, such as a Telegram export).

    Raises:
        InputError: unreadable file, bad mapping, no platform, or no valid row.
    """
    raw = read_file(source, name=name)
    mapping = raw.mapping.with_overrides(text=text_column, platform=platform_column, post_id=id_column)
    return raw.to_posts(mapping, platform=platform)


def load_posts_file(path: str | Path, *, synthetic: bool) -> pd.DataFrame:
    """Read a file of posts (format and columns guessed), for evaluation.

    A synthetic file is marked with `as_synthetic`: its own model/run columns are restored and every row's
    `source` is `synthetic`.

    Raises:
        InputError: the file cannot be read (the message says why and how to fix it).
    """
    posts = load_posts(Path(path)).posts
    return as_synthetic(posts) if synthetic else posts


def combine(files: list[LoadedFile]) -> tuple[pd.DataFrame, IngestReport]:
    """Join several loaded files into one table of posts with one report.

    A post present in two files (same id, platform and text) is kept once. Ids that collide across files
    for different posts are prefixed with their file name, so every post_id is unique.

    Raises:
        InputError: no file given.
    """
    if not files:
        raise InputError("no files to load. Upload or name at least one file of posts.")
    frames = []
    names = [file.name for file in files]
    for index, file in enumerate(files):
        frame = file.posts.copy()
        # Two uploads may share a name (two folders' posts.csv): number the later ones to tell them apart.
        frame["_file"] = file.name if names.index(file.name) == index else f"{file.name}[{index + 1}]"
        frames.append(frame)
    posts = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    report = IngestReport(files=[file.report for file in files])
    if len(files) > 1:
        posts = _drop_cross_file_duplicates(posts, report)
    report.platform_counts = schema.count_by_value(posts[schema.PLATFORM])
    report.languages = language_mix(posts[schema.TEXT])
    posts = posts.drop(columns="_file").reset_index(drop=True)
    schema.validate_posts(posts, name="loaded posts")
    return posts, report


def _drop_cross_file_duplicates(posts: pd.DataFrame, report: IngestReport) -> pd.DataFrame:
    repeated = posts.duplicated([schema.POST_ID, schema.PLATFORM, schema.TEXT], keep="first")
    labels = list(dict.fromkeys(posts["_file"]))
    by_label = dict(zip(labels, report.files, strict=True))
    for label, count in posts.loc[repeated, "_file"].value_counts().items():
        file = by_label[str(label)]
        file.drop(DUPLICATE_ACROSS_FILES, int(count))
        file.rows_kept -= int(count)
    posts = posts[~repeated]
    colliding = posts[schema.POST_ID].duplicated(keep=False)
    if colliding.any():
        prefixed = posts.loc[colliding, "_file"] + ":" + posts.loc[colliding, schema.POST_ID]
        posts = posts.copy()
        posts.loc[colliding, schema.POST_ID] = prefixed
        report.notes.append(f"{int(colliding.sum()):,} post ids were used in more than one file; those are "
                            "prefixed with their file name.")
    for label, file in by_label.items():
        counts = posts.loc[posts["_file"] == label, schema.PLATFORM].value_counts().sort_index()
        file.platform_counts = {str(k): int(v) for k, v in counts.items()}
    return posts


def load_files(sources: list[Source] | list[tuple[str, bytes]], *, text_column: str | None = None,
               platform_column: str | None = None, platform: str | None = None,
               id_column: str | None = None) -> tuple[pd.DataFrame, IngestReport]:
    """Load several files (paths, or (name, bytes) pairs) into one canonical table and one report.

    The column options apply to every file (as on the command line); use `read_file` and
    `RawFile.to_posts` for a mapping per file.

    Raises:
        InputError: the first file that cannot be loaded, named in the message.
    """
    loaded = []
    for source in sources:
        name, data = source if isinstance(source, tuple) else (None, source)
        loaded.append(load_posts(data, name=name, text_column=text_column, platform_column=platform_column,
                                 platform=platform, id_column=id_column))
    return combine(loaded)
