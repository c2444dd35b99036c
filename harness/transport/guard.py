"""No-network guard: a replay that leaks to the internet must fail loudly, not pass slowly.

While :func:`no_network` is active, name lookups and connections to anything but a Unix
socket raise :class:`NetworkBlocked`, in every thread. It patches the functions every path
goes through, at both levels (``socket`` and the C module ``_socket`` under it):

* name resolution: ``getaddrinfo`` (also behind asyncio's, anyio's and aiohttp's resolvers),
  ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getnameinfo``;
* connections: ``create_connection``, ``socket.connect`` / ``connect_ex`` (also behind
  asyncio's ``sock_connect``), asyncio's ``loop.create_connection`` (to fail before a worker
  thread is involved), and sockets made from ``_socket.socket`` directly;
* datagrams and TCP Fast Open: ``sendto`` and ``sendmsg`` with an address (an unconnected
  UDP packet, ``MSG_FASTOPEN``, which connects and sends in one call).

The message is the exception's text itself and its ``strerror`` (aiohttp shows only that,
not ``__cause__``). Not covered: subprocesses an adapter starts (a new interpreter, no
patches); :func:`no_network` points their proxy variables at a closed port, which stops
well-behaved HTTP clients only. Sockets made before the guard was entered are checked too
(the methods are patched on the class), except raw ``_socket.socket`` objects.
"""

from __future__ import annotations

import _socket
import asyncio.base_events
import ipaddress
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.transport.seams import PatchSet, install, release
from harness.vocab.errors import HarnessError

__all__ = ["NetworkBlocked", "no_network"]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlocked(HarnessError, ConnectionError):
    """A connection attempted during replay.

    A ``ConnectionError`` (so an ``OSError``) because that is what HTTP stacks map to their
    own connect error (httpcore: ``ConnectError``) and adapters classify as a connection
    failure; the message, which names host and port, survives that mapping.
    """

    def __init__(self, host: object, port: object, why: str = "") -> None:
        if isinstance(host, bytes):  # httpcore's async path resolves the host as bytes
            host = host.decode("ascii", errors="replace")
        self.host = host
        self.port = port
        self.why = why
        """Which client and library, why harness did not serve it, the line to change."""
        where = f"{host} (a name lookup)" if port is None else f"{host}:{port}"
        message = f"harness blocked a network connection to {where} during replay"
        if why:
            message += f": {why}"
        super().__init__(message)
        self.strerror = message  # what aiohttp prints (it drops __cause__); errno stays None


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


CLOSED_PROXY = "http://127.0.0.1:9"
"""Where subprocesses' HTTP clients are sent during replay: the discard port, closed."""
_PROXY_VARIABLES = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)  # fmt: skip
_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo")


@contextmanager
def no_network(
    *, allow_loopback: bool = False, proxy_env: bool = False, stay: bool = False
) -> Iterator[None]:
    """Block real connections; ``allow_loopback`` lets a recording test reach a local server.

    ``proxy_env`` also points the proxy variables at a closed port for subprocesses (they
    are outside the guard); in-process clients are not affected, harness's transport serves
    them. Restores the previous functions and variables on exit, so guards nest; a strict
    guard inside a strict one changes nothing (a fuzzing session holds one around its
    examples, each run's own guard is then free). A guard blocks while any guard in force
    does: loopback is allowed only when every one allows it.

    ``stay`` leaves the patched functions in place after the block, calling straight
    through to the real ones while no guard is in force, until
    :func:`harness.transport.seams.lift` (``harness_replay`` arms them per test and lifts
    them at the end of the session: patching some twenty functions in and out around every
    test cost more than the rest of its guard).
    """
    if not allow_loopback and not proxy_env and _strict_on_top():
        _guards.append(False)
        try:
            yield
        finally:
            _guards.pop()
        return
    _guards.append(allow_loopback)
    try:  # one block, not a nested one for the patches: entered around every test
        patches, there = _patches_now()
        # socket.socket inherits connect from _socket.socket: undone, it is deleted again
        undo = None if there else install(patches)  # in place: an outer guard's, or standing
        try:
            saved_env = _point_proxies() if proxy_env else None
            try:
                yield
            finally:
                if saved_env is not None:
                    _put_back(saved_env)
        finally:
            release(patches, undo, stay=stay)
    finally:
        _guards.pop()


_guards: list[bool] = []
"""``allow_loopback`` of each guard in force, innermost last (the patches are global and
ask this list: with none in force they call straight through)."""


def _strict_on_top() -> bool:
    return bool(_guards) and not _guards[-1]


_TARGETS: tuple[tuple[Any, str], ...] = (
    (socket, "create_connection"),
    *((socket.socket, name) for name in ("connect", "connect_ex", "sendto", "sendmsg")),
    (_socket, "socket"),
    (asyncio.base_events.BaseEventLoop, "create_connection"),
    *((module, name) for name in _LOOKUPS for module in (socket, _socket)),
)
"""(owner, attribute) of everything the guard replaces, in the order it replaces them."""

_built: list[PatchSet] = []
"""The patches, with what each target was when they were built, at most one set: a guard is
entered around every test, and building its functions and socket class anew each time
made garbage for the collector; the patches depend only on those originals, so they are
built again only when an original changed (another patch is in place)."""


