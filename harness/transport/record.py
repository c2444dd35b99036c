"""The recording transport for httpx and httpx2: wraps the real one, keeps every read.

Like the replay transport, the class is built once per library module from the same code
(``httpx`` and ``httpx2`` share an API shape but not classes) and subclasses
``BaseTransport`` / ``AsyncBaseTransport`` directly. It forwards each request to the
transport the client would have used (``HTTPTransport`` / ``AsyncHTTPTransport``, or the
one the caller passed) and wraps the response stream so each chunk is recorded with its
time offset as the client reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from harness.transport.seams import LIBRARIES, installed, load_library, patched

if TYPE_CHECKING:
    from harness.dialects.script import Exchange
    from harness.transport.core import Replay

__all__ = [
    "Pending",
    "Recorder",
    "install_recorder",
    "install_replay",
    "recording_transport_class",
]

Headers = tuple[tuple[str, str], ...]


class Pending(Protocol):
    """One response while it is read (:class:`harness.cassettes.record.Pending`)."""

    def head(self, status: int, reason: str, headers: Headers) -> None: ...
    def chunk(self, data: bytes) -> None: ...
    def finish(self, *, cut: bool = False) -> None: ...
    def decoded(self) -> None: ...


P = TypeVar("P", bound=Pending)


class Recorder(Protocol[P]):
    """Where the recording transport sends what it sees
    (:class:`harness.cassettes.record.Recorder`)."""

    @property
    def path(self) -> Path: ...
    def start(self, method: str, uri: str, headers: Headers, body: bytes) -> P: ...
    def played(self, method: str, url: str) -> Exchange | None: ...
    def discard(self, pending: P) -> None: ...


_classes: dict[str, type[Any]] = {}


def recording_transport_class(library: str = "httpx") -> type[Any]:
    """The ``RecordingTransport`` class for ``library``, built on first use."""
    if library not in _classes:
        _classes[library] = _build(load_library(library))
    return _classes[library]


@contextmanager
def install_recorder(
    recorder: Recorder[Any], libraries: tuple[str, ...] = LIBRARIES
) -> Iterator[None]:
    """Clients created inside record through ``recorder``; undone on exit."""
    with ExitStack() as stack:
        for library, lib in installed(libraries):
            cls = recording_transport_class(library)
            for client in (lib.Client, lib.AsyncClient):
                for name in ("_init_transport", "_init_proxy_transport"):
                    stack.enter_context(_wrapped(client, name, cls, recorder))
        yield


@contextmanager
def install_replay(replay: Replay, libraries: tuple[str, ...] = LIBRARIES) -> Iterator[None]:
    """Clients created inside are served by ``replay``, whatever transport they bring.

    The mirror of :func:`install_recorder`: recording wrapped the transport each client
    would have used, an explicit one included (the anthropic SDK passes its own to httpx2,
    litellm an aiohttp one), so the cassette holds that traffic and its replay must take the
    same seam. (``harness.transport.serving`` leaves explicit transports alone on purpose:
    it serves scenarios to drivers, which pass the replay transport themselves.)
    """
    from harness.transport import transport_for

    with ExitStack() as stack:
        for library, lib in installed(libraries):
            transport = transport_for(replay, library)
            for client in (lib.Client, lib.AsyncClient):
                for name in ("_init_transport", "_init_proxy_transport"):
                    stack.enter_context(_replaced(client, name, transport))
        yield


def _replaced(client: type[Any], name: str, transport: Any) -> AbstractContextManager[None]:
    """The client's transport factory ``name`` returns the replay's ``transport``."""

    def init(self: Any, *args: Any, **kwargs: Any) -> Any:
        return transport

    return patched(client, name, lambda original: init)


def _wrapped(
    client: type[Any], name: str, cls: type[Any], recorder: Recorder[Any]
) -> AbstractContextManager[None]:
    """The client's transport factory ``name`` wraps what it builds in a recording ``cls``."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def init(self: Any, *args: Any, **kwargs: Any) -> Any:
            return cls(original(self, *args, **kwargs), recorder)

        return init

    return patched(client, name, wrap)


