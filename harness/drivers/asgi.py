"""Drivers for services that re-stream: an ASGI app that consumes a provider stream with
its own upstream client and re-emits it as server-sent events of its own (``start``,
``token``, ``tool_call``, ``turn_complete``, ``end``, ``error``...).

A user subclasses :class:`ASGIAppDriver` with the app (``app_factory``), the ``path`` it
serves, the JSON it takes (``request_body``) and a ``mapping`` from its event names to
harness events, built from the mappers of :mod:`harness.drivers.asgi_mapping` (re-exported
here)::

    class MyAppDriver(ASGIAppDriver):
        name = "my-app"
        dialect = "openai-responses"        # what the app's upstream speaks
        path = "/chat"
        mapping = {
            "start": ignore(),
            "token": text("text"),
            "tool_call": tool_call(),
            "turn_complete": each(usage("usage.input_tokens", "usage.output_tokens"),
                                  finish("finish")),
            "end": ignore(),
            "error": error(),
        }
        def app_factory(self, ctx): return create_app(ctx.base_url, ctx.api_key)
        def request_body(self, scenario): return {"messages": ...}

How it runs: inside :func:`harness.transport.serving`, so every ``httpx``/``httpx2``
client the app builds without a transport of its own (SDK clients included) is served by
the replay; the app is called in process through
:class:`harness.drivers.asgi_transport.StreamingASGITransport` (its lifespan is run around the
call, and lifespan state reaches the requests), which hands each body chunk to the reader as
the app sends it; the downstream body is decoded with :class:`harness.dialects.sse.SSEDecoder`
and every event goes through the mapping, at the virtual time the app sent it.

What it reports, adding nothing: a downstream HTTP error raises :class:`DownstreamError`
(its status gives the kind); an exception the app lets escape is the run's error, as the
app raised it; an event name the mapping does not list raises :class:`UnmappedEvent`
(map it, with :func:`ignore` if it carries nothing). The events' times are the app's: an
upstream delay the app forwards shows downstream, and an app that buffers the reply delivers
every event at its end (the ``stream-buffered`` check sees it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from pydantic import JsonValue

from harness.dialects.sse import SSEDecoder, SSEEvent
from harness.drivers.asgi_mapping import (
    AppError,
    Mapper,
    each,
    error,
    finish,
    ignore,
    reasoning,
    text,
    tool_call,
    usage,
)
from harness.drivers.asgi_transport import StreamingASGITransport
from harness.drivers.base import DriverContext
from harness.scenario.model import Scenario
from harness.vocab.events import Event

__all__ = [
    "ASGIApp",
    "ASGIAppDriver",
    "AppError",
    "DownstreamError",
    "Mapper",
    "UnmappedEvent",
    "each",
    "error",
    "finish",
    "ignore",
    "reasoning",
    "text",
    "tool_call",
    "usage",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class DownstreamError(Exception):
    """The app answered the downstream request with an HTTP error."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"the app answered HTTP {status_code}: {body[:200]}")
        self.status_code = status_code


class UnmappedEvent(LookupError):
    """The app sent an event the driver's mapping does not name."""


# --------------------------------------------------------------------------- the driver


class ASGIAppDriver:
    """Base class: drives an ASGI app whose upstream client is served by the replay."""

    name: ClassVar[str]
    dialect: ClassVar[str]
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""
    path: ClassVar[str] = "/"
    """The path the downstream request is POSTed to."""
    mapping: ClassVar[Mapping[str, Mapper]] = {}
    """Downstream event name (``message`` for events without one) -> mapper."""

    def supports(self, scenario: Scenario) -> str | None:
        return None

    def app_factory(self, ctx: DriverContext) -> ASGIApp:
        """The app, built inside ``serving(ctx.replay)``: point it at ``ctx.base_url``."""
        raise NotImplementedError

    def request_body(self, scenario: Scenario) -> JsonValue:
        """The JSON body of the downstream request for the scenario's request."""
        raise NotImplementedError

    def request_headers(self, scenario: Scenario) -> dict[str, str]:
        return {}

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import httpx

        from harness.transport import serving

        with serving(ctx.replay):
            app = self.app_factory(ctx)
            async with _lifespan(app) as served:
                client = httpx.AsyncClient(
                    transport=StreamingASGITransport(served),
                    base_url="http://app.harness.invalid",
                    trust_env=False,  # proxies from the environment must not reach serving()
                    timeout=None,
                )
                async with (
                    client,
                    client.stream(
                        "POST",
                        self.path,
                        json=self.request_body(ctx.scenario),
                        headers={
                            "accept": "text/event-stream",
                            **self.request_headers(ctx.scenario),
                        },
                    ) as response,
                ):
                    if response.status_code >= 400:
                        body = (await response.aread()).decode("utf-8", "replace")
                        raise DownstreamError(response.status_code, body)
                    decoder = SSEDecoder()
                    async for chunk in response.aiter_bytes():
                        for sse in decoder.feed(chunk):
                            for event in self.map_event(sse):
                                yield event
                    for sse in decoder.close():
                        for event in self.map_event(sse):
                            yield event

    def map_event(self, sse: SSEEvent) -> Iterable[Event]:
        """The harness events for one downstream event, through ``mapping``."""
        name = sse.event or "message"
        mapper = self.mapping.get(name)
        if mapper is None:
            raise UnmappedEvent(
                f"{self.name}: the app sent an event {name!r} that the driver's mapping does "
                f"not name (it names {sorted(self.mapping)}); map it, with ignore() if it "
                f"carries nothing. Data: {sse.data[:120]!r}"
            )
        try:
            data: JsonValue = json.loads(sse.data)
        except ValueError:
            data = sse.data
        return mapper(name, data)


# --------------------------------------------------------------------------- lifespan


@asynccontextmanager
async def _lifespan(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """Run the app's lifespan (startup before, shutdown after); yield the app with the
    lifespan state copied into every request scope, as a server does. An app that does
    not speak lifespan (it raises or returns at once) is served as it is."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))

    async def reply(message: Message) -> Message | None:
        await inbox.put(message)
        getter = asyncio.ensure_future(outbox.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None

    started = await reply({"type": "lifespan.startup"})
    if started is None:  # no lifespan support: the spec says carry on without it
        if task.done() and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it
        yield app
        return
    if started["type"] == "lifespan.startup.failed":
        raise RuntimeError(f"the app's lifespan startup failed: {started.get('message', '')}")

    async def with_state(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    try:
        yield with_state
    finally:
        await reply({"type": "lifespan.shutdown"})
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
