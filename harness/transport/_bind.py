"""The thin per-library adapter: httpx or httpx2 requests in, responses out, no decisions.

``httpx`` and ``httpx2`` share an API shape but not classes, so the transport class is
built once per library module from the same code. It subclasses ``BaseTransport`` and
``AsyncBaseTransport`` directly, never ``MockTransport``: vcrpy >= 8.2 patches
``MockTransport.handle_request`` globally while a cassette is active.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from harness.transport._own import (
    ORIGIN,
    Current,
    built_here,
    serve_async,
    serve_sync,
    stale_check,
    tagging_init,
)
from harness.transport._own import __name__ as _own_module
from harness.transport.core import BodyStream, Replay, Served, WireErrors, WireRequest
from harness.transport.seams import (
    LIBRARIES,
    SEAMS,
    PatchSet,
    install,
    installed,
    load_library,
    release,
)

__all__ = ["LIBRARIES", "SEAMS", "load_library", "serving", "transport_class", "transport_for"]

_classes: dict[str, type[Any]] = {}


def transport_class(library: str = "httpx") -> type[Any]:
    """The ``ReplayTransport`` class for ``library``, built on first use and cached."""
    if library not in _classes:
        _classes[library] = _build(load_library(library))
    return _classes[library]


def transport_for(replay: Replay, library: str = "httpx") -> Any:
    """A transport serving ``replay`` to ``library``'s ``Client`` and ``AsyncClient``."""
    return transport_class(library)(replay)


@contextmanager
def serving(
    replay: Replay, libraries: tuple[str, ...] = LIBRARIES, *, stay: bool = False
) -> Iterator[None]:
    """Every httpx/httpx2 client used inside is served by ``replay``, however it was built.

    For SDK clients built where no ``http_client`` can be passed. Two seams per library:
    ``Client._init_transport`` / ``AsyncClient._init_transport`` (and the proxy variant, so
    proxy settings from the environment cannot route around the replay), where a client
    without a transport of its own picks the default; and ``HTTPTransport.handle_request`` /
    ``AsyncHTTPTransport.handle_async_request``, where every transport a client brings
    (subclasses, socket options, proxies, wrappers that delegate) meets the network (see
    :mod:`harness.transport._own`). Libraries that are not installed are skipped.
    Everything is undone on exit; nesting restores in order.

    Proxies from the environment are not read inside (``_get_proxy_map``): every proxy
    mount would be this replay's transport anyway, and the guard's proxy variables (meant
    for subprocesses) would otherwise cost every client three transports more.

    ``stay`` leaves the patches in place after the block, calling straight through to
    httpx's own methods while no block serves, until :func:`harness.transport.seams.lift`
    (``harness_replay`` arms them per test: see :func:`harness.transport.guard.no_network`).
    """
    patches, there = _patches_for(libraries, replay)
    patches.current.replay = replay
    patches.in_use = True
    undo = None if there else install(patches.patches)
    try:
        yield
    finally:
        patches.in_use = False
        patches.current.replay = None  # in place after the block: they call through
        release(patches.patches, undo, stay=stay)


class _Patches:
    """The patches of :func:`serving` for some libraries, built once: a test enters
    ``serving`` every time, and building ~20 closures and context managers each time cost
    more than the rest of its set-up and fed the garbage collector. They serve
    ``current.replay`` (set by the block installing them; None: each calls the method it
    wraps) and wrap the methods that were in place when they were built (``found``); they
    are built anew when those changed (another patch is in place), or while a block that
    installed them is still open."""

    def __init__(self, libraries: tuple[str, ...], replay: Replay) -> None:
        self.current = current = Current(None)
        self.in_use = False
        self.patches: list[tuple[Any, str, object]] = []
        for library, lib in installed(libraries):
            cls = transport_class(library)
            for client in (lib.Client, lib.AsyncClient):
                self._add(client, "_init_transport", _default_to(cls, current))
                self._add(client, "_init_proxy_transport", _always(cls, current))
                self._add(client, "_get_proxy_map", _no_env_proxies(current))
            for own in (lib.HTTPTransport, lib.AsyncHTTPTransport):
                self._add(own, "__init__", tagging_init(current))
            self._add(lib.HTTPTransport, "handle_request", serve_sync(current, cls.serve))
            async_ = serve_async(current, cls.aserve)
            self._add(lib.AsyncHTTPTransport, "handle_async_request", async_)
        self.set = PatchSet(self.patches)

    def _add(self, cls: type[Any], name: str, wrap: Callable[[Callable[..., Any]], Any]) -> None:
        self.patches.append((cls, name, wrap(getattr(cls, name))))


_built: dict[tuple[str, ...], _Patches] = {}


