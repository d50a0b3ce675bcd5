"""The one small interface every generation backend implements (after simonw/llm's model plugins).

A backend is a class with capabilities as class attributes and one abstract method, `generate`, which
takes a Request (chat messages or a completion prompt, plus options) and returns a Completion with the
text and the provider's token counts. Backends are built with keyword-only settings and never read the
environment or build clients at import time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from synth.errors import SynthError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling options; a backend that cannot honour one (e.g. `seed`) ignores it and says so in its
    capabilities."""

    max_tokens: int = 256
    temperature: float = 0.9
    top_p: float = 0.95
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """What to generate from: chat `messages` for chat models, or a `prompt` string for completion-only
    (base) models. Exactly one of the two is set."""

    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    options: GenerationOptions = field(default_factory=GenerationOptions)

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("a Request needs either chat messages or a completion prompt, not both or none")


@dataclass(frozen=True)
class Completion:
    """A backend's answer: the text and the token counts from the provider's usage fields."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str
    finish_reason: str | None = None
    # The exact model that answered, when the provider says (e.g. "gpt-4o-mini-2024-07-18").
    model_version: str | None = None
    # The server that answered, when a fleet spread the call over several (synth.backends.fleet).
    endpoint: str | None = None


class BackendError(SynthError):
    """A backend call failed in a way the user must know about. `fatal` errors (bad key, bad request,
    unknown model) stop a whole run at once; others fail just the call after the SDK's retries."""

    def __init__(self, message: str, *, fatal: bool = False, kind: str | None = None) -> None:
        super().__init__(message)
        self.fatal = fatal
        # What went wrong, for logs and counts: auth, bad_request, not_found, rate_limit, server, timeout,
        # connection, malformed (see synth.backends._sdk); load, cancelled (the local backend).
        self.kind = kind


class Backend(ABC):
    """A text generator. Subclasses set the capabilities and implement `generate`.

    Attributes:
        name: registry name, the `backend` part of `backend:model`.
        supports_chat: accepts `Request.messages`.
        supports_completion: accepts `Request.prompt`.
        supports_seed: honours `GenerationOptions.seed`.
        needs_key: the name of the environment variable holding its API key, or None.
    """

    name: ClassVar[str]
    # Capabilities are class defaults an instance may refine (a local base model is completion-only).
    supports_chat: bool = True
    supports_completion: bool = False
    supports_seed: bool = False
    needs_key: ClassVar[str | None] = None

    def __init__(self, *, model: str, max_context: int = 8192) -> None:
        self.model = model
        self.max_context = max_context

    @abstractmethod
    async def generate(self, request: Request) -> Completion:
        """Generate one completion. Raises BackendError for failures the user must see."""

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about this backend: never a secret."""
        return {"backend": self.name, "model": self.model}

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to close
        """Release clients or models; the default holds nothing."""
