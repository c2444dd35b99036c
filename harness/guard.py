"""No-network guard: a replay that leaks to the internet must fail loudly, not pass slowly.

While :func:`no_network` is active, name lookups and connections to anything but a Unix
socket raise :class:`NetworkBlocked`, in every thread. It patches the few functions every
path goes through: ``socket.getaddrinfo`` (also behind asyncio's and anyio's resolvers),
``socket.create_connection``, ``socket.socket.connect`` / ``connect_ex`` (also behind
asyncio's ``sock_connect``) and ``asyncio``'s ``loop.create_connection`` (to fail before a
worker thread is involved).
"""

from __future__ import annotations

import asyncio.base_events
import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["NetworkBlocked", "no_network"]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_INHERITED = object()


class NetworkBlocked(ConnectionError):
    """A connection attempted during replay.

    A ``ConnectionError`` (so an ``OSError``) because that is what HTTP stacks map to their
    own connect error (httpcore: ``ConnectError``) and adapters classify as a connection
    failure; the message, which names host and port, survives that mapping.
    """

    def __init__(self, host: object, port: object) -> None:
        if isinstance(host, bytes):  # httpcore's async path resolves the host as bytes
            host = host.decode("ascii", errors="replace")
        self.host = host
        self.port = port
        super().__init__(f"harness blocked a network connection to {host}:{port} during replay")


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


@contextmanager
def no_network(*, allow_loopback: bool = False) -> Iterator[None]:
    """Block real connections; ``allow_loopback`` lets a recording test reach a local server.

    Restores the previous functions on exit, so guards nest.
    """

    def check(host: object, port: object) -> None:
        if host is None or (allow_loopback and _is_loopback(host)):
            return
        raise NetworkBlocked(host, port)

    def check_address(address: Any) -> None:
        if isinstance(address, tuple) and len(address) >= 2:  # AF_INET / AF_INET6
            check(address[0], address[1])

    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_loop_connect = asyncio.base_events.BaseEventLoop.create_connection

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        check(host, port)
        return real_getaddrinfo(host, port, *args, **kwargs)

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

    patches: list[tuple[Any, str, Any]] = [
        (socket, "getaddrinfo", getaddrinfo),
        (socket, "create_connection", create_connection),
        (socket.socket, "connect", connect),
        (socket.socket, "connect_ex", connect_ex),
        (asyncio.base_events.BaseEventLoop, "create_connection", loop_create_connection),
    ]
    saved = [(owner, name, vars(owner).get(name, _INHERITED)) for owner, name, _ in patches]
    for owner, name, patch in patches:
        setattr(owner, name, patch)
    try:
        yield
    finally:
        for owner, name, previous in reversed(saved):
            if previous is _INHERITED:  # socket.socket inherits connect from _socket.socket
                delattr(owner, name)
            else:
                setattr(owner, name, previous)
