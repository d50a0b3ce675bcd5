"""Loopback fakes of the providers' batch APIs, following their documented wire formats, for tests and benchmarks.

OpenAI (https://platform.openai.com/docs/guides/batch): `POST /v1/files` (multipart, purpose=batch) stores a
JSONL file of `{"custom_id", "method", "url", "body"}` lines; `POST /v1/batches` creates a batch on it;
`GET /v1/batches/{id}` reports `status` (validating, in_progress, completed, expired, cancelled...),
`request_counts`, `output_file_id`, `error_file_id`; `GET /v1/batches` lists them; `GET /v1/files/{id}/content`
returns output lines `{"id", "custom_id", "response": {"status_code", "body"}, "error"}`.

Anthropic (https://docs.anthropic.com/en/api/creating-message-batches): `POST /v1/messages/batches` with
`{"requests": [{"custom_id", "params"}]}`; `GET /v1/messages/batches/{id}` reports `processing_status`
(in_progress, canceling, ended), `request_counts` and `results_url`; the results are JSONL lines
`{"custom_id", "result": {"type": "succeeded", "message"} | {"type": "errored", "error"} | {"type": "expired"} |
{"type": "canceled"}}`.

How a batch ends is set by `outcome`: "completed", "expired" or "cancelled" (the second half of the requests
never runs), or "hold" (stays in progress until `outcome` changes). Requests whose custom_id is in `errors`
get a per-line error. Every request the fakes ever received is counted, so a test can prove nothing was sent
twice. Answers are "fake post <custom_id>"; the live routes (`/v1/chat/completions`, `/v1/messages`) answer
"live post" and are counted in `live`.
"""

from __future__ import annotations

import email.parser
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_MAX_REQUESTS = 50_000
ANTHROPIC_MAX_REQUESTS = 100_000


