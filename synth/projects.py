"""Projects: a researcher's work saved on disk as it changes, so a reload or a server restart loses nothing.

A project is one folder under `projects_root()` named by its id:

    project.json          name, created, updated (and the id again, for people reading the folder)
    real_posts.parquet    the real posts, canonical schema (written when they change)
    ingest_report.json    the validation report of the upload (`synth.io.IngestReport` as JSON)
    topics.json           the edited topic set (`synth.topics.model.TopicSet.to_json`) and the hash of the posts
                          it was made from
    synthetic_posts.parquet  the comparison set: the posts of the runs chosen, each with its `run_id`
    settings.json         the page settings (widget values that are plain JSON: never a key, never a post)

Runs themselves stay in the run store (`synth.paths.runs_root()`); the project holds the posts chosen from them.
Nothing here imports Streamlit: the app's `ui/state.py` reads and writes through these functions and the CLI
could too. Writes go to a temporary file renamed into place, so a server killed mid-write leaves the
previous version intact.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from synth import schema
from synth.errors import InputError

PROJECTS_ENV = "SYNTH_PROJECTS_DIR"
DEFAULT_PROJECTS_ROOT = Path("projects")
MAX_NAME_CHARS = 80
_ID = re.compile(r"^[0-9a-f]{12}$")
_META, _REAL, _REPORT, _TOPICS, _SYNTHETIC, _SETTINGS = (
    "project.json", "real_posts.parquet", "ingest_report.json", "topics.json", "synthetic_posts.parquet",
    "settings.json")


class ProjectError(InputError):
    """A project that does not exist, or a name that cannot be used."""


def projects_root() -> Path:
    """Where projects are kept: `$SYNTH_PROJECTS_DIR` when set (and not blank), else `projects/`; read at each
    call so a test or a user can move it at any time."""
    root = os.environ.get(PROJECTS_ENV, "").strip()
    return Path(root) if root else DEFAULT_PROJECTS_ROOT


@dataclass(frozen=True)
class Project:
    """One saved project.

    Attributes:
        project_id: 12 hex digits, the folder's name and the `?project=` of the app's URL.
        name: what people call it (editable).
        created, updated: ISO 8601 times in UTC.
    """

    project_id: str
    name: str
    created: str
    updated: str

    @property
    def folder(self) -> Path:
        return projects_root() / self.project_id


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ProjectError("A project needs a name: type at least one letter.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ProjectError(f"Project names are at most {MAX_NAME_CHARS} characters; this one has {len(cleaned)}.")
    return cleaned


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _write_meta(project: Project) -> None:
    _write_atomic(project.folder / _META, json.dumps(dataclasses.asdict(project), indent=2).encode())


def _folder(project_id: str) -> Path:
    if not _ID.match(str(project_id)):
        raise ProjectError(f"{project_id!r} is not a project id (12 hex digits): open a project from the list.")
    folder = projects_root() / project_id
    if not (folder / _META).is_file():
        raise ProjectError(f"No project {project_id} in {projects_root()}: it was deleted or the folder moved. "
                           "Open another project from the list on the first page.")
    return folder


def create_project(name: str) -> Project:
    """A new, empty project named `name` (raises ProjectError on a blank or too long name)."""
    now = _now()
    project = Project(uuid.uuid4().hex[:12], _clean_name(name), now, now)
    project.folder.mkdir(parents=True, exist_ok=False)
    _write_meta(project)
    return project


def open_project(project_id: str) -> Project:
    """The project with this id (raises ProjectError when there is none)."""
    meta = json.loads((_folder(project_id) / _META).read_text())
    return Project(meta["project_id"], meta["name"], meta["created"], meta["updated"])


def list_projects() -> list[Project]:
    """Every project, the most recently changed first (unreadable folders are skipped)."""
    root = projects_root()
    projects = []
    for meta in root.glob(f"*/{_META}") if root.is_dir() else []:
        try:
            projects.append(open_project(meta.parent.name))
        except (ProjectError, ValueError, KeyError):
            continue  # not a project folder, or a half-written one
    return sorted(projects, key=lambda project: project.updated, reverse=True)


def rename_project(project_id: str, name: str) -> Project:
    project = dataclasses.replace(open_project(project_id), name=_clean_name(name), updated=_now())
    _write_meta(project)
    return project


def delete_project(project_id: str) -> None:
    """Delete the project's folder (its runs stay in the run store)."""
    shutil.rmtree(_folder(project_id))


def touch(project_id: str) -> None:
    """Mark the project as changed now (it moves to the top of the list)."""
    _write_meta(dataclasses.replace(open_project(project_id), updated=_now()))


