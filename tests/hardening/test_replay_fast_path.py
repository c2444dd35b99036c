"""The replay's fast path (benchmarks/replay.py) changes nothing a client or check can see:
records built when the log is first read equal the requests as sent, chunks arrive one per
read with their delays on the virtual clock, and a timer due during a delay still fires."""

from __future__ import annotations

import asyncio

import httpx

from harness.dialects.script import Chunk, Exchange, Script
from harness.transport import Replay, transport_for

EVENTS = [f"data: {i}\n\n".encode() for i in range(5)]


def _replay(*delays: float) -> Replay:
    chunks = tuple(Chunk(e, d) for e, d in zip(EVENTS, delays, strict=False))
    exchange = Exchange("POST", "/v1/chat/completions", chunks=chunks)
    return Replay(Script((exchange, exchange)))


def test_the_log_is_built_when_read_and_stays_one_list() -> None:
    replay = _replay()
    client = httpx.Client(transport=transport_for(replay), base_url="https://x.invalid/v1")
    client.post("/chat/completions", json={"model": "m"}, headers={"Authorization": "Bearer k"})
    log = replay.log
    assert [r.body for r in log] == [{"model": "m"}]
    assert log[0].headers["authorization"] == "Bearer ***"
    assert log[0].headers["content-type"] == "application/json"
    client.post("/chat/completions?key=secret", content=b"not json")
    assert replay.log is log and len(log) == 2
    assert log[1].body == "not json" and log[1].url.endswith("?key=***")
    assert log[0].at <= log[1].at and [r.exchange for r in log] == [0, 1]


def test_async_reads_are_one_chunk_each_with_their_delays() -> None:
    replay = _replay(0.0, 2.5, 0.0, 0.0, 1.0)
    fired: list[float] = []

    async def go() -> list[tuple[bytes, float]]:
        async def timer() -> None:
            await asyncio.sleep(2.0)
            fired.append(replay.clock.elapsed())

        task = asyncio.ensure_future(timer())
        reads: list[tuple[bytes, float]] = []
        url = "https://x.invalid/v1/chat/completions"
        async with (
            httpx.AsyncClient(transport=transport_for(replay)) as client,
            client.stream("POST", url) as response,
        ):
            async for chunk in response.aiter_raw():
                reads.append((chunk, replay.clock.elapsed()))
        await task
        return reads

    reads = replay.clock.run(go)
    assert [c for c, _ in reads] == EVENTS
    assert [int(t * 10) for _, t in reads] == [0, 25, 25, 25, 35]  # + real microseconds
    assert fired and 2.0 <= fired[0] < 3.0  # the timer fired during the 2.5 s delay
    assert replay.unclosed_streams() == []
