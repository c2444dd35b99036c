"""Serving the transports clients bring themselves, and telling a cached client apart.

SDKs rarely leave a client's transport to httpx: anthropic 2.17 always passes
``httpx2.HTTPTransport(socket_options=...)``, langchain-openai a socket-options transport,
users retry wrappers and proxies. All of them end in ``HTTPTransport.handle_request`` /
``AsyncHTTPTransport.handle_async_request`` (a wrapper delegates to one, a subclass calls
``super()``), the one place such a client touches the network. While :func:`serving` is
active those two methods serve the replay instead, so the wrappers' own logic (retries,
headers) still runs and is judged.

Which replay: a transport built while a replay serves belongs to that replay for life (it
is tagged in ``__init__``), as does the replay transport a client gets by default. Used
after that replay's run is over, it raises :class:`~harness.transport.core.StaleClient`
naming where it was built, and, when that is an ``lru_cache``'d function, the cache to
clear. A transport built outside any replay (at import time, in a session fixture) has no
run to outlive: it is served by whichever replay is active.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from types import CodeType, FrameType
from typing import Any

from harness.transport.core import Replay, WireRequest, stale_request

__all__ = [
    "ORIGIN",
    "REPLAY",
    "Current",
    "Origin",
    "built_here",
    "serve_async",
    "serve_sync",
    "stale_check",
    "tagging_init",
]

REPLAY = "_harness_replay"
"""Attribute of a transport built while a replay served: that replay."""
ORIGIN = "_harness_origin"
"""Attribute of such a transport: where it was built (for the stale-client message)."""

_LIBRARY_PREFIXES = ("httpx", "httpx2", "httpcore", "httpcore2", "harness.transport")


class Current:
    """The replay a set of patches serves: set by each block that installs them, so the
    patches (closures over this, not over one replay) are built once and reused; None
    while no block serves (patches left standing between tests call the methods they
    wrap)."""

    __slots__ = ("replay",)

    def __init__(self, replay: Replay | None) -> None:
        self.replay = replay


def built_here(replay: Replay, skip: int = 2) -> Origin:
    """Where the transport being built comes from: the code that built the client (the first
    frame in the user's own code, else the first outside the HTTP libraries), the
    ``lru_cache`` holding it if one does, and the run it was built in. Only the frames are
    noted here (a client is built in every test); the text is made if a message needs it.
    They are noted flat, (globals, code, line) after one another in one list: a tuple per
    frame made some sixty objects per client for the garbage collector to count. The walk
    ends at pytest's or the event loop's frames (:data:`_RUNNER_PREFIXES`)."""
    frames: list[Any] = []
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None and len(frames) < 180:
        globals_ = frame.f_globals
        name = globals_.get("__name__")
        if isinstance(name, str) and name.startswith(_RUNNER_PREFIXES):
            break  # pytest's own calls from here out: none built the client
        frames += (globals_, frame.f_code, frame.f_lineno)
        frame = frame.f_back
    return Origin(replay, frames)


_RUNNER_PREFIXES = ("_pytest.", "pluggy.", "asyncio.")
"""Modules of the test runner and of asyncio: the walk stops at the first of their frames
(the code that called the test or fixture; the loop running a task's coroutine, whose
callers only run loops), so a client built in an async test notes its few frames, not the
~60 of the loop's and pytest's call stack (Python makes a frame object for each frame it
walks)."""


class Origin:
    """Where a transport was built (:func:`built_here`); ``str()`` says it."""

    def __init__(self, replay: Replay, frames: list[Any]):
        self._replay = replay
        self._frames = frames
        """(globals, code, line) of each frame, outward, one after the other."""

    def _each(self) -> Iterator[tuple[str, CodeType, int, dict[str, Any]]]:
        frames = self._frames
        for at in range(0, len(frames), 3):
            globals_, code, lineno = frames[at : at + 3]
            yield str(globals_.get("__name__", "")), code, lineno, globals_

    def __str__(self) -> str:
        first = own = cache = ""
        for module, code, lineno, globals_ in self._each():
            if module.startswith(_LIBRARY_PREFIXES):
                continue
            here = f"{module}.{code.co_name} ({code.co_filename}:{lineno})"
            first = first or here
            if not own and not _installed(code.co_filename) and not module.startswith("harness."):
                own = here
            cached = globals_.get(code.co_name)
            wrapped = getattr(cached, "__wrapped__", None)
            if (
                not cache
                and hasattr(cached, "cache_clear")
                and (getattr(wrapped, "__code__", None) is code)
            ):
                cache = f"{module}.{code.co_name}"
        replay = self._replay
        run = replay.run_name or replay.script.source or "an earlier run"
        text = f"built by {own or first or 'unknown code'} during {run}"
        if cache:
            return text + (
                f"; it is cached by the lru_cache {cache}: call {cache}.cache_clear() between "
                "tests (an autouse fixture), or build the client inside the test"
            )
        return text + (
            "; it is kept (a module-level or cached client): build the client inside the test, "
            "or clear that cache between tests"
        )


def _installed(filename: str) -> bool:
    """Library code (site-packages, the standard library), not the user's."""
    return "-packages" in filename or filename.startswith((sys.prefix, sys.base_prefix, "<"))


def stale_check(transport: Any, replay: Replay, request: WireRequest) -> None:
    """Raise :class:`StaleClient` (logged on the active run) when ``replay``'s run is over."""
    if replay.retired:
        origin = getattr(transport, ORIGIN, "")
        raise stale_request(replay, request, str(origin))


def tagging_init(current: Current) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``HTTPTransport.__init__`` that also records the replay serving now and the site."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            replay = current.replay
            # not a subclass's super().__init__ the second time, nor outside any replay
            if replay is not None and getattr(self, REPLAY, None) is None:
                setattr(self, REPLAY, replay)
                setattr(self, ORIGIN, built_here(replay))

        return __init__

    return wrap


def serve_sync(
    current: Current, serve: Callable[[Any, Any, Replay], Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``HTTPTransport.handle_request`` serving the transport's replay (or the current one)."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def handle_request(self: Any, request: Any) -> Any:
            if current.replay is None:  # standing between tests: no replay serves
                return original(self, request)
            return serve(self, request, getattr(self, REPLAY, None) or current.replay)

        return handle_request

    return wrap


def serve_async(
    current: Current, serve: Callable[[Any, Any, Replay], Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``AsyncHTTPTransport.handle_async_request`` serving the transport's replay."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        async def handle_async_request(self: Any, request: Any) -> Any:
            if current.replay is None:  # standing between tests: no replay serves
                return await original(self, request)
            return await serve(self, request, getattr(self, REPLAY, None) or current.replay)

        return handle_async_request

    return wrap
