"""Projects on disk: create, list, rename, delete; posts, topics and settings saved and read back; the
comparison set built from runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth import projects
from synth.io.validation import FileReport, IngestReport
from synth.projects import ProjectError
from synth.topics.discover import discover_topics
from synth.topics.model import rename_topic


@pytest.fixture(autouse=True)
def _root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(projects.PROJECTS_ENV, str(tmp_path / "projects"))
    return tmp_path / "projects"


def posts(n: int = 4, *, run_id: str | None = None, source: str = "real") -> pd.DataFrame:
    frame = pd.DataFrame({
        "post_id": [f"{run_id or 'p'}-{i}" for i in range(n)],
        "platform": ["twitter"] * (n // 2) + ["reddit"] * (n - n // 2),
        "text": [f"post number {i} #tag" for i in range(n)], "source": source,
        "topic": ["coffee", "trains"] * (n // 2), "extra": ([{"a": 1}, "text", 3, None] * n)[:n],
    })
    if run_id:
        frame["run_id"] = run_id
    return frame


def test_create_list_rename_delete(_root: Path) -> None:
    assert projects.list_projects() == []
    first = projects.create_project("  Vaccine   talk ")
    second = projects.create_project("Food")
    assert first.name == "Vaccine talk" and (_root / first.project_id / "project.json").is_file()
    projects.touch(first.project_id)
    assert [p.project_id for p in projects.list_projects()][0] == first.project_id  # the last changed first
    assert projects.rename_project(second.project_id, "Food delivery").name == "Food delivery"
    assert projects.open_project(second.project_id).name == "Food delivery"
    projects.delete_project(first.project_id)
    assert [p.name for p in projects.list_projects()] == ["Food delivery"]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 81])
def test_bad_names_are_refused_with_the_reason(bad: str) -> None:
    with pytest.raises(ProjectError, match="name"):
        projects.create_project(bad)


@pytest.mark.parametrize("bad", ["nope", "../../etc", "0123456789ab"])
def test_unknown_or_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(ProjectError, match="project"):
        projects.open_project(bad)
    with pytest.raises(ProjectError):
        projects.delete_project(bad)


def test_posts_report_topics_and_settings_come_back(tmp_path: Path) -> None:
    project = projects.create_project("p").project_id
    real = posts(20)
    report = IngestReport(files=[FileReport("a.csv", "csv", "table", {"text": "text"}, rows_read=21, rows_kept=20,
                                            dropped={"empty text": 1})], platform_counts={"twitter": 10, "reddit": 10})
    projects.save_real_posts(project, real, report)
    loaded, loaded_report = projects.load_real_posts(project)
    assert loaded is not None and loaded["text"].tolist() == real["text"].tolist()
    assert loaded["extra"].tolist()[:2] == ["{'a': 1}", "text"]  # mixed object columns kept, as text
    assert loaded_report == report

    topics = rename_topic(discover_topics(real, method="column", cache_dir=tmp_path), "coffee", "Coffee shops")
    projects.save_topics(project, topics, "hash-of-posts")
    back, source = projects.load_topics(project)
    assert source == "hash-of-posts" and back.get("coffee").label == "Coffee shops"
    assert back.assignments == topics.assignments

    projects.save_settings(project, {"generate_per_cell": 3, "generate_platforms": ("twitter",), "odd": object()})
    assert projects.load_settings(project) == {"generate_per_cell": 3, "generate_platforms": ["twitter"]}

    projects.save_real_posts(project, None)
    assert projects.load_real_posts(project) == (None, None)


def test_the_comparison_set_adds_runs_replaces_a_resumed_one_and_ignores_an_empty_one() -> None:
    first, second = posts(4, run_id="run-a", source="synthetic"), posts(2, run_id="run-b", source="synthetic")
    combined = projects.merge_run_posts(first, second)
    assert combined is not None and projects.run_names(combined) == {"run-a": 4, "run-b": 2}
    resumed = posts(4, run_id="run-b", source="synthetic")
    assert projects.run_names(projects.merge_run_posts(combined, resumed)) == {"run-a": 4, "run-b": 4}
    # A cancelled run that made no post leaves the set as it was (it once emptied it).
    assert projects.merge_run_posts(combined, resumed.iloc[:0]) is combined
    assert projects.merge_run_posts(None, resumed.iloc[:0]) is None
