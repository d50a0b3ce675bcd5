"""The providers' batch APIs behind one small interface, for synth.generate.batch: encode a call as a request
line, submit lines as a job, find a job by its tag, poll it, read its results (see batch.py for the flow).

OpenAI's Batch API: a JSONL file uploaded to `/v1/files` (purpose `batch`), a batch created on it at
`/v1/batches`, its output and error files read from `/v1/files/{id}/content`. Anthropic's Message Batches:
requests inline at `/v1/messages/batches`, results as JSONL. Both through the official SDKs, with their
failures mapped to BackendError as for live calls.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from synth.backends.base import Backend, BackendError, Completion
from synth.generate.store import CallRecord


@dataclass(frozen=True)
class BatchLimits:
    """The most requests and bytes one batch may hold (the provider's documented limits)."""

    max_requests: int
    max_bytes: int


OPENAI_LIMITS = BatchLimits(max_requests=50_000, max_bytes=200 * 1024 * 1024)
ANTHROPIC_LIMITS = BatchLimits(max_requests=100_000, max_bytes=256 * 1024 * 1024)


@dataclass(frozen=True)
class JobStatus:
    """What a poll says: whether the job has ended, and the provider's words for its state."""

    ended: bool
    state: str


@dataclass(frozen=True)
class LineResult:
    """One request's result in a job: a Completion, or an error message."""

    call_id: str
    completion: Completion | None
    error: str | None


class ProviderBatches:
    """What both providers' batch APIs share: SDK failures turned into BackendError, as for live calls."""

    limits: BatchLimits

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    async def _sdk(self, work: Awaitable[Any]) -> Any:
        try:
            return await work
        except Exception as error:
            mapped = self.backend._backend_error(error)
            if mapped is None:
                raise
            raise mapped from None


class OpenAIBatches(ProviderBatches):
    """OpenAI's Batch API through the backend's SDK client."""

    limits = OPENAI_LIMITS

    def encode(self, call: CallRecord) -> tuple[str, bytes]:
        path, body = self.backend.request_params(call.request)
        line = {"custom_id": call.call_id, "method": "POST", "url": path, "body": body}
        return path, json.dumps(line, ensure_ascii=False).encode("utf-8")

    async def submit(self, group: str, lines: list[bytes], tag: str) -> str:
        client = self.backend._sdk_client()
        uploaded = await self._sdk(
            client.files.create(file=("synth-batch.jsonl", b"\n".join(lines) + b"\n"), purpose="batch")
        )
        batch = await self._sdk(client.batches.create(
            input_file_id=uploaded.id, endpoint=group, completion_window="24h", metadata={"synth_submission": tag}
        ))
        return str(batch.id)

    async def find(self, tag: str) -> str | None:
        page = await self._sdk(self.backend._sdk_client().batches.list(limit=100))
        for batch in page.data:  # the newest first: a submission a moment ago is on the first page
            if (batch.metadata or {}).get("synth_submission") == tag:
                return str(batch.id)
        return None

    async def status(self, job_id: str) -> JobStatus:
        batch = await self._sdk(self.backend._sdk_client().batches.retrieve(job_id))
        return JobStatus(batch.status in ("completed", "failed", "expired", "cancelled"), str(batch.status))

    async def results(self, job_id: str) -> list[LineResult]:
        client = self.backend._sdk_client()
        batch = await self._sdk(client.batches.retrieve(job_id))
        results: list[LineResult] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self._sdk(client.files.content(file_id))
            for raw in content.text.splitlines():
                if raw.strip():
                    results.append(self._line(json.loads(raw), batch.endpoint))
        # A batch that failed validation has no output: its calls go the normal path, which reports the error.
        return results

    def _line(self, line: dict[str, Any], path: str) -> LineResult:
        call_id = str(line.get("custom_id"))
        response = line.get("response") or {}
        if line.get("error") or response.get("status_code") != 200:
            error = line.get("error") or (response.get("body") or {}).get("error") or {}
            return LineResult(call_id, None, f"openai batch error: {error.get('code', '')} {error.get('message', '')}")
        try:
            return LineResult(call_id, self.backend.completion_from_body(path, response["body"]), None)
        except BackendError as error:
            return LineResult(call_id, None, str(error))


class AnthropicBatches(ProviderBatches):
    """Anthropic's Message Batches through the backend's SDK client."""

    limits = ANTHROPIC_LIMITS

    def encode(self, call: CallRecord) -> tuple[str, bytes]:
        request = {"custom_id": call.call_id, "params": self.backend.request_params(call.request)}
        return "messages", json.dumps(request, ensure_ascii=False).encode("utf-8")

    async def submit(self, group: str, lines: list[bytes], tag: str) -> str:
        requests = [json.loads(line) for line in lines]
        batch = await self._sdk(self.backend._sdk_client().messages.batches.create(requests=requests))
        return str(batch.id)

    async def find(self, tag: str) -> str | None:
        return None  # no metadata on Message Batches (see the module docstring)

    async def status(self, job_id: str) -> JobStatus:
        batch = await self._sdk(self.backend._sdk_client().messages.batches.retrieve(job_id))
        return JobStatus(batch.processing_status == "ended", str(batch.processing_status))

    async def results(self, job_id: str) -> list[LineResult]:
        results: list[LineResult] = []
        entries = await self._sdk(self.backend._sdk_client().messages.batches.results(job_id))
        async for entry in entries:
            result = entry.result
            if result.type == "succeeded":
                try:
                    completion = self.backend.completion_from_message(result.message)
                    results.append(LineResult(entry.custom_id, completion, None))
                except BackendError as error:
                    results.append(LineResult(entry.custom_id, None, str(error)))
            elif result.type == "errored":
                inner = getattr(result.error, "error", None)
                results.append(LineResult(entry.custom_id, None, f"anthropic batch error: {getattr(inner, 'type', '')} "
                                                                 f"{getattr(inner, 'message', '')}"))
            # canceled / expired: never ran; the call stays to do and goes the normal path
        return results


def batch_api(backend: Backend) -> OpenAIBatches | AnthropicBatches | None:
    """The batch API of `backend`'s provider, or None when it has none (local models, fleets)."""
    if backend.name == "openai" and hasattr(backend, "request_params") and hasattr(backend, "_sdk_client"):
        return OpenAIBatches(backend)
    if backend.name == "anthropic" and hasattr(backend, "request_params"):
        return AnthropicBatches(backend)
    return None
