"""Anthropic's Claude models through the official SDK's Messages API.

System messages become the `system` parameter. Retries of 408/409/429/5xx (honouring `retry-after`) are
the SDK's own, bounded by `max_retries`; `timeout` bounds each attempt.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import anthropic
import httpx2

from synth.backends import _sdk
from synth.backends._cloud import CloudBackend
from synth.backends.base import BackendError, Completion, Request
from synth.backends.keys import compatible_key_variable, find_compatible_key, require_key, scrub
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
class AnthropicBackend(CloudBackend):
    """Claude chat models through the Messages API.

    Sampling options are not sent: the Messages API of anthropic SDK 2.x takes no temperature, top_p or
    seed (`messages.create` refuses them), so only max_tokens and stop sequences apply; whitespace-only
    stop sequences are left out, as the API refuses them.

    Args:
        model: the model name, free text (e.g. `claude-haiku-4-5`).
        api_key: wins over `ANTHROPIC_API_KEY`; a gateway at `base_url` gets this key or
            `ANTHROPIC_COMPATIBLE_API_KEY`, never `ANTHROPIC_API_KEY` (unless the base URL is
            `ANTHROPIC_BASE_URL` from the environment).
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
    sdk: ClassVar[ModuleType] = anthropic
    default_url = ANTHROPIC_URL
    base_url_variable = BASE_URL_VARIABLE

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
        super().__init__(
            model=model, max_context=max_context, base_url=base_url, timeout=timeout, max_retries=max_retries,
            http_client=http_client,
        )
        if self._uses_own_server():
            self._key = require_key(KEY_VARIABLE, api_key, backend="anthropic")
        else:  # a gateway: never Anthropic's own key unless its URL came from the environment beside it
            self._key = find_compatible_key(KEY_VARIABLE, api_key, url_from_environment=base_url is None)
            if self._key is None:
                self._key = require_key(compatible_key_variable(KEY_VARIABLE), None, backend="anthropic gateway")
        self.takes_sampling = False  # the SDK's Messages API has no temperature or top_p

    def _make_client(self) -> anthropic.AsyncAnthropic:
        # The key is always explicit, so the SDK never falls back to profiles or token files.
        assert self._key is not None
        return anthropic.AsyncAnthropic(
            api_key=self._key.reveal(),
            base_url=self.base_url or ANTHROPIC_URL,
            timeout=self.timeout,
            max_retries=self.max_retries,
            http_client=self._http_client,
        )

    async def generate(self, request: Request) -> Completion:
        """One Messages call. Raises BackendError (fatal for auth, bad request, unknown model)."""
        params = self.request_params(request)
        try:
            response: Any = await self._sdk_client().messages.create(**params)
        except Exception as error:
            mapped = self._backend_error(error)
            if mapped is None:
                raise
            raise mapped from None
        return self._completion(response)

    def request_params(self, request: Request) -> dict[str, Any]:
        """The Messages API parameters of `request` (what `generate` sends; a batch request's `params`).

        Raises:
            BackendError: a completion prompt, or no user message (fatal: bad request).
        """
        if request.prompt is not None:
            raise BackendError(
                "anthropic models take chat messages, not a completion prompt; pick a chat prompt strategy",
                fatal=True, kind="bad_request",
            )
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
        if not turns:
            raise BackendError(
                "anthropic needs at least one user message besides the system prompt",
                fatal=True, kind="bad_request",
            )
        options = request.options
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": options.max_tokens,
            "messages": turns,
        }
        if system:
            params["system"] = system
        # The API refuses whitespace-only stop sequences (e.g. "\n\n") with a 400 that would stop the run.
        stop = [sequence for sequence in options.stop if sequence.strip()]
        if stop:
            params["stop_sequences"] = stop
        return params

    def completion_from_message(self, message: Any) -> Completion:
        """The Completion in a Message (a batch result's `result.message`); BackendError when malformed."""
        return self._completion(message)

    def _completion(self, response: Any) -> Completion:
        """Join the text blocks and read usage, checking the shape of the answer."""
        try:
            texts = [block.text for block in response.content if getattr(block, "type", None) == "text"]
            input_tokens, output_tokens = response.usage.input_tokens, response.usage.output_tokens
            version = getattr(response, "model", None)
            stop_reason = getattr(response, "stop_reason", None)
        except (AttributeError, TypeError, KeyError) as error:
            raise _sdk.malformed("anthropic", f"{type(error).__name__}: {error}", self._secrets) from None
        if (not all(isinstance(text, str) for text in texts) or not isinstance(input_tokens, int)
                or not isinstance(output_tokens, int)):
            raise _sdk.malformed(
                "anthropic", f"no text or token counts in {scrub(repr(response), *self._secrets)[:300]}",
                self._secrets,
            )
        text = "".join(texts)
        self._refuse_echoed_secrets(text)
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=self.model,
            finish_reason=stop_reason if isinstance(stop_reason, str) else None,
            model_version=self._remember_version(version),
        )