# -- what a project holds ------------------------------------------------------------------------------------


def _write_posts(project_id: str, file: str, posts: pd.DataFrame | None) -> None:
    path = _folder(project_id) / file
    if posts is None:
        path.unlink(missing_ok=True)
    else:
        # Object columns of mixed types (extra columns of an upload) are written as text.
        frame = posts.reset_index(drop=True)
        for column in frame.columns:
            if frame[column].dtype == "object":
                frame[column] = frame[column].astype("string")
        temporary = path.with_name(path.name + ".tmp")
        frame.to_parquet(temporary, index=False)
        temporary.replace(path)
    touch(project_id)


def _read_posts(project_id: str, file: str) -> pd.DataFrame | None:
    path = _folder(project_id) / file
    return pd.read_parquet(path) if path.is_file() else None


def save_real_posts(project_id: str, posts: pd.DataFrame | None, report: Any = None) -> None:
    """Save (or, with None, forget) the real posts and their validation report (a dataclass, or None)."""
    _write_posts(project_id, _REAL, posts)
    path = _folder(project_id) / _REPORT
    if report is None or posts is None:
        path.unlink(missing_ok=True)
    else:
        _write_atomic(path, json.dumps(dataclasses.asdict(report), default=str).encode())


def load_real_posts(project_id: str) -> tuple[pd.DataFrame | None, Any]:
    """The saved real posts and their validation report (`synth.io.IngestReport`, or None when not saved)."""
    from synth.io.validation import FileReport, IngestReport

    posts = _read_posts(project_id, _REAL)
    path = _folder(project_id) / _REPORT
    report = None
    if posts is not None and path.is_file():
        data = json.loads(path.read_text())
        files = [FileReport(**file) for file in data.pop("files", [])]
        report = IngestReport(files=files, **data)
    return posts, report


def save_synthetic_posts(project_id: str, posts: pd.DataFrame | None) -> None:
    """Save (or, with None, forget) the comparison set of synthetic posts."""
    _write_posts(project_id, _SYNTHETIC, posts)


def load_synthetic_posts(project_id: str) -> pd.DataFrame | None:
    return _read_posts(project_id, _SYNTHETIC)


def save_topics(project_id: str, topic_set: Any, source: str | None) -> None:
    """Save the edited topic set (`TopicSet`, or None to forget it) and the hash of the posts it was made from."""
    path = _folder(project_id) / _TOPICS
    if topic_set is None:
        path.unlink(missing_ok=True)
    else:
        _write_atomic(path, json.dumps({"source": source, "topics": json.loads(topic_set.to_json())}).encode())
    touch(project_id)


def load_topics(project_id: str) -> tuple[Any, str | None]:
    """The saved (TopicSet, source hash), or (None, None)."""
    from synth.topics.model import TopicSet

    path = _folder(project_id) / _TOPICS
    if not path.is_file():
        return None, None
    data = json.loads(path.read_text())
    return TopicSet.from_json(json.dumps(data["topics"])), data.get("source")


def save_settings(project_id: str, settings: Mapping[str, Any]) -> None:
    """Save the page settings: only values that are plain JSON (numbers, text, lists of them) are kept."""
    kept = {key: value for key, value in settings.items() if _plain(value)}
    _write_atomic(_folder(project_id) / _SETTINGS, json.dumps(kept, indent=1, sort_keys=True).encode())


def load_settings(project_id: str) -> dict[str, Any]:
    path = _folder(project_id) / _SETTINGS
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    return isinstance(value, list | tuple) and all(isinstance(item, bool | int | float | str) for item in value)


# -- the comparison set --------------------------------------------------------------------------------------


def merge_run_posts(current: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame | None:
    """The comparison set after adding a run's posts: the run's earlier posts (from before a resume) are
    replaced, other runs' posts kept. A run that made no post leaves the set as it was (a cancelled second run
    never empties the set)."""
    if new.empty:
        return current
    if current is None or current.empty:
        return new.reset_index(drop=True)
    if schema.RUN_ID in current.columns and schema.RUN_ID in new.columns:
        current = current[~current[schema.RUN_ID].isin(set(new[schema.RUN_ID].dropna()))]
    return pd.concat([current, new], ignore_index=True)


def run_names(posts: pd.DataFrame | None) -> dict[str, int]:
    """Posts per run id in a comparison set (readable runs first: in the order they were added)."""
    if posts is None or schema.RUN_ID not in posts.columns:
        return {}
    return {str(run): int(count) for run, count in posts[schema.RUN_ID].value_counts(sort=False).items()}
