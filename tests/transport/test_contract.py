"""The replay transport contract, for httpx and httpx2, sync and async clients alike."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import Any

import pytest

import harness.transport
from harness.dialects.script import Chunk, Exchange, HttpDate, Script
from harness.transport import (
    EndlessStall,
    Replay,
    ReplayIncomplete,
    ReplayMiss,
    serving,
    transport_class,
    transport_for,
)
from harness.transport.clock import Clock
from harness.transport.core import CUT_MESSAGE
from harness.transport.guard import NetworkBlocked, no_network

BASE = "https://replay.harness.invalid/v1"
SSE = (("content-type", "text/event-stream"),)
CHUNKS = (Chunk(b'data: {"a": "h\xc3'), Chunk(b'\xa9"}\n\n'), Chunk(b"data: [DONE]\n\n"))


def chat(**kwargs: Any) -> Exchange:
    fields: dict[str, Any] = {
        "method": "POST",
        "path": "/chat/completions",
        "headers": SSE,
        "chunks": CHUNKS,
        "label": "stream",
    }
    return Exchange(**(fields | kwargs))


def replay(*exchanges: Exchange) -> Replay:
    return Replay(Script(exchanges, source="contract.yaml"), Clock())


@dataclass
class Fetched:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    error: BaseException | None = None
    """The exception raised while reading the body (errors before it propagate)."""


def fetch(
    library: str,
    mode: str,
    rep: Replay,
    path: str = "/chat/completions",
    *,
    method: str = "POST",
    timeout: float | None = 60.0,
    **kwargs: Any,
) -> Fetched:
    """One request through a real ``Client``/``AsyncClient``, reading the raw chunks."""
    lib = importlib.import_module(library)
    transport = transport_for(rep, library)
    out = Fetched()
    opts = {"transport": transport, "base_url": BASE, "timeout": timeout}

    def head(response: Any) -> None:
        out.status, out.headers = response.status_code, dict(response.headers)

    if mode == "sync":
        with lib.Client(**opts) as client, client.stream(method, path, **kwargs) as response:
            head(response)
            try:
                out.chunks.extend(response.iter_raw())
            except Exception as exc:
                out.error = exc
        return out

    async def go() -> Fetched:
        async with (
            lib.AsyncClient(**opts) as client,
            client.stream(method, path, **kwargs) as response,
        ):
            head(response)
            try:
                async for chunk in response.aiter_raw():
                    out.chunks.append(chunk)
            except Exception as exc:
                out.error = exc
        return out

    return rep.clock.run(go)


def test_client_sees_scripted_status_headers_and_chunks(library: str, mode: str) -> None:
    rep = replay(chat(status=201, headers=(*SSE, ("x-request-id", "req-1"))))
    got = fetch(library, mode, rep, json={"stream": True})
    assert got.status == 201
    assert got.headers["content-type"] == "text/event-stream"
    assert got.headers["x-request-id"] == "req-1"
    assert got.chunks == [c.data for c in CHUNKS]
    assert got.error is None
    rep.assert_all_served()
    assert rep.unclosed_streams() == []


def test_requests_are_captured_with_secrets_masked(library: str, mode: str) -> None:
    rep = replay(chat())
    rep.clock.advance(7)
    headers = {"Authorization": "Bearer sk-secret", "x-api-key": "sk-ant-secret"}
    fetch(library, mode, rep, json={"model": "m", "stream": True}, headers=headers)
    [record] = rep.log
    assert (record.method, record.path, record.exchange) == ("POST", "/v1/chat/completions", 0)
    assert record.url == f"{BASE}/chat/completions"
    assert record.body == {"model": "m", "stream": True}
    assert record.headers["authorization"] == "Bearer ***"
    assert record.headers["x-api-key"] == "***"
    assert "sk-" not in repr(record)
    assert 7 <= record.at < 8


def test_unexpected_path_is_a_miss_naming_the_expected_exchange(library: str, mode: str) -> None:
    rep = replay(chat())
    with pytest.raises(ReplayMiss) as caught:
        fetch(library, mode, rep, "/responses")
    message = str(caught.value)
    assert "POST /chat/completions (stream)" in message
    assert "contract.yaml" in message
    assert "/v1/responses" in message and "path:" in message
    assert rep.misses == [caught.value]
    assert rep.log[-1].exchange is None
    assert len(rep.remaining) == 1


def test_extra_request_is_a_miss(library: str, mode: str) -> None:
    rep = replay(chat())
    fetch(library, mode, rep)
    with pytest.raises(ReplayMiss, match="extra request") as caught:
        fetch(library, mode, rep)
    assert "Closest scripted exchange: #0 POST /chat/completions (stream) (served)" in str(
        caught.value
    )
    with pytest.raises(ReplayMiss):
        rep.assert_all_served()  # the miss is remembered even if an adapter swallowed it


def test_declared_resends_get_the_last_exchange_again(library: str, mode: str) -> None:
    rep = Replay(Script((chat(status=429), chat(label="last")), source="c.yaml"), repeat_last=2)
    assert fetch(library, mode, rep).status == 429
    for _ in range(3):  # the scripted one, then the two re-sends the contract declares
        assert b"".join(fetch(library, mode, rep).chunks) == b"".join(c.data for c in CHUNKS)
    assert [r.exchange for r in rep.log] == [0, 1, 1, 1]
    with pytest.raises(ReplayMiss, match="extra request"):
        fetch(library, mode, rep)
    assert rep.log[-1].exchange is None


def test_required_query_params_must_match(library: str, mode: str) -> None:
    rep = replay(chat(path="/threads?api-version=2025-05-01", query=(("limit", "5"),)))
    with pytest.raises(ReplayMiss, match="query: expected limit='5'"):
        fetch(library, mode, rep, "/threads", params={"api-version": "2025-05-01"})
    got = fetch(library, mode, rep, "/threads?api-version=2025-05-01&limit=5&key=AIza-secret")
    assert got.status == 200
    assert rep.log[-1].url == f"{BASE}/threads?api-version=2025-05-01&limit=5&key=***"


def test_unserved_exchanges_are_reported() -> None:
    rep = replay(chat(), chat(label="second"))
    with pytest.raises(ReplayIncomplete, match=r"1: POST /chat/completions \(second\)"):
        rep.assert_all_served()


def test_delays_cost_virtual_time_only(library: str, mode: str) -> None:
    slow = tuple(Chunk(c.data, delay=5) for c in CHUNKS)
    rep = replay(chat(delay=30, chunks=slow))
    got = fetch(library, mode, rep)
    assert got.chunks == [c.data for c in CHUNKS]
    # the clock moves only by what was waited for: the delays, exactly
    assert rep.clock.elapsed() == pytest.approx(30 + 5 * len(CHUNKS))


def test_cut_raises_the_librarys_remote_protocol_error(library: str, mode: str) -> None:
    lib = importlib.import_module(library)
    got = fetch(library, mode, replay(chat(end="cut")))
    assert got.chunks == [c.data for c in CHUNKS]
    assert isinstance(got.error, lib.RemoteProtocolError)
    assert str(got.error) == CUT_MESSAGE


def test_stall_raises_the_librarys_read_timeout(library: str, mode: str) -> None:
    lib = importlib.import_module(library)
    rep = replay(chat(end="stall"))
    got = fetch(library, mode, rep, timeout=12)
    assert got.chunks == [c.data for c in CHUNKS]
    assert isinstance(got.error, lib.ReadTimeout)
    assert 12 <= rep.clock.elapsed() < 13


def test_stall_without_read_timeout_fails_instead_of_hanging(library: str, mode: str) -> None:
    got = fetch(library, mode, replay(chat(end="stall")), timeout=None)
    assert isinstance(got.error, EndlessStall)
    # counted as the reproducer's Server counts them, and as the attempt labels do: from 1
    assert str(got.error).startswith("request 1, POST /chat/completions")


@pytest.mark.parametrize("where", ["head", "chunk"])
def test_a_wait_beyond_the_read_timeout_times_out(library: str, mode: str, where: str) -> None:
    lib = importlib.import_module(library)
    slow = (CHUNKS[0], Chunk(CHUNKS[1].data, delay=30))
    rep = replay(chat(delay=30) if where == "head" else chat(chunks=slow))
    try:
        got = fetch(library, mode, rep, timeout=10)
    except lib.ReadTimeout:
        assert where == "head"
    else:
        assert isinstance(got.error, lib.ReadTimeout)
        assert got.chunks == [CHUNKS[0].data]
    assert 10 <= rep.clock.elapsed() < 11


def test_http_date_is_rendered_after_virtual_now(library: str, mode: str) -> None:
    rep = replay(chat(headers=(("retry-after", HttpDate(120)),)))
    rep.clock.advance(3600)
    got = fetch(library, mode, rep)
    sent = parsedate_to_datetime(got.headers["retry-after"])
    expected = datetime.fromtimestamp(rep.clock.time() + 120, UTC)
    assert abs((sent - expected).total_seconds()) <= 2


def test_abandoned_stream_is_reported_and_closing_releases_it(library: str, mode: str) -> None:
    lib = importlib.import_module(library)
    rep = replay(chat())
    client_cls = lib.Client if mode == "sync" else lib.AsyncClient
    client = client_cls(transport=transport_for(rep, library), base_url=BASE)
    request = client.build_request("POST", "/chat/completions")
    if mode == "sync":
        response = client.send(request, stream=True)
        chunks = response.iter_raw()  # held: httpx2 closes the response when it is collected
        next(chunks)
        assert [s.index for s in rep.unclosed_streams()] == [0]
        response.close()
    else:

        async def go() -> None:
            response = await client.send(request, stream=True)
            chunks = response.aiter_raw()
            await chunks.__anext__()
            assert [s.index for s in rep.unclosed_streams()] == [0]
            await response.aclose()

        rep.clock.run(go)
    assert rep.unclosed_streams() == []


def test_serving_routes_clients_built_without_a_transport(library: str, mode: str) -> None:
    lib = importlib.import_module(library)
    originals = (lib.Client._init_transport, lib.AsyncClient._init_transport)
    rep = replay(chat())

    def sync_call() -> bytes:
        with lib.Client() as client:
            return bytes(client.post(f"{BASE}/chat/completions").content)

    async def async_call() -> bytes:
        async with lib.AsyncClient() as client:
            return bytes((await client.post(f"{BASE}/chat/completions")).content)

    with no_network(), serving(rep):
        body = sync_call() if mode == "sync" else rep.clock.run(async_call)
    assert body == b"".join(c.data for c in CHUNKS)
    assert rep.log[0].exchange == 0
    assert (lib.Client._init_transport, lib.AsyncClient._init_transport) == originals


def test_serving_ignores_environment_proxies_and_serves_explicit_ones(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard points proxy variables at a closed port (for subprocesses); in-process
    clients build no proxy mounts from them (each would be the replay anyway), and a proxy
    given explicitly is still served."""
    lib = importlib.import_module(library)
    monkeypatch.setenv("HTTPS_PROXY", "http://corporate.invalid:3128")
    rep = replay(chat(), chat())
    with no_network(proxy_env=True), serving(rep):
        with lib.Client() as plain:
            assert not plain._mounts
            plain.post(f"{BASE}/chat/completions").read()
        with lib.Client(proxy="http://proxy.invalid:3128") as proxied:
            assert len(proxied._mounts) == 1
            proxied.post(f"{BASE}/chat/completions").read()
    assert [r.exchange for r in rep.log] == [0, 1]
    with lib.Client() as outside:  # the environment's proxy counts again once serving ends
        assert len(outside._mounts) == 1


