"""The part of the openai and anthropic backends that is the same: settings, the SDK client's lifetime,
a description without secrets, and SDK errors turned into BackendError."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx2

from synth.backends import _sdk
from synth.backends.base import Backend, BackendError
from synth.backends.keys import Secret, reveals, url_password


class CloudBackend(Backend):
    """A backend that calls a provider's official async SDK over HTTP.

    Subclasses set `sdk`, `default_url`, `base_url_variable`, resolve `self._key` after this __init__, and
    implement `_make_client` and `generate`.
    """

    sdk: ClassVar[ModuleType]
    default_url: ClassVar[str]
    base_url_variable: ClassVar[str]

    def __init__(
        self,
        *,
        model: str,
        max_context: int,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        http_client: httpx2.AsyncClient | None,
    ) -> None:
        _sdk.validate_max_context(max_context)
        _sdk.validate_client_settings(timeout=timeout, max_retries=max_retries)
        super().__init__(model=model, max_context=max_context)
        self.base_url = _sdk.resolve_base_url(base_url, self.base_url_variable)
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.model_version: str | None = None  # from the last answer: the exact model that ran
        self.takes_sampling = True  # False where the provider refuses temperature/top_p for this model
        self._key: Secret | None = None
        self._url_password = url_password(self.base_url)
        self._http_client = http_client
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def public_base_url(self) -> str:
        """The server's URL without any credentials in it."""
        return _sdk.public_url(self.base_url or self.default_url)

    def describe(self) -> dict[str, Any]:
        """Backend, model, server and the model version seen in the last answer; never the key."""
        return {
            "backend": self.name,
            "model": self.model,
            "base_url": self.public_base_url,
            "model_version": self.model_version,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "sends_sampling": self.takes_sampling,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.public_base_url!r})"

    @abstractmethod
    def _make_client(self) -> Any:
        """A new SDK client with the key, base URL, timeout, retries and http_client."""

    def _sdk_client(self) -> Any:
        """The SDK client for the running event loop: an httpx2 pool cannot outlive its loop, and Streamlit
        runs a new loop per run. An injected http_client belongs to the caller and is always reused."""
        loop = asyncio.get_running_loop()
        if self._client is None or (self._http_client is None and self._client_loop is not loop):
            self._client = self._make_client()
            self._client_loop = loop
        return self._client

    @property
    def _secrets(self) -> tuple[Secret | None, ...]:
        """What no message, record or post may show: the key and the base URL's password."""
        return (self._key, self._url_password)

    def _uses_own_server(self) -> bool:
        """True when calls go to the provider's own host (no base URL, or one on the default URL's host)."""
        return self.base_url is None or urlsplit(self.base_url).hostname == urlsplit(self.default_url).hostname

    def _refuse_echoed_secrets(self, text: str) -> None:
        """Fail the call (not the run) when the answer repeats the key or the URL's password: it is dropped
        rather than kept as a post, and the message says so without showing it."""
        if reveals(text, *self._secrets):
            raise BackendError(
                f"{self.name} answered with text that contains the API key (or the base URL's password); the "
                "answer was discarded so it is never saved as a post. Rotate the key if the server is not yours",
                fatal=False, kind="secret_echo",
            )

    def _backend_error(self, error: Exception) -> BackendError | None:
        """The BackendError for what the SDK raised, or None when it is not an SDK failure (a bug)."""
        return _sdk.map_sdk_error(
            error, sdk=self.sdk, provider=self.name, model=self.model, secrets=self._secrets,
            key_variable=self.needs_key or "", where=self.public_base_url, timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def _remember_version(self, version: object) -> str | None:
        if isinstance(version, str) and version:
            self.model_version = version
            return version
        return None

    async def aclose(self) -> None:
        """Close the SDK client (and an http_client it was given). One made in an earlier, now closed event
        loop cannot be closed from this one; its connections went with that loop, so it is dropped."""
        client, self._client = self._client, None
        if client is not None and (self._http_client is not None or self._client_loop is asyncio.get_running_loop()):
            await client.close()
