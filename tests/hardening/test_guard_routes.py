"""Every route out of the machine is shut during replay: name lookups at both the ``socket``
and ``_socket`` level, TCP connects (``connect``, ``connect_ex``, raw ``_socket`` sockets),
unconnected UDP ``sendto`` / ``sendmsg`` and TCP Fast Open. The real functions are replaced
by recorders first, so a route that got past the guard would be seen; the message is in the
exception text itself, where aiohttp (which drops ``__cause__``) still shows it."""

from __future__ import annotations

import _socket
import asyncio
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.transport.guard import CLOSED_PROXY, NetworkBlocked, no_network

HOST, ADDRESS = "api.openai.com", ("93.184.216.34", 443)


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Recorders in place of the real lookups and sends: nothing may reach them."""
    seen: list[str] = []

    def recorder(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            seen.append(name)
            raise OSError(f"test: {name} reached the real socket layer")

        return refuse

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                 "getnameinfo"):  # fmt: skip
        monkeypatch.setattr(socket, name, recorder(name))
        monkeypatch.setattr(_socket, name, recorder("_socket." + name))
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        monkeypatch.setattr(socket.socket, name, recorder("socket." + name))
    yield seen


_made: list[Any] = []
"""Sockets a route opened: closed by the test, so no ResourceWarning outlives it."""


def _keep(sock: Any) -> Any:
    _made.append(sock)
    return sock


def _udp() -> socket.socket:
    return _keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))  # type: ignore[no-any-return]


def _tcp() -> socket.socket:
    return _keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))  # type: ignore[no-any-return]


def _raw(kind: int) -> Any:
    return _keep(_socket.socket(socket.AF_INET, kind))


ROUTES: dict[str, Callable[[], object]] = {
    "getaddrinfo": lambda: socket.getaddrinfo(HOST, 443),
    "gethostbyname": lambda: socket.gethostbyname(HOST),
    "gethostbyname_ex": lambda: socket.gethostbyname_ex(HOST),
    "gethostbyaddr": lambda: socket.gethostbyaddr(ADDRESS[0]),
    "getnameinfo": lambda: socket.getnameinfo(ADDRESS, 0),
    "_socket.getaddrinfo": lambda: _socket.getaddrinfo(HOST, 443),
    "_socket.gethostbyname": lambda: _socket.gethostbyname(HOST),
    "connect": lambda: _tcp().connect(ADDRESS),
    "connect_ex": lambda: _tcp().connect_ex(ADDRESS),
    "udp-sendto": lambda: _udp().sendto(b"x", ("8.8.8.8", 53)),
    "udp-sendto-flags": lambda: _udp().sendto(b"x", 0, ("8.8.8.8", 53)),
    "udp-sendmsg": lambda: _udp().sendmsg([b"x"], [], 0, ("8.8.8.8", 53)),
    "tcp-fast-open": lambda: _tcp().sendto(
        b"GET /", getattr(socket, "MSG_FASTOPEN", 0x20000000), ADDRESS
    ),
    "_socket.socket-connect": lambda: _raw(socket.SOCK_STREAM).connect(ADDRESS),
    "_socket.socket-connect_ex": lambda: _raw(socket.SOCK_STREAM).connect_ex(ADDRESS),
    "_socket.socket-sendto": lambda: _raw(socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_route_is_blocked_with_the_message_in_the_text(route: str, reached: list[str]) -> None:
    try:
        with no_network(), pytest.raises(NetworkBlocked) as caught:
            ROUTES[route]()
    finally:
        while _made:
            _made.pop().close()
    assert reached == []
    assert "harness blocked a network connection" in str(caught.value)
    assert caught.value.strerror == str(caught.value)  # what aiohttp prints


def test_aiohttp_shows_harness_message_in_its_own_error_text() -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def fetch() -> None:
        async with aiohttp.ClientSession() as session:
            await session.get(f"https://{HOST}/v1/models")

    with no_network(), pytest.raises(aiohttp.ClientError) as caught:
        asyncio.run(fetch())
    assert "harness blocked a network connection" in str(caught.value)


def test_loopback_stays_open_when_allowed_and_everything_is_restored() -> None:
    real = (socket.getaddrinfo, _socket.getaddrinfo, _socket.socket, socket.socket.sendto)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with server, no_network(allow_loopback=True):
        assert socket.getaddrinfo("localhost", 80)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
        with pytest.raises(NetworkBlocked):
            socket.gethostbyname(HOST)
    assert (socket.getaddrinfo, _socket.getaddrinfo, _socket.socket, socket.socket.sendto) == real


def test_nested_guards_block_what_any_of_them_blocks(reached: list[str]) -> None:
    """A strict guard inside a strict one (each fuzz example's inside the session's) keeps
    blocking until the outer one ends; inside a loopback guard, a strict one shuts loopback
    until it ends; each end restores what was there before."""
    real = socket.getaddrinfo
    with no_network():
        outer = socket.getaddrinfo
        with no_network():
            assert socket.getaddrinfo is outer
            with pytest.raises(NetworkBlocked):
                socket.gethostbyname(HOST)
        with pytest.raises(NetworkBlocked):  # the inner guard's end left the outer's on
            socket.gethostbyname(HOST)
    assert socket.getaddrinfo is real
    with no_network(allow_loopback=True):
        with no_network(), pytest.raises(NetworkBlocked):
            socket.getaddrinfo("localhost", 80)
        with pytest.raises(OSError, match="reached the real socket layer"):
            socket.getaddrinfo("localhost", 80)  # let through again (to the recorder)
    assert socket.getaddrinfo is real
    assert reached == ["getaddrinfo"]


def test_subprocesses_get_proxy_variables_pointing_at_a_closed_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://corporate:3128")
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.setenv("NO_PROXY", "api.openai.com")  # would let that host around the proxy
    monkeypatch.delenv("no_proxy", raising=False)
    with no_network(proxy_env=True):
        assert os.environ["HTTPS_PROXY"] == os.environ["http_proxy"] == CLOSED_PROXY
        assert os.environ["NO_PROXY"] == ""
        assert "no_proxy" not in os.environ  # unset is as empty: nothing to clear
    assert os.environ["HTTPS_PROXY"] == "http://corporate:3128"
    assert os.environ["NO_PROXY"] == "api.openai.com"
    assert "HTTP_PROXY" not in os.environ and "no_proxy" not in os.environ


def test_a_standing_guard_calls_through_between_blocks_and_lift_restores(
    reached: list[str],
) -> None:
    """``stay=True`` (``harness_replay``'s, per test) leaves the patched functions in place
    after the block; with no guard in force they call the real ones, the next guard reuses
    them without patching anew, and ``lift`` puts back the very functions found before."""
    from harness.transport.seams import lift

    real = (socket.getaddrinfo, _socket.socket, socket.socket.connect)
    with no_network(stay=True), pytest.raises(NetworkBlocked):
        socket.gethostbyname(HOST)
    standing = socket.getaddrinfo
    try:
        assert standing is not real[0]
        with pytest.raises(OSError, match="reached the real socket layer"):
            socket.getaddrinfo(HOST, 443)  # no guard in force: straight through
        with no_network(), pytest.raises(NetworkBlocked):  # the standing ones, armed again
            assert socket.getaddrinfo is standing
            socket.getaddrinfo(HOST, 443)
        assert socket.getaddrinfo is standing  # a guard without stay did not undo them
        with no_network(allow_loopback=True, stay=True):
            with pytest.raises(OSError, match="reached the real socket layer"):
                socket.getaddrinfo("localhost", 80)
            with no_network(), pytest.raises(NetworkBlocked):  # strict inside: shut
                socket.getaddrinfo("localhost", 80)
    finally:
        lift()
    assert (socket.getaddrinfo, _socket.socket, socket.socket.connect) == real
    assert reached == ["getaddrinfo", "getaddrinfo"]


def test_lift_leaves_a_patch_put_on_top_of_a_standing_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.transport.seams import lift

    with no_network(stay=True):
        pass
    try:
        theirs = lambda *a, **k: []  # noqa: E731 - another tool's patch over ours
        monkeypatch.setattr(socket, "getaddrinfo", theirs)
    finally:
        lift()
    assert socket.getaddrinfo is theirs  # undoing ours would have undone theirs too
