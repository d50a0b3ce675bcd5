"""What the openai and anthropic backends share: settings validation and SDK errors -> BackendError.

Both SDKs (Stainless-generated, on httpx2) raise the same family of errors, so one mapping serves both:
auth (401/403), bad request (400/413/422), not found (404) and other client errors are fatal and carry the
provider's message; rate limits, timeouts, connection failures and 5xx arrive here only after the SDK's
own retries are spent, and fail just the call. Every message is scrubbed of keys.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from synth.backends.base import BackendError
from synth.backends.keys import SECRETS_FILE, Secret, scrub
from synth.errors import ConfigError

MAX_MESSAGE_CHARS = 500
# Statuses the SDKs retry themselves; seeing one here means the retries are spent.
RETRIED_STATUSES = frozenset({408, 409, 429})


def validate_client_settings(*, timeout: float, max_retries: int) -> None:
    """Raise ConfigError for a timeout or retry count the SDK would misuse."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigError(f"max_retries must be a whole number >= 0, got {max_retries!r}")


def validate_max_context(max_context: int) -> None:
    """Raise ConfigError unless `max_context` is a positive whole number of tokens."""
    if isinstance(max_context, bool) or not isinstance(max_context, int) or max_context < 1:
        raise ConfigError(f"max_context must be a whole number of tokens >= 1, got {max_context!r}")


def resolve_base_url(explicit: str | None, variable: str) -> str | None:
    """The base URL from the argument, then the environment variable; None means the provider's own.

    Raises:
        ConfigError: the URL is not http(s)://host[...].
    """
    url = explicit if explicit is not None else os.environ.get(variable)
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url {public_url(url)!r} is not an http(s) URL; e.g. http://127.0.0.1:8080/v1 for "
            "llama.cpp's server, http://localhost:11434/v1 for Ollama"
        )
    return url


def public_url(url: str) -> str:
    """`url` without user:password, query or fragment, which may hold credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def map_sdk_error(
    error: Exception,
    *,
    sdk: ModuleType,
    provider: str,
    model: str,
    secrets: Sequence[Secret | None],
    key_variable: str,
    where: str,
    timeout: float,
    max_retries: int,
) -> BackendError | None:
    """The BackendError for an exception raised by an SDK call, or None when it is not an SDK failure.

    Args:
        error: what the SDK raised.
        sdk: the `openai` or `anthropic` module (their error classes have the same names).
        provider: name for messages, e.g. "openai".
        model: the model asked for, named in not-found messages.
        secrets: the key in use and the base URL's password, scrubbed from every message.
        key_variable: the variable the key comes from, named in auth messages.
        where: the public base URL, named in not-found and connection messages.
        timeout, max_retries: the client settings, named in timeout messages.
    """
    client = _Client(provider, model, key_variable, where, timeout, max_retries)
    failure: _Failure
    if isinstance(error, sdk.APIStatusError):
        failure = _status_failure(error.status_code, _provider_message(error), client)
    elif isinstance(error, sdk.APITimeoutError):  # before APIConnectionError: the SDKs subclass it
        failure = _timeout_failure(client)
    elif isinstance(error, sdk.APIConnectionError):
        failure = _connection_failure(error, client)
    elif isinstance(error, sdk.APIResponseValidationError | json.JSONDecodeError):
        return malformed(provider, f"{type(error).__name__}: {error}", secrets)
    else:
        return None
    return _error(failure.message, secrets, fatal=failure.fatal, kind=failure.kind)


@dataclass(frozen=True)
class _Client:
    """What error messages name about the client whose call failed."""

    provider: str
    model: str
    key_variable: str
    where: str
    timeout: float
    max_retries: int


class _Failure(NamedTuple):
    message: str
    fatal: bool
    kind: str


def _status_failure(status: int, said: str, client: _Client) -> _Failure:
    """An HTTP error status: auth, not found and other client errors are fatal; rate limits and server errors
    (after the SDK's retries) fail the call."""
    provider, retries = client.provider, client.max_retries
    if status in (401, 403):
        return _Failure(
            f"{provider} refused the key ({status}): {said}. Check {client.key_variable} in your environment "
            f"or {SECRETS_FILE}",
            True, "auth",
        )
    if status == 404:
        return _Failure(
            f"{provider} at {client.where} does not know model {client.model!r} ({status}): {said}. Check the "
            "model name (and the base_url)",
            True, "not_found",
        )
    if status == 429:
        return _Failure(
            f"{provider} rate limit still hit after {retries} retries ({status}): {said}. Lower the "
            "concurrency or the requests/tokens per minute",
            False, "rate_limit",
        )
    if status in RETRIED_STATUSES or status >= 500:
        return _Failure(f"{provider} server error after {retries} retries ({status}): {said}", False, "server")
    return _Failure(
        f"{provider} rejected the request ({status}): {said}. Check the model's settings "
        "(max tokens, temperature, stop sequences, prompt length)",
        True, "bad_request",
    )


def _timeout_failure(client: _Client) -> _Failure:
    return _Failure(
        f"{client.provider} did not answer within {client.timeout:g} s ({client.max_retries} retries). Raise the "
        "timeout or lower the concurrency",
        False, "timeout",
    )


def _connection_failure(error: Exception, client: _Client) -> _Failure:
    return _Failure(
        f"could not connect to {client.provider} at {client.where} ({client.max_retries} retries): "
        f"{error}. Is the server running and the base_url right?",
        False, "connection",
    )


def malformed(provider: str, detail: str, secrets: Sequence[Secret | None]) -> BackendError:
    """The non-fatal error for an answer that is not a usable completion."""
    detail = scrub(detail, *secrets)  # before the cut, so no half of a secret survives it
    detail = detail if len(detail) <= MAX_MESSAGE_CHARS else detail[:MAX_MESSAGE_CHARS] + "..."
    return _error(f"{provider} sent a malformed answer: {detail}", secrets, fatal=False, kind="malformed")


def _provider_message(error: Exception) -> str:
    """The human message in an error body, cut to MAX_MESSAGE_CHARS."""
    text = _body_message(error).strip().rstrip(".")  # our messages add their own full stop
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "..."


def _body_message(error: Exception) -> str:
    """The message of {"error": {"message": ...}} and its variants, else the body or the SDK's text."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
        if "detail" in body:  # FastAPI servers (llama_cpp.server) put validation errors here
            return json.dumps(body["detail"], default=str)
        return json.dumps(body, default=str)
    if isinstance(body, str) and body.strip():
        return body
    return str(getattr(error, "message", "") or error)


def _error(message: str, secrets: Sequence[Secret | None], *, fatal: bool, kind: str) -> BackendError:
    return BackendError(scrub(message, *secrets), fatal=fatal, kind=kind)
