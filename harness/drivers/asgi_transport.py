"""A streaming ASGI transport: an httpx client calls an ASGI app in process, and the body
reaches the client chunk by chunk as the app sends it.

``httpx.ASGITransport`` awaits the whole app before it returns the response, so every
downstream event arrives at once, when the app has finished: a re-streaming app that
forwards each upstream event at once and one that buffers the whole reply look the same.
:class:`StreamingASGITransport` runs the app as a task and answers as soon as the app sends
``http.response.start``; each ``http.response.body`` message is handed to the reader as it
is sent, so on harness's virtual clock the time of each downstream event is the time the
app forwarded it (an upstream delay shows downstream, a buffering app shows as a burst).

What a server does, it does:

- an exception the app lets escape reaches the reader as the app raised it: from the
  request before the response started, from the body read after (chunks sent before it
  are delivered first);
- a reader that closes the response early is a client disconnect: ``receive()`` returns
  ``http.disconnect`` and a later ``send()`` raises :class:`ClientDisconnected` (an
  ``OSError``, as ASGI 2.4 asks); the app gets a few turns of the loop to end on its own,
  then it is cancelled, and either way the task is awaited before ``aclose()`` returns;
- a reader cancelled while it waits for the head or a chunk cancels the app's task too;
- an app that returns without starting a response is an error (``RuntimeError``).

It subclasses ``httpx.AsyncBaseTransport`` (never ``httpx.MockTransport``: vcrpy patches it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx

__all__ = ["ClientDisconnected", "StreamingASGITransport"]

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

_END = object()
"""Queued after the last body chunk."""
_TURNS_AFTER_DISCONNECT = 20
"""Loop turns an app gets to end by itself after the client disconnected (no clock moves)."""


class ClientDisconnected(OSError):
    """``send()`` after the client closed the response (ASGI 2.4: an ``OSError``)."""


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Serve requests from an ASGI app, streaming its body as the app sends it."""

    def __init__(
        self, app: App, *, root_path: str = "", client: tuple[str, int] = ("127.0.0.1", 123)
    ) -> None:
        self.app = app
        self.root_path = root_path
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(self.app, self._scope(request), request)
        status, headers = await exchange.start()
        return httpx.Response(status, headers=headers, stream=exchange, request=request)

    def _scope(self, request: httpx.Request) -> Scope:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": self.client,
            "root_path": self.root_path,
        }


class _Exchange(httpx.AsyncByteStream):
    """One request to the app: its task, the head it sent, the body chunks still unread."""

    def __init__(self, app: App, scope: Scope, request: httpx.Request) -> None:
        self._app = app
        self._scope = scope
        self._request = request
        assert isinstance(request.stream, httpx.AsyncByteStream)
        self._body = request.stream.__aiter__()  # one iteration of the request body
        self._request_done = False
        self._head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self._chunks: asyncio.Queue[object] = asyncio.Queue()
        self._complete = False  # the app sent its last body message
        self._disconnected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- the app's side

    async def _receive(self) -> Message:
        while not self._request_done:
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if chunk:  # an empty chunk says nothing: read on
                return {"type": "http.request", "body": chunk, "more_body": True}
        await self._disconnected.wait()  # after the response, as a server does
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self._disconnected.is_set():
            raise ClientDisconnected("the client closed the response")
        assert self._head is not None
        if message["type"] == "http.response.start":
            if self._head.done():
                raise RuntimeError("the app sent http.response.start twice")
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            self._head.set_result((int(message["status"]), headers))
        elif message["type"] == "http.response.body":
            if not self._head.done():
                raise RuntimeError("the app sent a body before http.response.start")
            if self._complete:
                raise RuntimeError("the app sent a body after its last body message")
            body = bytes(message.get("body", b""))
            if body and self._request.method != "HEAD":
                self._chunks.put_nowait(body)
            if not message.get("more_body", False):
                self._complete = True
                self._chunks.put_nowait(_END)

    async def _serve(self) -> None:
        try:
            await self._app(self._scope, self._receive, self._send)
        finally:
            assert self._head is not None
            if not self._head.done():
                self._head.set_exception(
                    RuntimeError("the app returned without starting a response")
                )
            self._chunks.put_nowait(_END)  # the body ends when the app does

    # ----------------------------------------------------------------- the client's side

    async def start(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Run the app; return its status and headers as soon as it sends them."""
        self._head = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._serve())
        try:
            waiters: set[asyncio.Future[Any]] = {self._head, self._task}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await self._stop()
            if self._head.done() and not self._head.cancelled():
                self._head.exception()  # retrieved: the reader's cancellation is the news
            raise
        if self._task.done():
            raised = self._task.exception()
            if raised is not None:
                if self._head.done():
                    self._head.exception()  # retrieved: the app's own error is the one to raise
                raise raised
        return self._head.result()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert self._task is not None
        try:
            while True:
                item = await self._chunks.get()
                if item is _END:
                    break
                assert isinstance(item, bytes)
                yield item
        except BaseException:
            await self._stop()
            raise
        if not self._complete:  # the app ended (or raised) before its last body message
            raised = await self._stop()
            if raised is not None:
                raise raised

    async def aclose(self) -> None:
        raised = await self._stop()
        if raised is not None:
            raise raised  # the app failed by itself after its last body message

    async def _stop(self) -> BaseException | None:
        """End the exchange. An app that has ended: return what it raised (once). One still
        running: the client is gone, so tell it, give it a few turns, then cancel it."""
        task, self._task = self._task, None
        if task is None:
            return None
        if task.done():
            (result,) = await asyncio.gather(task, return_exceptions=True)
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                return result
            return None
        self._disconnected.set()
        for _ in range(_TURNS_AFTER_DISCONNECT):
            if task.done():
                break
            await asyncio.sleep(0)
        task.cancel()
        # whatever it raises now (starlette's ClientDisconnect, ours) follows from the
        # client leaving: the reader's own exception, if any, is the one that matters
        await asyncio.gather(task, return_exceptions=True)
        return None