def _start(recorder: Recorder[P], request: Any, body: bytes) -> P:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)
    return recorder.start(request.method, str(request.url), headers, body)


def _head(pending: Pending, response: Any) -> None:
    reason = response.extensions.get("reason_phrase", b"")
    reason = reason.decode("ascii", "ignore") if isinstance(reason, bytes) else str(reason)
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
    pending.head(response.status_code, reason, headers)


def _already_read(pending: Pending, response: Any) -> bool:
    """An in-memory transport (``MockTransport``, respx) hands back a response whose body
    was read (and decoded) when it was built: record those bytes, as one read."""
    content = getattr(response, "_content", None)
    if not isinstance(content, bytes):
        return False
    pending.decoded()
    pending.chunk(content)
    pending.finish()
    return True


def _build(lib: ModuleType) -> type[Any]:
    """Define the stream and transport classes against ``lib``'s base classes."""

    class RecordingStream(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, pending: Pending) -> None:
            self.inner, self.pending = inner, pending

        def __iter__(self) -> Iterator[bytes]:
            try:
                for data in self.inner:
                    self.pending.chunk(data)
                    yield data
            except BaseException:
                self.pending.finish(cut=True)
                raise
            self.pending.finish()

        def close(self) -> None:
            try:
                self.inner.close()
            finally:
                self.pending.finish()

    class AsyncRecordingStream(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, pending: Pending) -> None:
            self.inner, self.pending = inner, pending

        async def __aiter__(self) -> Any:
            try:
                async for data in self.inner:
                    self.pending.chunk(data)
                    yield data
            except BaseException:
                self.pending.finish(cut=True)
                raise
            self.pending.finish()

        async def aclose(self) -> None:
            try:
                await self.inner.aclose()
            finally:
                self.pending.finish()

    class PlaybackStream(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, chunks: list[bytes]) -> None:
            self.chunks = chunks

        def __iter__(self) -> Iterator[bytes]:
            yield from self.chunks

        async def __aiter__(self) -> Any:
            for chunk in self.chunks:
                yield chunk

    def playback(exchange: Exchange, request: Any) -> Any:
        headers = [(k, v) for k, v in exchange.headers if isinstance(v, str)]
        stream = PlaybackStream([c.data for c in exchange.chunks])
        return lib.Response(exchange.status, headers=headers, stream=stream, request=request)

    class RecordingTransport(lib.BaseTransport, lib.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        """Forwards to the real transport and records what comes back, read by read."""

        library = lib.__name__

        def __init__(self, inner: Any, recorder: Recorder[Any]) -> None:
            self.inner = inner
            self.recorder = recorder

        def __repr__(self) -> str:
            return (
                f"<RecordingTransport[{self.library}] {self.recorder.path} around {self.inner!r}>"
            )

        def handle_request(self, request: Any) -> Any:
            body = request.read()
            hit = self.recorder.played(request.method, str(request.url))
            if hit is not None:
                return playback(hit, request)
            pending = _start(self.recorder, request, body)
            try:
                response = self.inner.handle_request(request)
            except BaseException:
                self.recorder.discard(pending)  # no response: nothing to record
                raise
            _head(pending, response)
            if _already_read(pending, response):
                return response
            response.stream = RecordingStream(response.stream, pending)
            return response

        async def handle_async_request(self, request: Any) -> Any:
            body = await request.aread()
            hit = self.recorder.played(request.method, str(request.url))
            if hit is not None:
                return playback(hit, request)
            pending = _start(self.recorder, request, body)
            try:
                response = await self.inner.handle_async_request(request)
            except BaseException:
                self.recorder.discard(pending)
                raise
            _head(pending, response)
            if _already_read(pending, response):
                return response
            response.stream = AsyncRecordingStream(response.stream, pending)
            return response

        def close(self) -> None:
            close = getattr(self.inner, "close", None)
            if callable(close):
                close()

        async def aclose(self) -> None:
            close = getattr(self.inner, "aclose", None)
            if callable(close):
                await close()

    RecordingTransport.__qualname__ = RecordingTransport.__name__
    RecordingTransport.__module__ = "harness.cassettes"
    return RecordingTransport
