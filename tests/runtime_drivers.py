"""Small adapters that misbehave on purpose, for the runtime's tests: they hang, print on
stdout, crash their process, burn CPU between attempts, bring their own transport, cache
their client or patch a library for whatever runs after them in their process. Importing
this module registers each as a driver (``rt-*``), so a matrix worker started with
``--import tests.runtime_drivers`` can run them too.

The honest one is :func:`chat`: a minimal OpenAI-chat client on httpx, with the retry
policy a test asks for (``cpu_ms`` of busy work and ``backoff`` seconds of sleep between
attempts).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from harness.drivers.base import Driver, DriverContext, driver_names, register
from harness.plugin.declare import Conformance, conformance
from harness.scenario.model import Request

__all__ = ["adapter", "busy", "chat", "driver"]


def busy(ms: float) -> None:
    """Burn ``ms`` milliseconds of CPU (a busy loop, not a sleep)."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


async def chat(
    request: Request,
    ctx: DriverContext,
    client: httpx.AsyncClient | None = None,
    *,
    cpu_ms: float = 0,
    backoff: float = 0.0,
    attempts: int = 3,
    timeout: float | None = 30.0,
) -> AsyncIterator[dict[str, Any]]:
    """Stream a chat completion; retry 429/5xx up to ``attempts`` times; ``timeout`` None
    sets no read timeout at all."""
    client = client or httpx.AsyncClient(transport=ctx.transport())
    body = {
        "model": request.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    for attempt in range(attempts):
        url = ctx.base_url + "/v1/chat/completions"
        async with client.stream("POST", url, json=body, timeout=timeout) as resp:
            if resp.status_code in (429, 500, 502, 503) and attempt + 1 < attempts:
                await resp.aread()
                busy(cpu_ms)
                await asyncio.sleep(backoff)
                continue
            if resp.status_code >= 400:
                raise RuntimeError(f"HTTP {resp.status_code}")
            async for line in resp.aiter_lines():
                payload = line[5:].strip() if line.startswith("data:") else ""
                if payload and payload != "[DONE]":
                    yield json.loads(payload)
            return


def adapter(kind: str, **options: Any) -> Conformance:
    """An adapter of one misbehaviour (see the module docstring), declared for openai-chat."""

    @conformance("openai-chat", name=f"rt-{kind}", normalize="openai-chat")
    async def declared(request: Request, ctx: DriverContext) -> AsyncIterator[Any]:
        if kind == "busy-loop":
            while True:
                pass
        if kind == "sleep-loop":
            while True:
                await asyncio.sleep(1)
        if kind == "ignores-cancel":
            while True:
                try:
                    await asyncio.sleep(1)
                except asyncio.CancelledError:  # a loop that will not be stopped
                    continue
        if kind == "sync-sleep-loop":
            while True:
                try:
                    time.sleep(1)
                except Exception:  # a retry loop that swallows everything
                    continue
        if kind == "uninterruptible":  # the wall budget's signal never arrives
            import signal

            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                pass
        if kind == "never-set":
            await asyncio.get_running_loop().create_future()
        if kind == "prints-json":
            print('{"driver": "rt-prints-json", "status": "pass", "scenario": "x"}', flush=True)
            print('{"cell": {"status": "pass"}}', file=sys.stderr, flush=True)
        if kind == "crash-on-retry" and "retry" in ctx.scenario.id:
            os._exit(3)
        if kind == "own-transport":  # does its own I/O: nothing harness can serve
            own = httpx.AsyncClient(transport=OwnSocketTransport())
            async for item in chat(request, ctx, own):
                yield item
            return
        if kind == "served-own-transport":  # socket options: still httpx's HTTPTransport
            own = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(retries=0, socket_options=[(6, 1, 1)])
            )
            async for item in chat(request, ctx, own):
                yield item
            return
        if kind == "leaks-after-served":  # served once, then a client of its own
            async for item in chat(request, ctx):
                yield item
            own = httpx.AsyncClient(transport=OwnSocketTransport())
            await own.post("https://api.openai.com/v1/chat/completions", json={})
            return
        if kind == "taints-process":  # breaks httpx for whatever runs after it in its process
            async for item in chat(request, ctx):
                yield item

            async def tainted(*args: Any, **kwargs: Any) -> httpx.Response:
                raise RuntimeError("httpx tainted by rt-taints-process")

            httpx.AsyncClient.send = tainted  # type: ignore[method-assign]
            return
        if kind == "cached-client":
            async for item in chat(request, ctx, _cached(ctx)):
                yield item
            return
        async for item in chat(request, ctx, **options):
            yield item

    return declared


class OwnSocketTransport(httpx.AsyncBaseTransport):
    """A transport doing its own I/O, not through ``httpx.AsyncHTTPTransport``: the one kind
    of httpx client harness cannot serve (the network guard stops it)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.open_connection(request.url.host, request.url.port or 443)
        raise AssertionError("the network guard lets no connection through")


_client: list[httpx.AsyncClient] = []


def _cached(ctx: DriverContext) -> httpx.AsyncClient:
    """A client built on the first call and reused by every later one (as an lru_cache'd
    ``get_client()`` is)."""
    if not _client:
        _client.append(httpx.AsyncClient(transport=ctx.transport()))
    return _client[0]


def driver(kind: str, **options: Any) -> Driver:
    return adapter(kind, **options).drivers()[0]


KINDS = (
    "busy-loop",
    "sleep-loop",
    "ignores-cancel",
    "sync-sleep-loop",
    "never-set",
    "uninterruptible",
    "prints-json",
    "crash-on-retry",
    "own-transport",
    "served-own-transport",
    "cached-client",
    "leaks-after-served",
    "taints-process",
    "honest",
)
for _kind in KINDS:
    if f"rt-{_kind}" not in driver_names():
        register(f"rt-{_kind}", functools.partial(driver, _kind))
