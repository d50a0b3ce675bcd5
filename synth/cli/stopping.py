"""A clean stop on Ctrl-C (SIGINT) and SIGTERM for the commands that run calls.

The first signal sets the cancel event the engine watches: calls in flight are abandoned (they stay to do),
the run is marked `cancelled` and its posts are exported, and the command exits 130 (SIGINT) or 143
(SIGTERM), the shell's codes for those signals. A second signal stops at once (KeyboardInterrupt).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class StopRequest:
    """What the signal handlers saw: `cancel` is the engine's cancel event, `signal_number` the first signal."""

    cancel: threading.Event = field(default_factory=threading.Event)
    signal_number: int | None = None

    @property
    def exit_status(self) -> int:
        """128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM), as shells report a signal's stop."""
        return 128 + (self.signal_number or signal.SIGINT)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signal_number or signal.SIGINT).name


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM ask the run to stop cleanly (see the module docstring); the
    previous handlers come back afterwards. Must run in the main thread (Python's rule for signals)."""
    request = StopRequest()

    def handle(number: int, frame: FrameType | None) -> None:
        if request.cancel.is_set():
            raise KeyboardInterrupt  # the second signal: stop now
        request.signal_number = number
        request.cancel.set()
        print(
            f"\n{signal.Signals(number).name}: stopping after saving what is done (again to stop at once)...",
            file=sys.stderr,
        )

    previous: dict[int, Any] = {number: signal.signal(number, handle) for number in SIGNALS}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
