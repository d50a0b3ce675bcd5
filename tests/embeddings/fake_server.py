"""A loopback OpenAI-compatible embeddings server for tests and benchmarks.

`POST /v1/embeddings` answers in OpenAI's format (`data[i].index`, `data[i].embedding`, `model`, `usage`) with
the hashing embedder's vectors (deterministic, so an answer can be checked), in shuffled order as the format
allows. It can refuse unknown models (404, OpenAI's `model_not_found`), refuse oversized batches (413, as TEI
does past its max batch), and fail its first requests with 503 to exercise retries. It records every input.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from synth.embeddings.embedder import HashingEmbedder


@dataclass
class FakeEmbeddingServer:
    """What the server does and what it saw. Set the fields before or while it runs."""

    model: str = "fake-embed"
    dim: int = 64
    max_batch: int = 256
    fail_first: int = 0  # answer 503 to this many requests first
    base_url: str = ""
    requests: int = 0
    texts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 503, {"error": {"message": "overloaded, try again", "type": "server_error"}}
        if body.get("model") != self.model:
            return 404, {"error": {"message": f"The model `{body.get('model')}` does not exist",
                                   "code": "model_not_found"}}
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or any(not isinstance(t, str) or not t for t in inputs):
            return 400, {"error": {"message": "'$.input' is invalid", "type": "invalid_request_error"}}
        if len(inputs) > self.max_batch:
            return 413, {"error": f"batch size {len(inputs)} > maximum allowed batch size {self.max_batch}"}
        with self.lock:
            self.texts.extend(inputs)
        vectors = HashingEmbedder(self.dim).embed(inputs) * 3.0  # not unit length: the client normalises
        data = [{"object": "embedding", "index": i, "embedding": vector.tolist()} for i, vector in enumerate(vectors)]
        random.Random(len(inputs)).shuffle(data)
        tokens = sum(len(text.split()) for text in inputs)
        return 200, {"object": "list", "data": data, "model": self.model,
                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _handler(server: FakeEmbeddingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/embeddings":
                status, payload = 404, {"error": {"message": f"no route {self.path}"}}
            else:
                status, payload = server.answer(json.loads(raw or b"{}"))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def embedding_server(**settings: object) -> Iterator[FakeEmbeddingServer]:
    """Serve a FakeEmbeddingServer on a free loopback port; its `base_url` is `http://127.0.0.1:PORT/v1`."""
    fake = FakeEmbeddingServer(**settings)  # type: ignore[arg-type]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
