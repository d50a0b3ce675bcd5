"""A fleet: one model served by several OpenAI-compatible servers (vLLM, SGLang, TGI, llama.cpp...), used as one
backend.

Each call goes to the least busy healthy endpoint that has a free slot (at most `per_endpoint` calls in flight on
each). A call that fails there for a reason another server may not share (connection refused, timeout, 5xx,
429, a malformed answer) is sent to another endpoint; an endpoint failing `strikes` times in a row is set aside
for a rest that doubles at each relapse (1 s, 2 s, 4 s... up to a minute) and is then tried again: one success
brings it back. A fatal error (bad key, bad request, unknown model) is the same everywhere and stops the call at
once. The answering endpoint is written into the Completion, so the run store records it per call.

Member endpoints are built with no SDK retries of their own (`max_retries=0` unless set): retrying the same dead
server wastes the time another could use.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from synth.backends._sdk import public_url
from synth.backends.base import Backend, BackendError, Completion, Request
from synth.errors import ConfigError

DEFAULT_STRIKES = 3
FIRST_REST_S = 1.0
LONGEST_REST_S = 60.0
_POLL_S = 0.01


@dataclass
class Endpoint:
    """One server of the fleet and what the fleet knows of its health."""

    url: str  # public (no credentials)
    backend: Backend
    in_flight: int = 0
    strikes: int = 0  # failures in a row
    resting_until: float = 0.0
    rest_s: float = FIRST_REST_S
    answered: int = 0
    failed: int = 0
    set_aside: int = 0

    def healthy(self, now: float) -> bool:
        return self.resting_until <= now


class FleetBackend(Backend):
    """Several backends of one model (one per base URL) behind the Backend interface (see module docstring).

    Args:
        members: the endpoints' backends, all of the same `backend:model`.
        per_endpoint: calls in flight at once on one endpoint (None: no cap beyond the engine's workers).
        strikes: failures in a row that set an endpoint aside.
        first_rest_s: its first rest; each relapse doubles it, up to `longest_rest_s`.
        max_attempts: endpoints one call may try before it fails (default: 3 per endpoint).
    """

    def __init__(
        self,
        members: list[Backend],
        *,
        per_endpoint: int | None = None,
        strikes: int = DEFAULT_STRIKES,
        first_rest_s: float = FIRST_REST_S,
        longest_rest_s: float = LONGEST_REST_S,
        max_attempts: int | None = None,
    ) -> None:
        if len(members) < 2:
            raise ConfigError("a fleet needs at least two base URLs; with one, use that URL alone")
        first = members[0]
        super().__init__(model=first.model, max_context=first.max_context)
        self.name = first.name  # type: ignore[misc]  # the fleet runs its members' backend
        self.supports_chat = first.supports_chat
        self.supports_completion = first.supports_completion
        self.supports_seed = first.supports_seed
        self.endpoints = [
            Endpoint(_url_of(member), member, rest_s=first_rest_s) for member in members
        ]
        self.per_endpoint = per_endpoint
        self.strikes = strikes
        self.first_rest_s, self.longest_rest_s = first_rest_s, longest_rest_s
        self.max_attempts = max_attempts or 3 * len(members)
        self._waiting: deque[object] = deque()  # calls waiting for a slot, oldest first

    @property
    def endpoint_count(self) -> int:
        return len(self.endpoints)

    async def generate(self, request: Request) -> Completion:
        """Answer `request` on a healthy endpoint, moving to another when one fails (see module docstring).

        Raises:
            BackendError: fatal at once (same on every endpoint); not fatal after `max_attempts` failures.
        """
        failures: list[str] = []
        failed_here: set[str] = set()  # endpoints that failed this call: tried again only when no other is up
        for _ in range(self.max_attempts):
            endpoint = await self._take_endpoint(failed_here)
            try:
                completion = await endpoint.backend.generate(request)
            except BackendError as error:
                endpoint.in_flight -= 1
                if error.fatal:
                    raise
                self._strike(endpoint)
                failures.append(f"{endpoint.url}: {error}")
                failed_here.add(endpoint.url)
                continue
            except BaseException:  # cancelled by the engine (timeout, stop): free the slot, no strike
                endpoint.in_flight -= 1
                raise
            endpoint.in_flight -= 1
            endpoint.answered += 1
            endpoint.strikes, endpoint.rest_s = 0, self.first_rest_s
            return replace(completion, endpoint=endpoint.url)
        raise BackendError(
            f"{self.name}:{self.model}: {len(failures)} attempts over {len(self.endpoints)} endpoints failed; last: "
            f"{failures[-1] if failures else 'none'}. `synth resume` retries the call once a server is back",
            kind="connection",
        )

    async def _take_endpoint(self, failed_here: set[str]) -> Endpoint:
        """The least busy healthy endpoint with a free slot, waiting for one (a slot, or the end of a rest).

        Endpoints in `failed_here` (they failed this call) are passed over while another is healthy, even a
        busy one: a call waits for a working server's slot rather than spend its attempts on a dead one.
        Waiting calls are served first come, first served: a worker that just finished a call cannot take
        the slot from one that has been waiting (which would starve it into the engine's timeout).
        """
        ticket = object()
        self._waiting.append(ticket)
        try:
            return await self._wait_for_slot(ticket, failed_here)
        finally:
            self._waiting.remove(ticket)

    async def _wait_for_slot(self, ticket: object, failed_here: set[str]) -> Endpoint:
        while True:
            if self._waiting[0] is not ticket:
                await asyncio.sleep(_POLL_S)
                continue
            now = time.monotonic()
            healthy = [endpoint for endpoint in self.endpoints if endpoint.healthy(now)]
            others = [endpoint for endpoint in healthy if endpoint.url not in failed_here]
            healthy = others or healthy
            free = [e for e in healthy if self.per_endpoint is None or e.in_flight < self.per_endpoint]
            if free:
                chosen = min(free, key=lambda endpoint: (endpoint.in_flight, endpoint.strikes, endpoint.answered))
                chosen.in_flight += 1
                return chosen
            if healthy:
                await asyncio.sleep(_POLL_S)
            else:  # every endpoint rests: wait for the first to come back
                await asyncio.sleep(max(_POLL_S, min(e.resting_until for e in self.endpoints) - now))

    def _strike(self, endpoint: Endpoint) -> None:
        endpoint.failed += 1
        endpoint.strikes += 1
        if endpoint.strikes >= self.strikes:
            endpoint.resting_until = time.monotonic() + endpoint.rest_s
            endpoint.rest_s = min(endpoint.rest_s * 2, self.longest_rest_s)
            endpoint.set_aside += 1
            endpoint.strikes = self.strikes - 1  # back on probation: one more failure sets it aside again

    def health(self) -> list[dict[str, Any]]:
        """Per endpoint: calls answered and failed, times set aside, and whether it rests now."""
        now = time.monotonic()
        return [
            {"url": e.url, "answered": e.answered, "failed": e.failed, "set_aside": e.set_aside,
             "resting": not e.healthy(now)}
            for e in self.endpoints
        ]

    def describe(self) -> dict[str, Any]:
        """The first member's description, with every endpoint's URL instead of one."""
        description = dict(self.endpoints[0].backend.describe())
        description.pop("base_url", None)
        description["base_urls"] = [endpoint.url for endpoint in self.endpoints]
        return description

    def __repr__(self) -> str:
        return f"FleetBackend(model={self.model!r}, endpoints={[e.url for e in self.endpoints]!r})"

    async def aclose(self) -> None:
        for endpoint in self.endpoints:
            await endpoint.backend.aclose()


def _url_of(member: Backend) -> str:
    url = getattr(member, "public_base_url", None)
    return url if isinstance(url, str) else repr(member)


def create_fleet(spec: str, base_url: list[str] | tuple[str, ...], **settings: Any) -> Backend:
    """The backend for `spec` over several base URLs: a FleetBackend, or a plain backend for a single URL.

    Raises:
        ConfigError: no URL, a URL listed twice, or a bad URL or setting (from the member backends).
    """
    from synth.backends.registry import create_backend

    urls = [str(url).strip() for url in base_url if str(url).strip()]
    if not urls:
        raise ConfigError(f"{spec}: the list of base URLs is empty; give one or more, e.g. http://127.0.0.1:8080/v1")
    public = [public_url(url).rstrip("/") for url in urls]
    repeated = sorted({url for url in public if public.count(url) > 1})
    if repeated:
        raise ConfigError(f"{spec}: base URL(s) {', '.join(repeated)} listed twice; list each server once")
    if len(urls) == 1:
        return create_backend(spec, base_url=urls[0], **settings)
    settings.setdefault("max_retries", 0)
    members: list[Backend] = []
    try:
        for url in urls:
            members.append(create_backend(spec, base_url=url, **settings))
    except TypeError:
        raise ConfigError(f"{spec}: this backend takes no base URL, so it cannot form a fleet") from None
    return FleetBackend(members)
