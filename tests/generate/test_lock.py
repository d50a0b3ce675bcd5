"""The run lock: one holder at a time, named to the one refused; released when its holder closes or dies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synth.generate.lock import RunBusyError, RunLock, has_live_owner
from tests.conftest import ROOT


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path) -> None:
    assert not has_live_owner(tmp_path)
    with RunLock(tmp_path):
        assert has_live_owner(tmp_path)
        with pytest.raises(RunBusyError, match=f"in use by process {os.getpid()} on "):
            RunLock(tmp_path).__enter__()
    assert not has_live_owner(tmp_path)
    with RunLock(tmp_path):  # free again
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    code = (
        "import os, signal, sys; from synth.generate.lock import RunLock; "
        f"RunLock({str(tmp_path)!r}).__enter__(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    child = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -9
    assert (tmp_path / "run.lock").exists() and not has_live_owner(tmp_path)
    with RunLock(tmp_path):
        pass
