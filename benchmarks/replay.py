"""Replay overhead: one streamed chat completion through ``httpx.AsyncClient`` per tool.

Every tool serves the same 225 events (``benchmarks.stream``) to the same request, read
with ``aiter_lines`` as SDKs do. The floor is the least any replay can do: a custom
``AsyncBaseTransport`` yielding the pre-built chunks. The others are what users pick instead:
``httpx.MockTransport``, respx (its default httpcore-level mock), pytest-httpx (its
``HTTPXMock`` used programmatically: the fixture's two patches of ``AsyncHTTPTransport``
applied by hand, one response registered and re-sent) and vcrpy (a cassette holding the
body, in ``record_mode="none"``). Setup (client, mock, cassette) happens outside the timed
part; each round times a batch of requests per tool, tools in a shuffled order, and the
ratio to the floor is taken within the round, so drift between rounds cancels. A round
sweeps the tools three times and keeps each tool's best batch; every batch starts from a
fresh collection (``gc.collect()``), so no tool pays for another's garbage.

A second pass counts the chunks each tool delivered (``aiter_raw``): chunk fidelity is the
point of a replay transport, and a tool that hands over one blob is faster for a reason.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks import Row, median, ratio_text, spread, verdict
from benchmarks.stream import PATH, URL, body, events

__all__ = ["FLOOR", "TOOLS", "measure", "run"]

HEADERS = (("content-type", "text/event-stream; charset=utf-8"),)
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
GOAL = 1.05
ANCHORS = {"respx": 1.17, "pytest-httpx": 1.15}
"""Ratios to the floor measured for DESIGN.md on the same kind of machine."""


class _Chunks(httpx.AsyncByteStream):
    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        for chunk in events():
            yield chunk


def _response(request: httpx.Request | None = None) -> httpx.Response:
    return httpx.Response(200, headers=HEADERS, stream=_Chunks(), request=request)


class FloorTransport(httpx.AsyncBaseTransport):
    """The least a replay can do: the pre-built chunks, one per read."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return _response(request)


# --------------------------------------------------------------------------- per-tool setup

Setup = Callable[[int], AbstractContextManager[httpx.AsyncClient]]
"""Given how many requests will be sent, a context giving a client that replays them."""


@contextmanager
def _floor(n: int) -> Iterator[httpx.AsyncClient]:
    yield httpx.AsyncClient(transport=FloorTransport())


@contextmanager
def _harness(n: int) -> Iterator[httpx.AsyncClient]:
    from harness.dialects.script import Chunk, Exchange, Script
    from harness.transport import Replay, transport_for

    exchange = Exchange(
        "POST", PATH, 200, headers=HEADERS, chunks=tuple(Chunk(e) for e in events())
    )
    replay = Replay(Script((exchange,) * n, source="benchmark"))
    yield httpx.AsyncClient(transport=transport_for(replay))


@contextmanager
def _harness_log(n: int) -> Iterator[httpx.AsyncClient]:
    """The harness transport with its request log read after every response, as the
    runner reads it: records (masked headers, parsed body) are built when first read."""
    from harness.dialects.script import Chunk, Exchange, Script
    from harness.transport import Replay, transport_for

    exchange = Exchange(
        "POST", PATH, 200, headers=HEADERS, chunks=tuple(Chunk(e) for e in events())
    )
    replay = Replay(Script((exchange,) * n, source="benchmark"))

    async def read_log(response: httpx.Response) -> None:
        assert replay.log

    yield httpx.AsyncClient(transport=transport_for(replay), event_hooks={"response": [read_log]})


@contextmanager
def _mock_transport(n: int) -> Iterator[httpx.AsyncClient]:
    yield httpx.AsyncClient(transport=httpx.MockTransport(_response))


@contextmanager
def _respx(n: int) -> Iterator[httpx.AsyncClient]:
    import respx

    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=_response)
        yield httpx.AsyncClient()


