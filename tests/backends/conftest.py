"""Helpers for the backend tests: a scripted httpx2 MockTransport that records what the SDKs send, and a
real llama.cpp OpenAI-compatible server started once per session."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from tests.support import running_llama_server

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
    loopback port; yields its base URL (see tests.support.running_llama_server)."""
    with running_llama_server(tmp_path_factory.mktemp("llama_server") / "server.log") as (base_url, _):
        yield base_url
