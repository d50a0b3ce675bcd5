"""Anthropic's Claude models through the official SDK's Messages API.

System messages become the `system` parameter. Retries of 408/409/429/5xx (honouring `retry-after`) are
the SDK's own, bounded by `max_retries`; `timeout` bounds each attempt.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import httpx2

from synth.backends import _sdk
from synth.backends.base import Backend, BackendError, Completion, Request
from synth.backends.keys import Secret, require_key, scrub
from synth.backends.registry import register

KEY_VARIABLE = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE = "ANTHROPIC_BASE_URL"
ANTHROPIC_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-haiku-4-5"
# Suggestions for the model box (free text is accepted), from the model names the SDK knows.
KNOWN_MODELS = ("claude-haiku-4-5", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-5")
DEFAULT_MAX_CONTEXT = 200_000
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


@register
class AnthropicBackend(Backend):
    """Claude chat models through the Messages API.

    Sampling options are not sent: the Messages API of anthropic SDK 2.x takes no temperature, top_p or
    seed (`messages.create` refuses them), so only max_tokens and stop sequences apply.

    Args:
        model: the model name, free text (e.g. `claude-haiku-4-5`).
        api_key: wins over `ANTHROPIC_API_KEY`.
        base_url: a proxy or gateway; else `ANTHROPIC_BASE_URL`, else Anthropic.
        timeout: seconds allowed for each attempt.
        max_retries: the SDK's retries of 408/409/429/5xx and connection errors (0 turns them off).
        max_context: the model's context window in tokens.
        http_client: an `httpx2.AsyncClient` to send requests with (tests inject a MockTransport).

    Raises:
        ConfigError: no key, a bad base_url, timeout or max_retries.
    """

    name = "anthropic"
    supports_chat = True
    supports_completion = False
    supports_seed = False
    needs_key = KEY_VARIABLE

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_context: int = DEFAULT_MAX_CONTEXT,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        super().__init__(model=model, max_context=max_context)
        _sdk.validate_client_settings(timeout=timeout, max_retries=max_retries)
        self.base_url = _sdk.resolve_base_url(base_url, BASE_URL_VARIABLE)
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self._key: Secret = require_key(KEY_VARIABLE, api_key, backend="anthropic")
        self.model_version: str | None = None
        self._http_client = http_client
        self._client: anthropic.AsyncAnthropic | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def public_base_url(self) -> str:
        """The server's URL without any credentials in it."""
        return _sdk.public_url(self.base_url or ANTHROPIC_URL)

    def describe(self) -> dict[str, Any]:
        """Backend, model, server and the model version seen in the last answer; never the key."""
        return {
            "backend": self.name,
            "model": self.model,
            "base_url": self.public_base_url,
            "model_version": self.model_version,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    def __repr__(self) -> str:
        return f"AnthropicBackend(model={self.model!r}, base_url={self.public_base_url!r})"

    def _sdk_client(self) -> anthropic.AsyncAnthropic:
        """The SDK client for the running event loop; an injected http_client is always reused."""
        loop = asyncio.get_running_loop()
        if self._client is None or (self._http_client is None and self._client_loop is not loop):
            # The key is always explicit, so the SDK never falls back to profiles or token files.
            self._client = anthropic.AsyncAnthropic(
                api_key=self._key.reveal(),
                base_url=self.base_url or ANTHROPIC_URL,
                timeout=self.timeout,
                max_retries=self.max_retries,
                http_client=self._http_client,
            )
            self._client_loop = loop
        return self._client

    async def generate(self, request: Request) -> Completion:
        """One Messages call. Raises BackendError (fatal for auth, bad request, unknown model)."""
        if request.prompt is not None:
            raise BackendError(
                "anthropic models take chat messages, not a completion prompt; pick a chat prompt strategy",
                fatal=True, kind="bad_request",
            )
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
        options = request.options
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": options.max_tokens,
            "messages": turns,
        }
        if system:
            params["system"] = system
        if options.stop:
            params["stop_sequences"] = list(options.stop)
        try:
            response: Any = await self._sdk_client().messages.create(**params)
        except Exception as error:
            mapped = _sdk.map_sdk_error(
                error, sdk=anthropic, provider="anthropic", model=self.model, key=self._key,
                key_variable=KEY_VARIABLE, where=self.public_base_url, timeout=self.timeout,
                max_retries=self.max_retries,
            )
            if mapped is None:
                raise
            raise mapped from None
        return self._completion(response)

    def _completion(self, response: Any) -> Completion:
        """Join the text blocks and read usage, checking the shape of the answer."""
        try:
            texts = [block.text for block in response.content if getattr(block, "type", None) == "text"]
            input_tokens, output_tokens = response.usage.input_tokens, response.usage.output_tokens
            version = getattr(response, "model", None)
            stop_reason = getattr(response, "stop_reason", None)
        except (AttributeError, TypeError, KeyError) as error:
            raise _sdk.malformed("anthropic", f"{type(error).__name__}: {error}", self._key) from None
        if (not all(isinstance(text, str) for text in texts) or not isinstance(input_tokens, int)
                or not isinstance(output_tokens, int)):
            raise _sdk.malformed(
                "anthropic", f"no text or token counts in {scrub(repr(response), self._key)[:300]}", self._key
            )
        if isinstance(version, str) and version:
            self.model_version = version
        return Completion(
            text="".join(texts),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=self.model,
            finish_reason=stop_reason if isinstance(stop_reason, str) else None,
            model_version=version if isinstance(version, str) and version else None,
        )

    async def aclose(self) -> None:
        """Close the SDK client (and with it an http_client it was given)."""
        if self._client is not None:
            await self._client.close()
            self._client = None
