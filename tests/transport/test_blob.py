"""The vcrpy engine: requests, urllib3, http.client and aiohttp clients served from a Script,
each body as one blob, by the same Replay (order, log, misses, clock) as httpx; nothing
reaches the network, and what a blob cannot say is refused, not served differently."""

from __future__ import annotations

import asyncio
import http.client
import urllib.request

import aiohttp
import pytest
import requests
import urllib3

from harness.dialects.script import Chunk, Exchange, Script
from harness.transport.blob import BLOB_ONLY, BlobOnly, blob_limit, serving_blob
from harness.transport.core import Replay, ReplayMiss
from harness.transport.guard import NetworkBlocked, no_network
from harness.transport.seams import restorer

URL = "https://api.openai.com/v1"
JSON = (("content-type", "application/json"),)


def _script(*exchanges: Exchange) -> Script:
    return Script(exchanges=exchanges, source="blob-test")


def _reply(path: str, *parts: bytes, method: str = "POST", status: int = 200) -> Exchange:
    return Exchange(method, path, status=status, headers=JSON, chunks=tuple(map(Chunk, parts)))


def test_requests_is_served_in_order_and_logged() -> None:
    models = _reply("/models", b"[]", method="GET")
    replay = Replay(_script(_reply("/chat", b'{"a":', b" 1}"), models))
    with replay.active(), no_network(), serving_blob(replay):
        first = requests.post(f"{URL}/chat", json={"q": "hi"}, headers={"authorization": "k"})
        second = requests.get(f"{URL}/models")
    assert (first.status_code, first.json(), first.headers["content-type"]) == (
        200,
        {"a": 1},
        "application/json",
    )
    assert second.json() == []
    log = replay.log
    assert [(r.method, r.url, r.body, r.exchange) for r in log] == [
        ("POST", f"{URL}/chat", {"q": "hi"}, 0),
        ("GET", f"{URL}/models", None, 1),
    ]
    assert ("authorization", "k") not in log[0].headers  # masked like every other request
    assert [r.end for r in replay.responses()] == ["complete", "complete"]
    replay.assert_all_served()


def test_urllib3_and_http_client_are_served() -> None:
    replay = Replay(_script(_reply("/a", b"one", method="GET"), _reply("/b", b"two")))
    with replay.active(), no_network(), serving_blob(replay):
        assert urllib3.PoolManager().request("GET", f"{URL}/a").data == b"one"
        sent = urllib.request.Request(f"{URL}/b", data=b'{"x": 2}', method="POST")
        with urllib.request.urlopen(sent) as response:
            assert response.read() == b"two"
    assert [r.body for r in replay.log] == [None, {"x": 2}]


def test_aiohttp_is_served_whole_body_and_streamed() -> None:
    replay = Replay(_script(_reply("/chat", b"data: 1\n\n", b"data: 2\n\n"), _reply("/x", b"{}")))

    async def main() -> tuple[bytes, object]:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{URL}/chat", json={"stream": True}) as response:
                chunks = [c async for c in response.content.iter_any()]
            async with session.post(f"{URL}/x", data=b"{}") as response:
                parsed = await response.json()
        return b"".join(chunks), parsed

    with replay.active(), no_network(), serving_blob(replay, ("aiohttp",)):
        body, parsed = asyncio.run(main())
    assert body == b"data: 1\n\ndata: 2\n\n"
    assert parsed == {}
    assert [(r.path, r.body, r.exchange) for r in replay.log] == [
        ("/v1/chat", {"stream": True}, 0),
        ("/v1/x", {}, 1),
    ]


def test_a_request_off_script_is_a_replay_miss_for_each_library() -> None:
    replay = Replay(_script(_reply("/chat", b"{}")))

    async def off_script() -> None:
        async with aiohttp.ClientSession() as session:
            await session.get(f"{URL}/nope")

    with replay.active(), no_network(), serving_blob(replay):
        with pytest.raises(ReplayMiss, match="does not match the next scripted exchange"):
            requests.get(f"{URL}/models")
        with pytest.raises(ReplayMiss, match="does not match"):
            asyncio.run(off_script())
    assert len(replay.misses) == 2
    assert [r.exchange for r in replay.log] == [None, None]
    with pytest.raises(ReplayMiss):
        replay.assert_all_served()


