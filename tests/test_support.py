"""The test helpers in tests/support.py fail loudly, with the server's log, when a server dies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import running_server


def test_a_server_that_exits_fails_the_test_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('oops'); raise SystemExit(3)"]
    with (
        pytest.raises(pytest.fail.Exception, match="boom exited \\(3\\):\n.*oops"),
        running_server(command, ready=lambda: False, log_path=tmp_path / "log", timeout_s=10, name="boom"),
    ):
        pass
