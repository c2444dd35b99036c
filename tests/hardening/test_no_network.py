"""While replaying, nothing leaves the machine: an adapter that opens its own connection
fails at once, and the finding names the host and port it tried.

Each driver here ignores the replay and calls ``api.openai.com:443`` its own way. The real
``socket`` functions are replaced by recorders first: the guard wraps whatever it finds, so
if any name lookup or connection got past it, the recorder would see it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from harness.drivers.base import DriverContext
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ErrorEvent, Event

HOST, PORT = "api.openai.com", 443
URL = f"https://{HOST}/v1/chat/completions"
SCENARIO = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "text-plain.yaml")


async def _httpx_async() -> None:
    async with httpx.AsyncClient() as client:
        await client.post(URL, json={"model": "gpt-4o-mini"})


async def _httpx_sync() -> None:
    with httpx.Client() as client:
        client.post(URL, json={"model": "gpt-4o-mini"})


async def _raw_socket() -> None:
    socket.create_connection((HOST, PORT), timeout=1).close()


async def _asyncio_stream() -> None:
    await asyncio.open_connection(HOST, PORT)


async def _openai_default_client() -> None:
    """The SDK building its own client (no ``http_client``), then wrapping the failure."""
    import openai

    client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
    await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )


class Leaky:
    """A driver whose adapter bypasses the transport the context offers."""

    name: ClassVar[str] = "leaky"
    dialect: ClassVar[str] = "openai-chat"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call

    def supports(self, scenario: object) -> str | None:
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        await self.call()
        return
        yield  # an async generator that yields nothing


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record (and refuse) every lookup or connection that reaches the real socket layer."""
    reached: list[str] = []

    def record(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            reached.append(f"{name}{args[:2]}")
            raise OSError(f"test: {name} reached the real socket layer")

        return refuse

    monkeypatch.setattr(socket, "getaddrinfo", record("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", record("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", record("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", record("connect_ex"))
    yield reached


def _run(call: Callable[[], Any]) -> Run:
    return run_scenario(SCENARIO, Leaky(call))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [_httpx_async, _httpx_sync, _raw_socket, _asyncio_stream, _openai_default_client],
    ids=["httpx-async", "httpx-sync", "socket", "asyncio", "openai-default-client"],
)
def test_a_real_connection_is_blocked_and_named(
    call: Callable[[], Any], outside: list[str]
) -> None:
    run = _run(call)
    assert outside == []  # no lookup, no connection left the guard
    assert run.transcript is not None
    [error] = run.transcript.terminals()
    assert isinstance(error, ErrorEvent)
    blocked = f"harness blocked a network connection to {HOST}:{PORT} during replay"
    [miss] = run.misses
    assert miss.startswith(f"{blocked}: ")
    if call in (_raw_socket, _asyncio_stream):  # no HTTP client to name
        assert miss.endswith("the adapter opened its own connection instead of the replay's")
    else:  # names the client and library, why it was not served, the line and the fix
        library_client = {
            _httpx_async: "the httpx client httpx.AsyncClient was not served",
            _httpx_sync: "the httpx client httpx.Client was not served",
            _openai_default_client: "the httpx client openai._base_client.AsyncHttpxClientWrapper",
        }[call]
        assert library_client in miss
        assert "outside serving()" in miss
        assert "the request was sent from " + __file__ in miss
        assert "Fix: call the adapter inside harness_replay" in miss
    # before any scripted exchange: harness could not serve this client, a setup error
    assert run.status == "error"
    assert run.setup is not None and run.setup.code == "setup-own-transport"
    assert blocked in run.setup.message and "ctx.transport()" in run.setup.message
    assert run.findings == []


def test_an_unwrapped_failure_keeps_host_and_port_in_the_transcript(outside: list[str]) -> None:
    run = _run(_httpx_async)
    assert run.transcript is not None
    [error] = run.transcript.terminals()
    assert isinstance(error, ErrorEvent)
    assert error.type == "httpx.ConnectError" and error.leaked
    assert f"{HOST}:{PORT}" in error.message


def test_the_guard_is_lifted_after_the_run() -> None:
    real = socket.getaddrinfo
    _run(_raw_socket)
    assert socket.getaddrinfo is real
