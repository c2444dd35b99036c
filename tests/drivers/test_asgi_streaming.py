"""The streaming ASGI transport: the body reaches the reader as the app sends it, on the
virtual clock; app exceptions, client disconnects and cancellation. And the timing check it
makes possible: a re-streamer that buffers a paced stream is caught (``stream-buffered``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from harness.drivers.asgi import ASGIApp
from harness.drivers.asgi_transport import ClientDisconnected, StreamingASGITransport
from harness.drivers.base import DriverContext
from harness.transport.clock import Clock
from harness.vocab.events import TextEvent
from tests.drivers.test_asgi import BUNDLED, RelayDriver, relay_events, restream, run

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def on_clock(factory: Callable[[Clock], Awaitable[Any]]) -> Any:
    clock = Clock()
    return clock.run(lambda: factory(clock))


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://app")


async def start(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})


# --------------------------------------------------------------------------- the transport


def test_each_chunk_arrives_when_the_app_sends_it() -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await start(send)
        for part in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(1.5)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def read(clock: Clock) -> list[tuple[bytes, float]]:
        async with client(app) as c, c.stream("GET", "/") as response:
            assert response.headers["x-app"] == "1"
            return [(chunk, clock.elapsed()) async for chunk in response.aiter_raw()]

    assert on_clock(read) == [(b"a", 0.0), (b"b", 1.5), (b"c", 3.0)]


def test_the_request_body_reaches_the_app() -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await start(send)
        await send({"type": "http.response.body", "body": body[::-1]})

    async def call(clock: Clock) -> bytes:
        async with client(app) as c:
            return (await c.post("/", content=b"abc")).content

    assert on_clock(call) == b"cba"


def test_an_exception_before_the_response_is_raised_from_the_request() -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        raise ValueError("the app broke")

    async def call(clock: Clock) -> None:
        async with client(app) as c:
            await c.get("/")

    with pytest.raises(ValueError, match="the app broke"):
        on_clock(call)


def test_an_exception_mid_body_comes_after_the_chunks_sent_before_it() -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await start(send)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(1)
        raise ValueError("upstream lost")

    got: list[bytes] = []

    async def read(clock: Clock) -> None:
        async with client(app) as c, c.stream("GET", "/") as response:
            async for chunk in response.aiter_raw():
                got.append(chunk)

    with pytest.raises(ValueError, match="upstream lost"):
        on_clock(read)
    assert got == [b"first"]


def test_an_app_that_never_starts_a_response_is_an_error() -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        return None

    async def call(clock: Clock) -> None:
        async with client(app) as c:
            await c.get("/")

    with pytest.raises(RuntimeError, match="without starting a response"):
        on_clock(call)


def test_closing_early_is_a_disconnect_the_app_hears() -> None:
    heard: list[str] = []

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "http.request"  # the (empty) request body
        await start(send)
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        heard.append((await receive())["type"])  # returns once the client has gone
        try:
            await send({"type": "http.response.body", "body": b"two", "more_body": True})
        except ClientDisconnected:
            heard.append("send raised")

    async def read(clock: Clock) -> None:
        async with client(app) as c, c.stream("GET", "/") as response:
            async for _ in response.aiter_raw():
                break  # leaving the block closes the response

    on_clock(read)
    assert heard == ["http.disconnect", "send raised"]


def test_an_app_deaf_to_the_disconnect_is_cancelled_before_close_returns() -> None:
    ended: list[str] = []

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await start(send)
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        try:
            await asyncio.sleep(3600)  # waiting on its upstream, not listening
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    async def read(clock: Clock) -> float:
        async with client(app) as c, c.stream("GET", "/") as response:
            async for _ in response.aiter_raw():
                break
        assert ended == ["cancelled"]
        return clock.elapsed()

    assert on_clock(read) == 0.0  # closing costs no (virtual) time


def test_a_cancelled_reader_cancels_the_app() -> None:
    ended: list[str] = []

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await start(send)
        try:
            await asyncio.sleep(3600)
        finally:
            ended.append("app ended")

    async def read(clock: Clock) -> None:
        async def reader() -> None:
            async with client(app) as c, c.stream("GET", "/") as response:
                await response.aread()

        task = asyncio.ensure_future(reader())
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    on_clock(read)
    assert ended == ["app ended"]


# --------------------------------------------------------------------------- timing


def buffering_app(base_url: str) -> ASGIApp:
    """A planted re-streamer: reads the whole upstream reply, then sends it."""

    async def relay(request: Request) -> Response:
        body = await request.json()
        chunks = [chunk async for chunk in relay_events(base_url, body)]

        async def replay() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return StreamingResponse(replay(), media_type="text/event-stream")

    return Starlette(routes=[Route("/relay", relay, methods=["POST"])])


class BufferingRelayDriver(RelayDriver):
    name: ClassVar[str] = "buffering-relay"

    def app_factory(self, ctx: DriverContext) -> ASGIApp:
        return buffering_app(ctx.base_url)


def test_a_re_streamer_that_buffers_a_paced_stream_is_caught() -> None:
    result = run("wire-paced-events", BufferingRelayDriver())
    assert {f.code for f in result.findings} == {"stream-buffered"}
    assert result.transcript is not None
    assert len(set(result.transcript.event_times)) == 1  # everything at once


def test_a_re_streamer_that_forwards_each_event_passes_with_its_timing() -> None:
    result = run("wire-paced-events", RelayDriver())
    assert result.status == "pass", result.reason()
    assert result.transcript is not None
    times = [
        at
        for event, at in zip(result.transcript.events, result.transcript.event_times, strict=True)
        if isinstance(event, TextEvent)
    ]
    assert len(times) > 1 and times == sorted(set(times))  # one text per paced event


def test_unpaced_streams_are_not_checked_for_timing() -> None:
    result = run("text-plain", BufferingRelayDriver())
    assert result.status == "pass", result.reason()


@pytest.mark.adapters
def test_restream_app_forwards_a_paced_stream_as_it_comes() -> None:
    result = run("wire-paced-events", restream())
    assert result.status == "pass", result.reason()
    assert result.transcript is not None
    t = result.transcript
    texts = [at for e, at in zip(t.events, t.event_times, strict=True) if isinstance(e, TextEvent)]
    end_at = t.responses[-1].end_at
    assert end_at is not None and texts == sorted(set(texts)) and texts[0] < end_at


def test_the_paced_scenario_is_bundled_and_streamed() -> None:
    scenario = BUNDLED["wire-paced-events"]
    assert scenario.replies()[-1].wire.event_delay > 0
    assert scenario.request.stream is True
