"""A loopback fake of OpenAI's chat completions API with selectable misbehaviours, for the hardening tests.

It follows the documented wire format (`POST /v1/chat/completions`: `choices[0].message.content`,
`finish_reason`, `usage.prompt_tokens/completion_tokens`; errors as `{"error": {"message", "type", "code"}}`
with the HTTP status), serves on 127.0.0.1 from a thread of the test process (subprocesses under test reach
it too), and records every request so tests can count calls per seed.

Modes (`FakeProvider.mode`, changeable while it serves):
    ok: one post naming the server's `label` and the request's seed.
    refuse: every answer is a refusal.
    huge: a 2,000,000-character answer whose usage claims 400,000 completion tokens.
    unauthorized: 401 invalid_api_key (fatal for the client).
`prompt_tokens` is "chars4" (a typical English count) or "bytes" (the UTF-8 bytes of the messages: the most
a byte-level tokenizer can count, what a provider charges for non-Latin text at worst).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."


@dataclass
class FakeProvider:
    """What the fake server does and what it was asked (shared with its handler threads)."""

    label: str = "fake"
    mode: str = "ok"
    prompt_tokens: str = "chars4"
    delay_s: float = 0.0
    fast_first: bool = False  # answer the first request without the delay (a fatal error while others wait)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seeds(self) -> Counter[Any]:
        """How many times each seed was asked for (a seed is one planned call)."""
        with self._lock:
            return Counter(body.get("seed") for body in self.requests)

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            first = len(self.requests) == 1
        if self.delay_s and not (first and self.fast_first):
            time.sleep(self.delay_s)
        if self.mode == "unauthorized":
            return 401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                   "param": None, "code": "invalid_api_key"}}
        text = f"post from {self.label} seed={body.get('seed')}"
        completion_tokens = 8
        if self.mode == "refuse":
            text = REFUSAL
        elif self.mode == "huge":
            text, completion_tokens = "a" * 2_000_000, 400_000
        contents = "".join(str(m.get("content", "")) for m in body.get("messages", []))
        prompt_tokens = len(contents.encode("utf-8")) if self.prompt_tokens == "bytes" else -(-len(contents) // 4)
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": f"{body.get('model')}-{self.label}",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            if len(raw) < length:  # the client died mid-request: no provider sees or answers half a request
                self.close_connection = True
                return
            body = json.loads(raw or b"{}")
            if not self.path.endswith("/chat/completions"):
                status, payload = 404, {"error": {"message": f"no route {self.path}", "type": "not_found"}}
            else:
                status, payload = provider.answer(body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed or cancelled the call: that is what the tests do

        def log_message(self, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def fake_provider(**settings: Any) -> Iterator[FakeProvider]:
    """Serve a FakeProvider(**settings) on a free loopback port; its `base_url` ends in `/v1`."""
    provider = FakeProvider(**settings)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    server.request_queue_size = 256
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
