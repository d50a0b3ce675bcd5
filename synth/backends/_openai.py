"""OpenAI, and every OpenAI-compatible server (vLLM, Ollama, LM Studio, llama.cpp's server), through the
official SDK.

`base_url` points the same backend at a compatible server; such servers need no key. Retries of
408/409/429/5xx (honouring `retry-after`) are the SDK's own, bounded by `max_retries`; `timeout` bounds
each attempt. Completion prompts go to the legacy completions endpoint, which compatible servers (and
OpenAI's instruct models) still have.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import httpx2
import openai

from synth.backends import _sdk
from synth.backends._cloud import CloudBackend
from synth.backends.base import BackendError, Completion, GenerationOptions, Request
from synth.backends.keys import find_compatible_key, require_key, scrub
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
    "gpt-5-nano": 400_000,
    "gpt-5-mini": 400_000,
}
# OpenAI's reasoning models: no temperature or top_p, and max_completion_tokens also pays for reasoning,
# so give them room.
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
# OpenAI's own models that still take completion prompts.
COMPLETION_MODELS = frozenset({"gpt-3.5-turbo-instruct", "davinci-002", "babbage-002"})
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONTEXT = 8192
# Compatible servers without auth still get a bearer token from the SDK; this one says so.
NO_KEY = "no-key-needed"
CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"


@register
class OpenAIBackend(CloudBackend):
    """Chat (and completion) models behind the OpenAI API or an OpenAI-compatible server.

    Args:
        model: the model name, free text (e.g. `gpt-4o-mini`, or whatever a compatible server serves).
        api_key: wins over `OPENAI_API_KEY`; not needed when `base_url` points at a compatible server, which
            gets this key or `OPENAI_COMPATIBLE_API_KEY`, never `OPENAI_API_KEY` (unless the base URL is
            `OPENAI_BASE_URL` from the environment).
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
    sdk: ClassVar[ModuleType] = openai
    default_url = OPENAI_URL
    base_url_variable = BASE_URL_VARIABLE

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
        if max_context is None:
            max_context = KNOWN_MODELS.get(model, DEFAULT_MAX_CONTEXT)
        super().__init__(
            model=model, max_context=max_context, base_url=base_url, timeout=timeout, max_retries=max_retries,
            http_client=http_client,
        )
        # OpenAI itself (no base_url, or its own URL given) needs a key and differs from compatible servers:
        # chat models only (bar a few instruct models), and max_completion_tokens instead of max_tokens.
        self._is_openai = self._uses_own_server()
        self._key = (
            require_key(KEY_VARIABLE, api_key, backend="openai") if self._is_openai
            else find_compatible_key(KEY_VARIABLE, api_key, url_from_environment=base_url is None)
        )
        self.supports_completion = not self._is_openai or model in COMPLETION_MODELS
        # OpenAI's reasoning models refuse temperature and top_p; they are left out for them.
        self.takes_sampling = not (self._is_openai and model.startswith(REASONING_PREFIXES))

    def _make_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self._key.reveal() if self._key is not None else NO_KEY,
            base_url=self.base_url or OPENAI_URL,
            timeout=self.timeout,
            max_retries=self.max_retries,
            http_client=self._http_client,
        )

    async def generate(self, request: Request) -> Completion:
        """One chat or completion call. Raises BackendError (fatal for auth, bad request, unknown model)."""
        if request.prompt is not None and not self.supports_completion:
            raise BackendError(
                f"openai model {self.model!r} takes chat messages, not a completion prompt; pick a chat "
                "prompt strategy, an instruct model (gpt-3.5-turbo-instruct) or a compatible server",
                fatal=True, kind="bad_request",
            )
        client = self._sdk_client()
        path, params = self.request_params(request)
        try:
            if path == COMPLETIONS_PATH:
                response: Any = await client.completions.create(**params)
            else:
                response = await client.chat.completions.create(**params)
        except Exception as error:
            mapped = self._backend_error(error)
            if mapped is None:
                raise
            raise mapped from None
        return self._completion(response, chat=request.prompt is None)

    def request_params(self, request: Request) -> tuple[str, dict[str, Any]]:
        """The endpoint path and JSON body of `request` (what `generate` sends; batch files hold the same)."""
        if request.prompt is not None:
            return COMPLETIONS_PATH, {
                "model": self.model, "prompt": request.prompt, **self._sampling(request.options, chat=False)
            }
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        return CHAT_PATH, {"model": self.model, "messages": messages, **self._sampling(request.options, chat=True)}

    def completion_from_body(self, path: str, body: dict[str, Any]) -> Completion:
        """The Completion in a response body of `path` (a batch result line's `response.body`).

        Raises:
            BackendError: the body is not a completion (kind `malformed`).
        """
        chat = path == CHAT_PATH
        kind = openai.types.chat.ChatCompletion if chat else openai.types.Completion
        try:
            response = kind.model_validate(body)
        except Exception as error:  # pydantic's ValidationError, or anything the body's shape raises
            raise _sdk.malformed("openai", f"{type(error).__name__}: {str(error)[:200]}", self._secrets) from None
        return self._completion(response, chat=chat)

    def _sampling(self, options: GenerationOptions, *, chat: bool) -> dict[str, Any]:
        # OpenAI's own chat API replaced max_tokens (refused by its reasoning models); compatible servers
        # and the legacy completions endpoint still read max_tokens.
        length_name = "max_completion_tokens" if chat and self._is_openai else "max_tokens"
        sampling: dict[str, Any] = {length_name: options.max_tokens}
        if self.takes_sampling:
            sampling.update(temperature=options.temperature, top_p=options.top_p)
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
            raise _sdk.malformed("openai", f"{type(error).__name__}: {error}", self._secrets) from None
        if not isinstance(text, str) or not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
            raise _sdk.malformed(
                "openai", f"no text or token counts in {scrub(repr(response), *self._secrets)[:300]}", self._secrets
            )
        self._refuse_echoed_secrets(text)
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=self.model,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            model_version=self._remember_version(version),
        )