def test_serving_left_standing_calls_through_between_blocks(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``stay=True`` (``harness_replay``'s, per test) leaves the patches in place after the
    block: a client built between blocks gets the library's own transport, environment
    proxies and all, its requests go to the library's own method; the next block reuses
    them (no patching anew) and serves; ``lift`` restores the very methods found before."""
    from harness.transport.seams import lift

    lib = importlib.import_module(library)
    seams = (lib.Client._init_transport, lib.AsyncHTTPTransport.handle_async_request)
    sent: list[str] = []

    def own(self: Any, request: Any) -> Any:
        sent.append(str(request.url))
        return lib.Response(204, request=request)

    monkeypatch.setattr(lib.HTTPTransport, "handle_request", own)
    first, second = replay(chat()), replay(chat())
    try:
        with serving(first, stay=True), lib.Client() as client:
            client.post(f"{BASE}/chat/completions").read()
        standing = lib.Client._init_transport
        monkeypatch.setenv("HTTPS_PROXY", "http://corporate.invalid:3128")
        with lib.Client() as between:
            assert type(between._transport) is lib.HTTPTransport
            assert len(between._mounts) == 1  # the environment's proxy counts
            assert between.get("https://example.invalid/").status_code == 204
        with serving(second, stay=True), lib.Client() as client:
            assert lib.Client._init_transport is standing
            client.post(f"{BASE}/chat/completions").read()
    finally:
        lift()
    assert sent == ["https://example.invalid/"]
    assert [r.exchange for r in first.log] == [0] and [r.exchange for r in second.log] == [0]
    assert (lib.Client._init_transport, lib.AsyncHTTPTransport.handle_async_request) == seams
    assert lib.HTTPTransport.handle_request is own  # what was there when they went in


def test_transport_is_built_on_the_base_classes_not_mock_transport(library: str) -> None:
    lib: ModuleType = importlib.import_module(library)
    cls = transport_class(library)
    assert issubclass(cls, lib.BaseTransport) and issubclass(cls, lib.AsyncBaseTransport)
    assert not issubclass(cls, lib.MockTransport)
    assert transport_class(library) is cls
    assert cls.library == library


def test_guard_blocks_connections_naming_host_and_port(library: str) -> None:
    lib = importlib.import_module(library)
    with socket.socket() as sock, no_network():
        attempts: list[Callable[[], object]] = [
            lambda: socket.create_connection(("api.openai.com", 443)),
            lambda: socket.getaddrinfo("api.openai.com", 443),
            lambda: sock.connect(("203.0.113.9", 8080)),
        ]
        for attempt in attempts:
            with pytest.raises(NetworkBlocked, match=r"(api\.openai\.com:443|203\.0\.113\.9:8080)"):
                attempt()
        with pytest.raises(
            lib.ConnectError, match=r"blocked a network connection to api\.openai\.com:443"
        ):
            lib.get("https://api.openai.com/v1/models")


def test_guard_allows_loopback_only_when_asked() -> None:
    before = vars(socket.socket).get("connect")  # a replayed test's standing patch, or none
    with socket.create_server(("127.0.0.1", 0)) as server:
        address = server.getsockname()
        with no_network(), pytest.raises(NetworkBlocked):
            socket.create_connection(address)
        with no_network(allow_loopback=True), socket.create_connection(address):
            pass
    assert vars(socket.socket).get("connect") is before


def test_public_surface_resolves_and_imports_lazily() -> None:
    for name in harness.transport.__all__:  # ruff's RUF022 keeps the list sorted
        assert getattr(harness.transport, name) is not None
    code = (
        "import sys; sys.modules['httpx2'] = None; import harness.transport as t; "
        "assert 'httpx' not in sys.modules; "
        "from harness.dialects.script import Script; "
        "ctx = t.serving(t.Replay(Script(())))\n"
        "with ctx: import httpx; assert httpx.Client()._transport.library == 'httpx'\n"
        "assert t.ReplayTransport is t.transport_class('httpx')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