def test_one_request_too_many_is_a_replay_miss() -> None:
    replay = Replay(_script(_reply("/chat", b"{}")))
    with replay.active(), no_network(), serving_blob(replay):
        requests.post(f"{URL}/chat")
        with pytest.raises(ReplayMiss, match="Unexpected extra request"):
            requests.post(f"{URL}/chat")


def test_the_log_is_on_the_replays_clock() -> None:
    replay = Replay(_script(_reply("/a", b"1"), _reply("/b", b"2")))
    with replay.active(), no_network(), serving_blob(replay):
        requests.post(f"{URL}/a")
        replay.clock.advance(7.5)
        requests.post(f"{URL}/b")
    assert [r.at for r in replay.log] == [0.0, 7.5]


def test_libraries_not_served_are_blocked_by_the_guard() -> None:
    replay = Replay(_script(_reply("/chat", b"{}")))
    only_aiohttp = serving_blob(replay, ("aiohttp",))
    with (
        replay.active(),
        no_network(),
        only_aiohttp,
        pytest.raises(requests.ConnectionError) as caught,
    ):
        requests.post(f"{URL}/chat", timeout=5)
    message = str(caught.value)
    assert "harness blocked a network connection to api.openai.com" in message
    assert "requests client was not served" in message  # why, and the line to change
    assert "served (through vcrpy, each body as one blob) inside harness_replay" in message
    assert "Fix: call the adapter inside the test that takes harness_replay" in message
    assert replay.log == []


def test_outside_serving_nothing_reaches_the_network() -> None:
    with no_network():
        with pytest.raises(requests.ConnectionError, match="harness blocked"):
            requests.get(f"{URL}/models", timeout=5)
        with pytest.raises(NetworkBlocked):
            http.client.HTTPSConnection("api.openai.com").connect()


def test_patches_are_undone_on_exit_and_by_the_restorer() -> None:
    original = aiohttp.ClientSession._request
    pool_class = urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls
    replay = Replay(_script())
    with serving_blob(replay):
        assert aiohttp.ClientSession._request is not original
        assert urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls is not pool_class
    assert aiohttp.ClientSession._request is original
    assert urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls is pool_class
    restore = restorer()
    left_open = serving_blob(replay)
    left_open.__enter__()  # an adapter ended by its budget never exits its block
    assert aiohttp.ClientSession._request is not original
    restore()
    assert aiohttp.ClientSession._request is original
    assert urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls is pool_class


@pytest.mark.parametrize(
    ("exchange", "why"),
    [
        (Exchange("POST", "/chat", chunks=(Chunk(b"x"),), end="cut"), "is cut mid-body"),
        (Exchange("POST", "/chat", chunks=(Chunk(b"x"),), end="stall"), "stalls"),
        (Exchange("POST", "/chat", end="reset"), "drops the connection"),
        (Exchange("POST", "/chat", chunks=(Chunk(b"x"),), delay=2.0), "waits 2s"),
        (Exchange("POST", "/chat", chunks=(Chunk(b"x"), Chunk(b"y", delay=1.0))), "paces"),
    ],
)
def test_what_a_blob_cannot_say_is_refused(exchange: Exchange, why: str) -> None:
    script = _script(exchange)
    limit = blob_limit(script)
    assert limit is not None and limit.startswith(BLOB_ONLY) and why in limit
    replay = Replay(script)
    with replay.active(), no_network(), serving_blob(replay), pytest.raises(BlobOnly):
        requests.post(f"{URL}/chat")
    assert isinstance(replay.misses[0], BlobOnly)


