"""Page tests write projects (ui.state saves what a page loads) into a temporary folder, never the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.projects import PROJECTS_ENV


@pytest.fixture(autouse=True)
def _projects_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "projects"
    monkeypatch.setenv(PROJECTS_ENV, str(folder))
    return folder