def _patches_now() -> tuple[list[tuple[Any, str, object]], bool]:
    """The guard's patches and whether they are in place: those built before while
    :meth:`~harness.transport.seams.PatchSet.ready`, else built anew around what is there now."""
    if _built:
        built = _built[0]
        there = built.ready()
        if there is not None:
            return built.patches, there
    patches = [(o, name, p) for (o, name), p in zip(_TARGETS, _patches(), strict=True)]
    _built[:] = [PatchSet(patches)]  # around what each target is now
    return patches, False


_ENV_SET: tuple[tuple[str, str], ...] = (
    *((name, CLOSED_PROXY) for name in _PROXY_VARIABLES),
    ("NO_PROXY", ""),
    ("no_proxy", ""),
)
"""What a guard with ``proxy_env`` sets, in order (and puts back after, as it found it); an
empty NO_PROXY is only set over one that is set (unset, it is as empty)."""
_ENV_NAMES = tuple(name for name, _ in _ENV_SET)
_encoded: list[tuple[Any, Any]] = []
""":data:`_ENV_SET` as ``os.environ`` stores it (encoded once: set around every test)."""


def _point_proxies() -> list[Any]:
    """Set :data:`_ENV_SET` in the process environment (``os.environ`` and the C one
    subprocesses inherit), as ``os.environ[name] = value`` does without encoding each name
    and value anew; what each was (encoded, None: unset) is returned for
    :func:`_put_back`."""
    environ: Any = os.environ
    data = getattr(environ, "_data", None)
    if not isinstance(data, dict):  # not CPython's os._Environ: its own way
        saved = [environ.get(name) for name in _ENV_NAMES]
        environ.update(_ENV_SET)
        return [False, *saved]
    if not _encoded:
        _encoded[:] = [(environ.encodekey(k), environ.encodevalue(v)) for k, v in _ENV_SET]
    saved = [data.get(key) for key, _ in _encoded]
    for (key, value), was in zip(_encoded, saved, strict=True):
        if value or was is not None:  # an empty NO_PROXY is one not set: left unset
            os.putenv(key, value)
            data[key] = value
    return [True, *saved]


def _put_back(saved: list[Any]) -> None:
    """Undo :func:`_point_proxies`: each variable as it was (unset again if it was)."""
    environ: Any = os.environ
    direct, *was = saved
    if not direct:
        for name, value in zip(_ENV_NAMES, was, strict=True):
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        return
    data = environ._data
    for (key, _), value in zip(_encoded, was, strict=True):
        if value is None:
            if key in data:  # set by the block (or by the test inside it)
                os.unsetenv(key)
                del data[key]
        else:
            os.putenv(key, value)
            data[key] = value


def _patches() -> list[Any]:
    """The guard's replacement for each of :data:`_TARGETS`, wrapping what is there now."""

    def check(host: object, port: object) -> None:
        if host is None or not _guards or (all(_guards) and _is_loopback(host)):
            return
        from harness.transport.blocked import explain

        raise NetworkBlocked(host, port, explain())

    def check_address(address: Any) -> None:
        if isinstance(address, tuple) and len(address) >= 2:  # AF_INET / AF_INET6
            check(address[0], address[1])

    def lookup(real: Any, name: str) -> Any:
        def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(host, tuple):  # getnameinfo((host, port), flags)
                check(host[0], host[1] if len(host) > 1 else None)
            else:
                check(host, args[0] if args and name == "getaddrinfo" else None)
            return real(host, *args, **kwargs)

        guarded.__name__ = name
        return guarded

    def sendto(self: Any, data: Any, *args: Any) -> Any:
        check_address(args[-1] if args else None)  # sendto(data, [flags,] address)
        return real_sendto(self, data, *args)

    def sendmsg(self: Any, buffers: Any, *args: Any) -> Any:
        if len(args) >= 3:  # sendmsg(buffers, ancdata, flags, address)
            check_address(args[2])
        return real_sendmsg(self, buffers, *args)

    real_sendto = socket.socket.sendto
    real_sendmsg = socket.socket.sendmsg
    real_create_connection = socket.create_connection
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_loop_connect = asyncio.base_events.BaseEventLoop.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        check_address(address)
        return real_create_connection(address, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        check_address(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(address)
        return real_connect_ex(self, address)

    async def loop_create_connection(
        self: asyncio.base_events.BaseEventLoop,
        protocol_factory: Any,
        host: Any = None,
        port: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        check(host, port)
        return await real_loop_connect(self, protocol_factory, host, port, *args, **kwargs)

    # what ``_socket.socket(...)`` makes while the guard is on: the same checks
    methods = {"connect": connect, "connect_ex": connect_ex, "sendto": sendto, "sendmsg": sendmsg}
    guarded_raw_socket = type("GuardedRawSocket", (_socket.socket,), methods)

    replacements: dict[tuple[Any, str], Any] = {
        (socket, "create_connection"): create_connection,
        (socket.socket, "connect"): connect,
        (socket.socket, "connect_ex"): connect_ex,
        (socket.socket, "sendto"): sendto,
        (socket.socket, "sendmsg"): sendmsg,
        (_socket, "socket"): guarded_raw_socket,
        (asyncio.base_events.BaseEventLoop, "create_connection"): loop_create_connection,
    }
    for name in _LOOKUPS:
        for module in (socket, _socket):
            replacements[module, name] = lookup(getattr(module, name), name)
    return [replacements[target] for target in _TARGETS]
