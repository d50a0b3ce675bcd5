"""Rate limits a user sets per model: requests per minute and tokens per minute (token buckets)."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Lets `per_minute` units through per minute, in bursts of at most one second's worth.

    An amount larger than the burst goes through once the bucket is full, leaving it in debt, so a
    single large call cannot wait forever.
    """

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self._level = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until `amount` units may pass, then take them."""
        async with self._lock:  # first come, first served
            needed = min(amount, self.capacity)
            self._refill()
            while self._level < needed:
                await asyncio.sleep((needed - self._level) / self.rate)
                self._refill()
            self._level -= amount


class RateLimiter:
    """Both limits of one model; either may be None (no limit)."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    async def acquire(self, tokens: int) -> None:
        if self.requests is not None:
            await self.requests.acquire(1)
        if self.tokens is not None:
            await self.tokens.acquire(tokens)
