"""Helpers for the ingestion tests: tiny files written for each test (never copies of real data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture()
def write(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    """Write `content` (str as UTF-8) to a file called `name` in a temporary folder and return its path."""

    def _write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write
