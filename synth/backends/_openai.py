"""OpenAI, and every OpenAI-compatible server (vLLM, Ollama, LM Studio, llama.cpp's server), through the
official SDK.

`base_url` points the same backend at a compatible server; such servers need no key. Retries of
408/409/429/5xx (honouring `retry-after`) are the SDK's own, bounded by `max_retries`; `timeout` bounds
each attempt. Completion prompts go to the legacy completions endpoint, which compatible servers (and
OpenAI's instruct models) still have.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import openai

from synth.backends import _sdk
from synth.backends.base import Backend, BackendError, Completion, GenerationOptions, Request
from synth.backends.keys import Secret, find_key, require_key, scrub
from synth.backends.registry import register

KEY_VARIABLE = "OPENAI_API_KEY"
BASE_URL_VARIABLE = "OPENAI_BASE_URL"
OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
# Suggestions for the model box (free text is accepted) with their context windows in tokens.
KNOWN_MODELS: dict[str, int] = {
    "gpt-4o-mini": 128_000,
    "gpt-4o": 128_000,
    "gpt-4.1-nano": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1": 1_047_576,
}
# OpenAI's own models that still take completion prompts.
COMPLETION_MODELS = frozenset({"gpt-3.5-turbo-instruct", "davinci-002", "babbage-002"})
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONTEXT = 8192
# Compatible servers without auth still get a bearer token from the SDK; this one says so.
NO_KEY = "no-key-needed"


@register
class OpenAIBackend(Backend):
    """Chat (and completion) models behind the OpenAI API or an OpenAI-compatible server.

    Args:
        model: the model name, free text (e.g. `gpt-4o-mini`, or whatever a compatible server serves).
        api_key: wins over `OPENAI_API_KEY`; not needed when `base_url` points at a compatible server.
        base_url: a compatible server, e.g. `http://127.0.0.1:8080/v1`; else `OPENAI_BASE_URL`, else OpenAI.
        timeout: seconds allowed for each attempt.
        max_retries: the SDK's retries of 408/409/429/5xx and connection errors (0 turns them off).
        max_context: the model's context window, when it is not one of KNOWN_MODELS.
        http_client: an `httpx2.AsyncClient` to send requests with (tests inject a MockTransport).

    Raises:
        ConfigError: no key for OpenAI itself, a bad base_url, timeout or max_retries.
    """

    name = "openai"
    supports_chat = True
    supports_seed = True
    needs_key = KEY_VARIABLE

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_context: int | None = None,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        super().__init__(model=model, max_context=max_context or KNOWN_MODELS.get(model, DEFAULT_MAX_CONTEXT))
        _sdk.validate_client_settings(timeout=timeout, max_retries=max_retries)
        self.base_url = _sdk.resolve_base_url(base_url, BASE_URL_VARIABLE)
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self._key: Secret | None = (
            require_key(KEY_VARIABLE, api_key, backend="openai") if self.base_url is None
            else find_key(KEY_VARIABLE, api_key)
        )
        self.supports_completion = self.base_url is not None or model in COMPLETION_MODELS
        self.model_version: str | None = None
        self._http_client = http_client
        self._client: openai.AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def public_base_url(self) -> str:
        """The server's URL without any credentials in it."""
        return _sdk.public_url(self.base_url or OPENAI_URL)

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
        return f"OpenAIBackend(model={self.model!r}, base_url={self.public_base_url!r})"

    def _sdk_client(self) -> openai.AsyncOpenAI:
        """The SDK client for the running event loop (an httpx2 pool cannot outlive its loop, and Streamlit
        runs a new loop per run); an injected http_client is always reused."""
        loop = asyncio.get_running_loop()
        if self._client is None or (self._http_client is None and self._client_loop is not loop):
            self._client = openai.AsyncOpenAI(
                api_key=self._key.reveal() if self._key is not None else NO_KEY,
                base_url=self.base_url or OPENAI_URL,
                timeout=self.timeout,
                max_retries=self.max_retries,
                http_client=self._http_client,
            )
            self._client_loop = loop
        return self._client

    async def generate(self, request: Request) -> Completion:
        """One chat or completion call. Raises BackendError (fatal for auth, bad request, unknown model)."""
        if request.prompt is not None and not self.supports_completion:
            raise BackendError(
                f"openai model {self.model!r} takes chat messages, not a completion prompt; pick a chat "
                "prompt strategy, an instruct model (gpt-3.5-turbo-instruct) or a compatible server",
                fatal=True, kind="bad_request",
            )
        client = self._sdk_client()
        try:
            if request.prompt is not None:
                response: Any = await client.completions.create(
                    model=self.model, prompt=request.prompt, **self._sampling(request.options, chat=False)
                )
            else:
                response = await client.chat.completions.create(
                    model=self.model,
                    messages=[{"role": m.role, "content": m.content} for m in request.messages],  # type: ignore[misc]
                    **self._sampling(request.options, chat=True),
                )
        except Exception as error:
            mapped = _sdk.map_sdk_error(
                error, sdk=openai, provider="openai", model=self.model, key=self._key,
                key_variable=KEY_VARIABLE, where=self.public_base_url, timeout=self.timeout,
                max_retries=self.max_retries,
            )
            if mapped is None:
                raise
            raise mapped from None
        return self._completion(response, chat=request.prompt is None)

    def _sampling(self, options: GenerationOptions, *, chat: bool) -> dict[str, Any]:
        # OpenAI's own chat API replaced max_tokens (refused by its reasoning models); compatible servers
        # and the legacy completions endpoint still read max_tokens.
        length_name = "max_completion_tokens" if chat and self.base_url is None else "max_tokens"
        sampling: dict[str, Any] = {
            length_name: options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
        }
        if options.seed is not None:
            sampling["seed"] = options.seed
        if options.stop:
            sampling["stop"] = list(options.stop)
        return sampling

    def _completion(self, response: Any, *, chat: bool) -> Completion:
        """Read text and usage, checking the shape: a server may send JSON that is not a completion."""
        try:
            choice = response.choices[0]
            if chat:
                text = choice.message.content
                if text is None:  # a refusal comes in its own field; the parser tags refusals
                    text = getattr(choice.message, "refusal", None)
            else:
                text = choice.text
            usage = response.usage
            input_tokens, output_tokens = usage.prompt_tokens, usage.completion_tokens
            version = getattr(response, "model", None)
            finish_reason = choice.finish_reason
        except (AttributeError, IndexError, TypeError, KeyError) as error:
            raise _sdk.malformed("openai", f"{type(error).__name__}: {error}", self._key) from None
        if not isinstance(text, str) or not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
            raise _sdk.malformed(
                "openai", f"no text or token counts in {scrub(repr(response), self._key)[:300]}", self._key
            )
        if isinstance(version, str) and version:
            self.model_version = version
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=self.model,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            model_version=version if isinstance(version, str) and version else None,
        )

    async def aclose(self) -> None:
        """Close the SDK client (and with it an http_client it was given)."""
        if self._client is not None:
            await self._client.close()
            self._client = None

