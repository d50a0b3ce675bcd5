"""A progress line for CLI runs on stderr: redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from synth.generate.progress import Progress


class ProgressPrinter:
    """Call with each Progress; prints a bar on a TTY, or a line every `every` finished calls."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30, every: int = 10) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.every = every
        self._last_printed = -1

    def __call__(self, progress: Progress) -> None:
        finished = progress.done_calls + progress.failed_calls
        final = progress.status != "running"
        if self.tty:
            filled = int(self.width * progress.fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.line(progress)}")
            if final:
                self.stream.write("\n")
            self.stream.flush()
        elif final or finished - self._last_printed >= self.every or self._last_printed < 0:
            self.stream.write(self.line(progress) + "\n")
            self.stream.flush()
            self._last_printed = finished

    @staticmethod
    def line(progress: Progress) -> str:
        spend = "n/a (unpriced model)" if progress.spend_usd is None else f"${progress.spend_usd:.4f}"
        budget = f" of ${progress.budget_usd:.2f}" if progress.budget_usd is not None else ""
        return (
            f"{progress.done_calls + progress.failed_calls}/{progress.total_calls} calls "
            f"({progress.failed_calls} failed), {progress.posts}/{progress.planned_posts} posts, "
            f"{progress.input_tokens}+{progress.output_tokens} tokens, spend {spend}{budget}, "
            f"{progress.elapsed_s:.1f} s [{progress.status}]"
        )