def _patches_for(libraries: tuple[str, ...], replay: Replay) -> tuple[_Patches, bool]:
    """The patches a :func:`serving` block installs, and whether they are in place
    already (left standing)."""
    found = _built.get(libraries)
    if found is not None and found.in_use:  # a block inside an open one: its own, once
        return _Patches(libraries, replay), False
    if found is not None:
        there = found.set.ready()
        if there is not None:
            return found, there
    found = _built[libraries] = _Patches(libraries, replay)
    return found, False


def _new(cls: type[Any], replay: Replay) -> Any:
    """A replay transport for one client, knowing where that client was built."""
    transport = cls(replay)
    setattr(transport, ORIGIN, built_here(replay, skip=3))
    return transport


def _served_by(transport: Any) -> bool:
    """Whether requests through ``transport`` reach a replay (one of ours, or a transport
    whose network method :func:`serving` replaces: ``HTTPTransport`` and its subclasses
    that do not override it)."""
    if type(transport).__name__ == "ReplayTransport":
        return True
    for name in ("handle_request", "handle_async_request"):
        method = getattr(type(transport), name, None)
        if (
            method is not None
            and getattr(method, "__name__", "") == name
            and (getattr(method, "__module__", "") == _own_module)
        ):
            return True
    return False


def _default_to(
    cls: type[Any], current: Current
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A client without a transport gets the replay's; one with a transport keeps it (it is
    served by the patched network method if it goes through one). ``foreign_transports``
    collects those that may not: the setup error to name if one then reaches the network."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def _init_transport(self: Any, *args: Any, **kwargs: Any) -> Any:
            if current.replay is None:  # standing between tests: httpx's own
                return original(self, *args, **kwargs)
            given = kwargs.get("transport")
            if given is None:
                return _new(cls, current.replay)
            if not _served_by(given):
                kind = type(given)
                current.replay.foreign_transports.append(f"{kind.__module__}.{kind.__qualname__}")
            return original(self, *args, **kwargs)

        return _init_transport

    return wrap


def _always(cls: type[Any], current: Current) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def _init_proxy_transport(self: Any, *args: Any, **kwargs: Any) -> Any:
            if current.replay is None:
                return original(self, *args, **kwargs)
            return _new(cls, current.replay)

        return _init_proxy_transport

    return wrap


def _no_env_proxies(current: Current) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def _get_proxy_map(self: Any, proxy: Any, allow_env_proxies: bool) -> Any:
            # a proxy given explicitly still counts
            return original(self, proxy, allow_env_proxies and current.replay is None)

        return _get_proxy_map

    return wrap


def _build(lib: ModuleType) -> type[Any]:
    """Define the stream and transport classes against ``lib``'s own base classes."""

    class SyncStream(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, body: BodyStream) -> None:
            self.body = body

        def __iter__(self) -> BodyStream:
            return self.body

        def close(self) -> None:
            self.body.close()

    class AsyncStream(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, body: BodyStream) -> None:
            self.body = body

        def __aiter__(self) -> AsyncIterator[bytes]:
            return self.body.areads()

        async def aclose(self) -> None:
            self.body.close()

    def wire(request: Any, body: bytes) -> tuple[WireRequest, WireErrors]:
        timeout = request.extensions.get("timeout", {}).get("read")
        errors = WireErrors(
            cut=lambda message: lib.RemoteProtocolError(message, request=request),
            timeout=lambda message: lib.ReadTimeout(message, request=request),
        )
        # raw bytes: decoded only if the log is read (see Replay.log)
        wire = WireRequest(request.method, str(request.url), request.headers.raw, body, timeout)
        return wire, errors

    def response(served: Served, stream: Any, request: Any) -> Any:
        return lib.Response(served.status, headers=served.headers, stream=stream, request=request)

    class ReplayTransport(lib.BaseTransport, lib.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        """Serves a :class:`~harness.transport.core.Replay` to sync and async clients."""

        library = lib.__name__

        def __init__(self, replay: Replay) -> None:
            self.replay = replay

        def __repr__(self) -> str:
            return f"<ReplayTransport[{self.library}] {self.replay!r}>"

        def handle_request(self, request: Any) -> Any:
            return ReplayTransport.serve(self, request, self.replay)

        async def handle_async_request(self, request: Any) -> Any:
            return await ReplayTransport.aserve(self, request, self.replay)

        @staticmethod
        def serve(owner: Any, request: Any, replay: Replay) -> Any:
            """``request`` (sent through ``owner``, any transport) served by ``replay``."""
            sent, errors = wire(request, request.read())
            if replay.retired:
                stale_check(owner, replay, sent)
            served = replay.serve(sent, errors)
            return response(served, SyncStream(served.body), request)

        @staticmethod
        async def aserve(owner: Any, request: Any, replay: Replay) -> Any:
            sent, errors = wire(request, await request.aread())
            if replay.retired:
                stale_check(owner, replay, sent)
            served = await replay.aserve(sent, errors)
            return response(served, AsyncStream(served.body), request)

    ReplayTransport.__qualname__ = ReplayTransport.__name__
    ReplayTransport.__module__ = "harness.transport"
    return ReplayTransport