@dataclass
class FakeBatchServer:
    """State of both fakes (one process serves the OpenAI and the Anthropic routes)."""

    outcome: str = "completed"
    errors: set[str] = field(default_factory=set)
    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests_by_batch: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)  # custom_ids, in submission order, every time
    polls: int = 0
    live: int = 0  # live (non-batch) calls answered: the normal path
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{len(self.files) + len(self.batches) + 1:06d}"

    # OpenAI

    def upload(self, content: bytes) -> dict[str, Any]:
        file_id = self._id("file")
        self.files[file_id] = content
        return {"id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                "filename": "batch.jsonl", "purpose": "batch", "status": "processed"}

    def create_openai(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        content = self.files.get(body.get("input_file_id", ""))
        if content is None:
            return 404, {"error": {"message": "No such File object", "type": "invalid_request_error"}}
        lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
        if len(lines) > OPENAI_MAX_REQUESTS:
            return 400, {"error": {"message": f"batch file has {len(lines)} requests, over {OPENAI_MAX_REQUESTS}"}}
        if any(line["url"] != body.get("endpoint") for line in lines):
            return 400, {"error": {"message": "every line's url must be the batch endpoint"}}
        batch_id = self._id("batch")
        self.submitted.extend(line["custom_id"] for line in lines)
        self.requests_by_batch[batch_id] = lines
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
            "input_file_id": body["input_file_id"], "completion_window": body.get("completion_window", "24h"),
            "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": int(time.time()),
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        return 200, self.batches[batch_id]

    def retrieve_openai(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self.batches.get(batch_id)
        if batch is None or batch["object"] != "batch":
            return 404, {"error": {"message": "No such Batch"}}
        self.polls += 1
        if batch["status"] in ("validating", "in_progress"):
            if self.outcome == "hold":
                batch["status"] = "in_progress"
            else:
                self._finish_openai(batch)
        return 200, batch

    def _finish_openai(self, batch: dict[str, Any]) -> None:
        lines = self.requests_by_batch[batch["id"]]
        ran = lines if self.outcome == "completed" else lines[: len(lines) // 2]
        output, errors = [], []
        for line in ran:
            custom_id = line["custom_id"]
            if custom_id in self.errors:
                errors.append({"id": f"req_{custom_id}", "custom_id": custom_id, "response": {
                    "status_code": 400, "request_id": "r", "body": {"error": {
                        "message": "This model's maximum context length was exceeded", "type": "invalid_request_error",
                        "code": "context_length_exceeded"}}}, "error": None})
                continue
            body = line["body"]
            text = f"fake post {custom_id}"
            if line["url"] == "/v1/chat/completions":
                answer = {"id": f"chatcmpl-{custom_id}", "object": "chat.completion", "created": 0,
                          "model": body["model"] + "-2024-07-18", "choices": [{"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": text}}]}
            else:
                answer = {"id": f"cmpl-{custom_id}", "object": "text_completion", "created": 0, "model": body["model"],
                          "choices": [{"index": 0, "finish_reason": "stop", "text": text, "logprobs": None}]}
            answer["usage"] = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
            output.append({"id": f"req_{custom_id}", "custom_id": custom_id,
                           "response": {"status_code": 200, "request_id": "r", "body": answer}, "error": None})
        if output:
            batch["output_file_id"] = self._store_lines(output)
        if errors:
            batch["error_file_id"] = self._store_lines(errors)
        batch["request_counts"] = {"total": len(lines), "completed": len(output), "failed": len(errors)}
        batch["status"] = self.outcome

    def _store_lines(self, lines: list[dict[str, Any]]) -> str:
        file_id = self._id("file")
        self.files[file_id] = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return file_id

    # Anthropic

    def create_anthropic(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        requests = body.get("requests") or []
        if not requests or len(requests) > ANTHROPIC_MAX_REQUESTS:
            return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad request count"}}
        batch_id = f"msgbatch_{len(self.batches) + 1:06d}"
        self.submitted.extend(request["custom_id"] for request in requests)
        self.requests_by_batch[batch_id] = requests
        self.batches[batch_id] = {
            "id": batch_id, "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
            "ended_at": None, "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
            "cancel_initiated_at": None, "archived_at": None, "results_url": None,
        }
        return 200, self.batches[batch_id]

    def retrieve_anthropic(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return 404, {"type": "error", "error": {"type": "not_found_error", "message": "no such batch"}}
        self.polls += 1
        if batch["processing_status"] == "in_progress" and self.outcome != "hold":
            batch["processing_status"] = "ended"
            batch["ended_at"] = "2026-01-01T01:00:00Z"
            batch["results_url"] = f"{self.base_url}/v1/messages/batches/{batch_id}/results"
        return 200, batch

    def anthropic_results(self, batch_id: str) -> bytes:
        requests = self.requests_by_batch[batch_id]
        ran = len(requests) if self.outcome == "completed" else len(requests) // 2
        lines = []
        for position, request in enumerate(requests):
            custom_id = request["custom_id"]
            if position >= ran:
                result: dict[str, Any] = {"type": "expired" if self.outcome == "expired" else "canceled"}
            elif custom_id in self.errors:
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "invalid_request_error", "message": "prompt is too long"}}}
            else:
                result = {"type": "succeeded", "message": {
                    "id": f"msg_{custom_id}", "type": "message", "role": "assistant",
                    "model": request["params"]["model"] + "-20251001",
                    "content": [{"type": "text", "text": f"fake post {custom_id}"}],
                    "stop_reason": "end_turn", "stop_sequence": None,
                    "usage": {"input_tokens": 100, "output_tokens": 10}}}
            lines.append(json.dumps({"custom_id": custom_id, "result": result}) + "\n")
        return "".join(lines).encode()


def _handler(fake: FakeBatchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            path = self.path.split("?")[0]
            with fake.lock:
                if path == "/v1/files":
                    message = email.parser.BytesParser().parsebytes(
                        b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw
                    )
                    parts = {part.get_param("name", header="content-disposition"): part for part in
                             message.get_payload()}
                    self._send(200, fake.upload(parts["file"].get_payload(decode=True)))
                elif path == "/v1/batches":
                    self._send(*fake.create_openai(json.loads(raw)))
                elif path == "/v1/messages/batches":
                    self._send(*fake.create_anthropic(json.loads(raw)))
                elif path == "/v1/chat/completions":
                    fake.live += 1
                    self._send(200, {"id": "live", "object": "chat.completion", "created": 0, "model": "live",
                                     "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                         "role": "assistant", "content": "live post"}}],
                                     "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
                elif path == "/v1/messages":
                    fake.live += 1
                    self._send(200, {"id": "live", "type": "message", "role": "assistant", "model": "live",
                                     "content": [{"type": "text", "text": "live post"}], "stop_reason": "end_turn",
                                     "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 10}})
                else:
                    self._send(404, {"error": {"message": f"no route {path}"}})

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            parts = path.strip("/").split("/")
            with fake.lock:
                if path == "/v1/batches":
                    data = [batch for batch in fake.batches.values() if batch.get("object") == "batch"]
                    self._send(200, {"object": "list", "data": data[::-1], "has_more": False,
                                     "first_id": None, "last_id": None})
                elif parts[:2] == ["v1", "batches"] and len(parts) == 3:
                    self._send(*fake.retrieve_openai(parts[2]))
                elif parts[:2] == ["v1", "files"] and len(parts) == 4 and parts[3] == "content":
                    self._send(200, fake.files[parts[2]], "application/octet-stream")
                elif parts[:3] == ["v1", "messages", "batches"] and len(parts) == 4:
                    self._send(*fake.retrieve_anthropic(parts[3]))
                elif parts[:3] == ["v1", "messages", "batches"] and parts[-1] == "results":
                    self._send(200, fake.anthropic_results(parts[3]), "application/binary")
                else:
                    self._send(404, {"error": {"message": f"no route {path}"}})

        def log_message(self, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def batch_server(**settings: Any) -> Iterator[FakeBatchServer]:
    """Serve a FakeBatchServer on a free loopback port; `base_url` is `http://127.0.0.1:PORT` (no /v1)."""
    fake = FakeBatchServer(**settings)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