def test_a_plain_script_has_no_blob_limit() -> None:
    script = _script(_reply("/chat", b"a", b"b"), _reply("/chat", b"c", status=429))
    assert blob_limit(script) is None


def test_unknown_library_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown libraries"):
        serving_blob(Replay(_script()), ("httpx",)).__enter__()


def _blob_seams() -> tuple[object, ...]:
    import urllib3.connection
    import urllib3.connectionpool

    pool = urllib3.connectionpool.HTTPSConnectionPool
    return (
        http.client.HTTPSConnection,
        urllib3.connection.HTTPSConnection,
        pool.ConnectionCls,
        vars(pool).get("_get_conn"),
        aiohttp.ClientSession._request,
    )


def test_no_patch_outlives_the_block_even_one_never_undone_inside_it() -> None:
    original = _blob_seams()
    outer, inner = Replay(_script(_reply("/a", b"1"))), Replay(_script(_reply("/a", b"2")))
    with pytest.raises(RuntimeError, match="the test failed"), serving_blob(outer):
        nested = serving_blob(inner)  # a driver's block whose generator is never closed
        nested.__enter__()
        assert requests.post(f"{URL}/a").content == b"2"  # the innermost replay serves
        assert _blob_seams() != original
        raise RuntimeError("the test failed")
    assert _blob_seams() == original
    assert [len(outer.log), len(inner.log)] == [0, 1]


def test_a_block_closed_late_changes_nothing() -> None:
    original = _blob_seams()
    outer, inner = Replay(_script()), Replay(_script(_reply("/a", b"2")))
    with serving_blob(outer):
        late = serving_blob(inner)  # an adapter's generator, finalized after the test
        late.__enter__()
    assert _blob_seams() == original
    late.__exit__(None, None, None)  # would put the outer block's stubs back
    assert _blob_seams() == original


def test_a_stale_block_closed_late_leaves_the_open_one_serving() -> None:
    original = _blob_seams()
    first, second = Replay(_script()), Replay(_script(_reply("/a", b"2")))
    put_back = restorer()  # what the runner does around each cell
    stale = serving_blob(first)  # a cell whose adapter never closed its generator
    stale.__enter__()
    put_back()
    with no_network(), serving_blob(second):  # the next cell
        stale.__exit__(None, None, None)  # the first cell's generator, finalized now
        assert requests.post(f"{URL}/a").content == b"2"
    assert _blob_seams() == original
    assert [len(first.log), len(second.log)] == [0, 1]


def test_nested_blocks_unwind_to_the_outer_replay() -> None:
    outer, inner = Replay(_script(_reply("/a", b"1"))), Replay(_script(_reply("/a", b"2")))
    with no_network(), serving_blob(outer):
        with serving_blob(inner):
            assert requests.post(f"{URL}/a").content == b"2"
        assert requests.post(f"{URL}/a").content == b"1"
    assert [len(outer.log), len(inner.log)] == [1, 1]


def test_a_patch_put_over_a_seam_between_blocks_is_served_around_and_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks reuse the patchers built for the first one while vcrpy's seams are as found
    then; another tool's patch over a seam since (here aiohttp's ``_request``) sends the next
    block the long way: it still serves, and leaves that patch in place on exit."""
    with serving_blob(Replay(_script())):  # builds (or reuses) the patchers
        pass
    original = _blob_seams()

    async def theirs(*args: object, **kwargs: object) -> None:
        raise AssertionError("another tool's patch answered")

    monkeypatch.setattr(aiohttp.ClientSession, "_request", theirs)
    replay = Replay(_script(_reply("/a", b"2")))
    with no_network(), serving_blob(replay):
        assert aiohttp.ClientSession._request is not theirs
        assert requests.post(f"{URL}/a").content == b"2"
    assert aiohttp.ClientSession._request is theirs
    monkeypatch.undo()
    assert _blob_seams() == original
    with no_network(), serving_blob(Replay(_script(_reply("/b", b"3")))):  # as found again
        assert requests.post(f"{URL}/b").content == b"3"
    assert _blob_seams() == original
