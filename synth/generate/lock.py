"""One process at a time per run: an exclusive lock on `run.lock` in the run directory, held for the life of
the process that generates, resumes or exports the run.

Two `resume`s of one run would each make every missing call (double spend on a paid model), and two
`generate`s racing on one folder lose posts. The lock is a `flock` on the file: the kernel drops it when its
holder dies, even by `kill -9`, so a stale lock never blocks anybody, and "is anybody holding it?" tells a
run that is running from one whose process is gone (`interrupted`). The file also says who holds it.

Why `fcntl.flock` and not the `filelock` package: it is not a declared dependency, and its Unix lock
truncates the file when opening it, which would erase the holder's record that a refused process reads.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from synth.errors import InputError

LOCK_FILE = "run.lock"
# How long to keep trying before saying the run is busy: rides over another process's brief liveness probe.
_ACQUIRE_WAIT_S = 0.5


class RunBusyError(InputError):
    """Another live process holds the run."""


class RunLock:
    """The exclusive lock of one run directory; use as a context manager (`with RunLock(run_dir): ...`).

    Raises:
        RunBusyError: on entry, when another process holds the run; the message names it.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + _ACQUIRE_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RunBusyError(
                        f"{self.run_dir} is in use by {_holder(self.path)}; wait for it to finish or stop it "
                        "(Ctrl-C, or Cancel on the Generate page), then try again"
                    ) from None
                time.sleep(0.05)
        # Who holds it, never the command line (it may carry a URL with a password).
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def has_live_owner(run_dir: str | Path) -> bool:
    """Whether a live process holds the run in `run_dir` (False when none does, or it has no lock file)."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _holder(path: Path) -> str:
    """Who holds the lock at `path`, in words, from the record its holder wrote."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(record["since"])))
        return f"process {record['pid']} on {record['host']} since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not said which yet)"
