"""The user module the docs' examples import (``import myclient``): a small streaming
OpenAI-chat client on httpx with its own retry policy and exceptions, so that the blocks of
``docs/contracts.md`` and ``docs/budgets.md`` run as written."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from myclient.errors import BrokenStream, ServerFailed, Throttled

RETRIED = frozenset({408, 429, 502, 503, 504, 529})  # not 500: a server bug stays a bug
MAX_ATTEMPTS = 4
RETRY_AFTER_CAP = 60.0
MIN_BACKOFF = 0.25


class RateLimiter:
    """Spaces calls at least ``interval`` seconds apart, on the clock it is given."""

    def __init__(self, now: Callable[[], float] = time.time, interval: float = 0.0) -> None:
        self.now = now
        self.interval = interval
        self.last: float | None = None

    async def wait(self) -> None:
        if self.last is not None:
            await asyncio.sleep(max(0.0, self.last + self.interval - self.now()))
        self.last = self.now()


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        http_client: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.http = http_client or httpx.AsyncClient()
        self.limiter = limiter or RateLimiter()

    async def stream(
        self, model: str, messages: list[dict[str, Any]]
    ) -> AsyncIterator[dict[str, Any]]:
        body = {"model": model, "messages": messages, "stream": True}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await self.limiter.wait()
            async with self.http.stream(
                "POST", self.base_url + "/chat/completions", json=body, headers=headers
            ) as response:
                if response.status_code < 400:
                    async for chunk in _chunks(response):
                        yield chunk
                    return
                await response.aread()
                status = response.status_code
                if status not in RETRIED or attempt == MAX_ATTEMPTS:
                    error = Throttled if status == 429 else ServerFailed
                    raise error(f"HTTP {status}: {response.text[:200]}")
                await asyncio.sleep(_wait(response, attempt))


def _wait(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("retry-after", "")
    try:
        return min(max(float(header), 0.0), RETRY_AFTER_CAP)
    except ValueError:
        return MIN_BACKOFF * 2 ** (attempt - 1)


async def _chunks(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            yield json.loads(data)
    except (httpx.TransportError, ValueError) as exc:
        raise BrokenStream(str(exc)) from exc
    raise BrokenStream("the stream ended without [DONE]")
