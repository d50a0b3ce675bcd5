"""A deterministic test-double backend, registered exactly like a real one (`double:<model>`).

Its behaviour comes from keyword settings, so a run config can carry it into a subprocess:
replies (cycled), a delay per call (or delays, cycled, to shuffle the order calls finish in), calls that
fail (non-fatal), a call from which every call fails fatally, and calls that raise a plain exception (a bug).
Every instance records how many calls were in flight at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from synth.backends.base import Backend, BackendError, Completion, Request
from synth.backends.registry import register


@register
class DoubleBackend(Backend):
    name: ClassVar[str] = "double"
    supports_chat: ClassVar[bool] = True
    supports_completion: ClassVar[bool] = True
    supports_seed: ClassVar[bool] = True
    instances: ClassVar[list[DoubleBackend]] = []

    def __init__(
        self,
        *,
        model: str,
        replies: Sequence[str] = (),
        delay_s: float = 0.0,
        delays: Sequence[float] = (),
        fail_calls: Sequence[int] = (),
        fatal_from_call: int | None = None,
        bug_calls: Sequence[int] = (),
        input_tokens: int = 10,
        output_tokens: int = 5,
        max_context: int = 8192,
    ) -> None:
        super().__init__(model=model, max_context=max_context)
        self.replies = list(replies)
        self.delay_s = delay_s
        self.delays = list(delays)
        self.fail_calls = set(fail_calls)
        self.fatal_from_call = fatal_from_call
        self.bug_calls = set(bug_calls)
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[Request] = []
        self.closed = False
        DoubleBackend.instances.append(self)

    async def generate(self, request: Request) -> Completion:
        number = self.calls
        self.calls += 1
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            delay = self.delays[number % len(self.delays)] if self.delays else self.delay_s
            if delay:
                await asyncio.sleep(delay)
            if self.fatal_from_call is not None and number >= self.fatal_from_call:
                raise BackendError("double: invalid API key (simulated 401)", fatal=True)
            if number in self.bug_calls:
                raise RuntimeError("double: a bug in the backend")
            if number in self.fail_calls:
                raise BackendError("double: service unavailable (simulated 503 after retries)")
            text = self.replies[number % len(self.replies)] if self.replies else f"post seed={request.options.seed}"
            return Completion(text, self.input_tokens, self.output_tokens, f"{self.model}-v1", "stop")
        finally:
            self.in_flight -= 1

    def describe(self) -> dict[str, object]:
        return {"backend": self.name, "model": self.model, "version": "v1"}

    async def aclose(self) -> None:
        self.closed = True
