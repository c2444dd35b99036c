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

from harness.transport.seams import install
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
def no_network(*, allow_loopback: bool = False, proxy_env: bool = False) -> Iterator[None]:
    """Block real connections; ``allow_loopback`` lets a recording test reach a local server.

    ``proxy_env`` also points the proxy variables at a closed port for subprocesses (they
    are outside the guard); in-process clients are not affected, harness's transport serves
    them. Restores the previous functions and variables on exit, so guards nest; a strict
    guard inside a strict one changes nothing (a fuzzing session holds one around its
    examples, each run's own guard is then free).
    """
    if not allow_loopback and not proxy_env and _strict_on_top():
        _guards.append(False)
        try:
            yield
        finally:
            _guards.pop()
        return
    _guards.append(allow_loopback)
    try:
        with _patched(allow_loopback=allow_loopback, proxy_env=proxy_env):
            yield
    finally:
        _guards.pop()


_guards: list[bool] = []
"""``allow_loopback`` of each guard in force, innermost last (the patches are global)."""


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

_built: dict[bool, tuple[list[Any], list[tuple[Any, str, object]]]] = {}
"""``allow_loopback`` -> (what each target was when its patches were built, the patches):
a guard is entered around every test, and building its functions and socket class anew
each time made garbage for the collector; the patches depend only on those originals and
on ``allow_loopback``, so they are built again only when an original changed (another
patch, or an outer guard, is in place)."""


@contextmanager
def _patched(*, allow_loopback: bool, proxy_env: bool) -> Iterator[None]:
    found = [getattr(owner, name) for owner, name in _TARGETS]
    built = _built.get(allow_loopback)
    if built is None or any(a is not b for a, b in zip(built[0], found, strict=True)):
        patches = zip(_TARGETS, _patches(allow_loopback), strict=True)
        built = _built[allow_loopback] = (found, [(o, name, p) for (o, name), p in patches])
    # socket.socket inherits connect from _socket.socket: undone, it is deleted again
    undo = install(built[1])
    environ = os.environ
    saved_env = [environ.get(name) for name in _ENV_NAMES] if proxy_env else []
    if proxy_env:
        for name, closed in _ENV_SET:
            environ[name] = closed
    try:
        yield
    finally:
        if proxy_env:
            for name, was in zip(_ENV_NAMES, saved_env, strict=True):
                if was is None:
                    environ.pop(name, None)
                else:
                    environ[name] = was
        undo()


_ENV_SET: tuple[tuple[str, str], ...] = (
    *((name, CLOSED_PROXY) for name in _PROXY_VARIABLES),
    ("NO_PROXY", ""),
    ("no_proxy", ""),
)
"""What a guard with ``proxy_env`` sets, in order (and puts back after, as it found it)."""
_ENV_NAMES = tuple(name for name, _ in _ENV_SET)


def _patches(allow_loopback: bool) -> list[Any]:
    """The guard's replacement for each of :data:`_TARGETS`, wrapping what is there now."""

    def check(host: object, port: object) -> None:
        if host is None or (allow_loopback and _is_loopback(host)):
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
