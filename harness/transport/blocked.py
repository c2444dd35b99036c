"""Why a connection the network guard blocked was not served, and the line to change.

"harness blocked a network connection to api.anthropic.com:443" tells a user what happened,
not what to do. At the moment of the block the stack still holds the answer: which HTTP
library opened the connection, which client object sent the request (an SDK's subclass of
``httpx.Client``), through which transport, and the first line of the user's own code on
the way. Only read when a connection is blocked, so it costs nothing otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import FrameType

__all__ = ["blocked_reason", "chained", "explain", "explain_error"]

_LIBRARIES = {
    "httpx": "httpx",
    "httpx2": "httpx2",
    "httpcore": "httpx",
    "httpcore2": "httpx2",
    "requests": "requests",
    "urllib3": "urllib3",
    "aiohttp": "aiohttp",
    "http": "http.client",
    "urllib": "urllib",
}


def explain(skip: int = 2) -> str:
    """From the current stack: the client and library, why harness did not serve it, what to
    change; empty when no HTTP library is on it (an async connect runs in a task or thread of
    its own: :func:`explain_error` then reads the exception's traceback instead)."""
    frames: list[FrameType] = []
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return _explain(frames)


def explain_error(exc: BaseException) -> str:
    """:func:`explain` from the frames ``exc`` (and what it wraps) travelled through."""
    frames: list[FrameType] = []
    for e in chained(exc, groups=False):
        chain: list[FrameType] = []
        tb = e.__traceback__
        while tb is not None:
            chain.append(tb.tb_frame)
            tb = tb.tb_next
        frames = [*reversed(chain), *frames] if e is not exc else list(reversed(chain))
    return _explain(frames)


def _explain(frames: list[FrameType]) -> str:
    """``frames`` innermost first."""
    library = client = transport = line = ""
    for frame in frames:
        module = str(frame.f_globals.get("__name__", ""))
        root = module.partition(".")[0]
        if root in _LIBRARIES:
            library = _LIBRARIES[root]  # the outermost library is the one the code used
            owner = frame.f_locals.get("self")
            kind = type(owner)
            if owner is not None and not kind.__module__.startswith(("httpcore", "asyncio")):
                name = f"{kind.__module__}.{kind.__qualname__}"
                if hasattr(owner, "handle_request") or hasattr(owner, "handle_async_request"):
                    transport = transport or name
                elif hasattr(owner, "send") or hasattr(owner, "request"):
                    client = name
        elif library and not line and not _installed(frame.f_code.co_filename):
            if not module.startswith("harness."):
                line = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        elif not library and not module.startswith(("harness.", "asyncio", "anyio", "socket")):
            owner = frame.f_locals.get("self")
            if hasattr(owner, "handle_async_request") or hasattr(owner, "handle_request"):
                kind = type(owner)  # a transport of the user's, doing its own I/O
                transport = transport or f"{kind.__module__}.{kind.__qualname__}"
    if not library:
        return ""
    return _sentence(library, client, transport, line)


def _sentence(library: str, client: str, transport: str, line: str) -> str:
    sent = f"; the request was sent from {line}" if line else ""
    if library in ("httpx", "httpx2"):
        served = _serving_active(library)
        who = f"the {library} client {client or '(unknown)'}"
        if not served:
            why = "no replay serves this thread's clients (the code is outside serving())"
            fix = "call the adapter inside harness_replay or `with serving(ctx.replay):`"
        else:
            why = (
                f"its transport {transport or '(unknown)'} does its own I/O instead of going "
                f"through {library}.HTTPTransport, the method harness serves"
            )
            made = "AsyncClient" if "Async" in client else "Client"
            fix = (
                f"build it with http_client={library}.{made}(transport="
                f"harness_replay.transport({library!r})) (ctx.transport({library!r}) in a "
                "driver), or make the transport delegate to "
                f"{library}.HTTPTransport"
            )
        return f"{who} was not served: {why}{sent}. Fix: {fix}"
    if library in ("requests", "urllib3", "http.client", "aiohttp"):
        return (
            f"a {library} client was not served: {library} clients are served (through "
            "vcrpy, each body as one blob) inside harness_replay, or inside "
            f"harness.transport.blob.serving_blob(replay){sent}. Fix: call the adapter "
            "inside the test that takes harness_replay, or inside `with "
            "serving_blob(ctx.replay):` in a driver"
        )
    if library:
        return (
            f"a {library} client was not served: harness serves httpx and httpx2 clients, "
            "and requests, urllib3, http.client and aiohttp inside harness_replay or "
            f"serving_blob(){sent}. Fix: give the adapter an httpx client in tests, or drive "
            "it through a library harness serves"
        )
    return (
        f"a raw socket was opened, not an HTTP client harness serves{sent}. "
        "Fix: send requests through httpx or httpx2"
    )


def _serving_active(library: str) -> bool:
    module = sys.modules.get(library)
    transport = getattr(module, "HTTPTransport", None)
    handle = getattr(transport, "handle_request", None)
    return getattr(handle, "__module__", "") == "harness.transport._own"


def _installed(filename: str) -> bool:
    return "-packages" in filename or filename.startswith((sys.prefix, sys.base_prefix, "<"))


def chained(exc: BaseException, *, groups: bool = True) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (cause, context, members of a group unless
    ``groups=False``), once each: SDKs wrap what the guard raised ("Connection error.")."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        members = getattr(e, "exceptions", ()) if groups else ()
        todo += [e.__cause__, e.__context__, *members]


def blocked_reason(exc: BaseException) -> str | None:
    """For a test's failure: the blocked connection in ``exc``'s chain, explained (None when
    no connection was blocked)."""
    from harness.transport.guard import NetworkBlocked

    for e in chained(exc):
        if isinstance(e, NetworkBlocked):
            return str(e) if e.why else f"{e}: {explain_error(exc) or 'not an HTTP client'}"
    return None