@contextmanager
def _pytest_httpx(n: int) -> Iterator[httpx.AsyncClient]:
    """What the ``httpx_mock`` fixture does, without pytest: patch, register, serve."""
    from pytest_httpx import HTTPXMock, IteratorStream
    from pytest_httpx._options import _HTTPXMockOptions

    mock = HTTPXMock(
        _HTTPXMockOptions(
            can_send_already_matched_responses=True, assert_all_responses_were_requested=False
        )
    )
    mock.add_callback(
        lambda request: httpx.Response(200, headers=HEADERS, stream=IteratorStream(events())),
        url=URL,
        method="POST",
    )
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def handle(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> Any:
        return await mock._handle_async_request(transport, request)

    httpx.AsyncHTTPTransport.handle_async_request = handle  # type: ignore[method-assign,assignment]
    try:
        yield httpx.AsyncClient()
    finally:
        httpx.AsyncHTTPTransport.handle_async_request = real  # type: ignore[method-assign]


@contextmanager
def _vcrpy(n: int) -> Iterator[httpx.AsyncClient]:
    import vcr
    import yaml

    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": URL,
                    "body": None,
                    "headers": {"content-type": ["application/json"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": [HEADERS[0][1]]},
                    "body": {"string": body().decode()},
                },
            }
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.yaml"
        path.write_text(yaml.safe_dump(cassette), encoding="utf-8")
        recorder = vcr.VCR(record_mode="none", match_on=["method", "uri"])
        with recorder.use_cassette(str(path), allow_playback_repeats=True):
            yield httpx.AsyncClient()


TOOLS: dict[str, Setup] = {
    "floor (custom AsyncBaseTransport)": _floor,
    "harness ReplayTransport": _harness,
    "harness ReplayTransport, log read": _harness_log,
    "httpx.MockTransport": _mock_transport,
    "respx": _respx,
    "pytest-httpx": _pytest_httpx,
    "vcrpy (cassette)": _vcrpy,
}
FLOOR = "floor (custom AsyncBaseTransport)"


# --------------------------------------------------------------------------- measuring


async def _lines(client: httpx.AsyncClient) -> int:
    async with client.stream("POST", URL, json=REQUEST) as response:
        return len([line async for line in response.aiter_lines() if line])


async def _chunks(client: httpx.AsyncClient) -> int:
    async with client.stream("POST", URL, json=REQUEST) as response:
        return len([chunk async for chunk in response.aiter_raw()])


async def _batch(
    setup: Setup, n: int, work: Callable[[httpx.AsyncClient], Awaitable[int]]
) -> float:
    """CPU seconds per request over ``n`` requests, setup excluded.

    CPU time of this thread (``time.thread_time``), not wall time: on a shared machine
    other processes stretch wall time by tens of percent from one batch to the next,
    while the work a replay does shows in CPU time. All of it is CPU work: no I/O."""
    with setup(n + 1) as client:
        async with client:
            assert await work(client) > 0  # warm: first-request costs are not replay costs
            gc.collect()  # every batch starts from the same collector state
            started = time.thread_time()
            for _ in range(n):
                await work(client)
            return (time.thread_time() - started) / n


async def _measure(
    rounds: int, n: int, sweeps: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per tool, its seconds per request and its ratio to the floor, one of each per round.

    A round is ``sweeps`` passes over the tools (in the round's shuffled order), a batch of
    ``n`` requests each; a tool's time in the round is its least disturbed batch (the
    minimum: another process, a collection or a migration only ever adds time), so the
    ratio compares the floor and each tool at their best within the same few seconds."""
    seconds: dict[str, list[float]] = {name: [] for name in TOOLS}
    ratios: dict[str, list[float]] = {name: [] for name in TOOLS}
    order = list(TOOLS)
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)
        this = {name: math.inf for name in order}
        for _ in range(sweeps):
            for name in order:
                this[name] = min(this[name], await _batch(TOOLS[name], n, _lines))
        for name, value in this.items():
            seconds[name].append(value)
            ratios[name].append(value / this[FLOOR])
    return seconds, ratios


async def _count_chunks() -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, setup in TOOLS.items():
        with setup(1) as client:
            async with client:
                counts[name] = await _chunks(client)
    return counts


def measure(*, rounds: int, n: int, sweeps: int = 1) -> dict[str, tuple[float, list[float], int]]:
    """Per tool: median seconds per request, its ratio to the floor in each round, chunks
    delivered."""

    async def main() -> dict[str, tuple[float, list[float], int]]:
        seconds, ratios = await _measure(rounds, n, sweeps)
        counts = await _count_chunks()
        return {name: (median(seconds[name]), ratios[name], counts[name]) for name in TOOLS}

    return asyncio.run(main())


def run(quick: bool) -> list[Row]:
    results = measure(rounds=3 if quick else 25, n=5 if quick else 20, sweeps=1 if quick else 3)
    rows: list[Row] = []
    size = len(body())
    for name, (seconds, ratios, chunks) in results.items():
        ratio = median(ratios)
        goal, result = "", ""
        if name == "harness ReplayTransport":
            ok = ratio <= GOAL and chunks == len(events())
            goal = f"<= {GOAL:.2f}x the floor, one chunk per event"
            result = verdict(ok)
        note = f"{chunks} chunk{'s' if chunks != 1 else ''}"
        if name != FLOOR:
            note += f"; ratio min / median / max of {len(ratios)} rounds: {spread(ratios)}"
        if name in ANCHORS:
            note += f"; anchor {ANCHORS[name]:.2f}x"
        rows.append(
            Row(
                benchmark=f"replay {len(events())} events / {size / 1000:.0f} KB (aiter_lines)",
                subject=name,
                measured=f"{seconds * 1e6:.0f} µs/request",
                ratio=ratio_text(ratio),
                note=note,
                goal=goal,
                result=result,
            )
        )
    return rows
