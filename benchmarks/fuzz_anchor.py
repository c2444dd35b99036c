"""The anchor of the fuzz rate: the Hypothesis loop a user would write by hand.

One ``@given`` test (same Hypothesis settings as ``harness fuzz``: no database, no
deadline, a fixed seed, generate phase) draws a streamed chat reply (up to four text parts
of up to six deltas each, any unicode, a finish reason, optional usage), serves it per
event through an ``httpx.MockTransport`` to ``openai.AsyncOpenAI`` and asserts the
concatenated deltas. The event loop and the client are made once and reused for every
example: no isolation between examples, no virtual clock, no checks but the one assert.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["anchor_rate"]


def anchor_rate(examples: int, seed: int, clock: Callable[[], float] = time.process_time) -> float:
    """Examples per CPU second of the hand-written loop (one run of ``examples``), or per
    second of ``clock`` (``time.perf_counter``: wall time)."""
    import httpx
    import hypothesis.strategies as st
    import openai
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    body: list[bytes] = []
    runs = [0]

    class Events(httpx.AsyncByteStream):
        def __init__(self, chunks: list[bytes]) -> None:
            self.chunks = chunks

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=Events(list(body)))

    loop = asyncio.new_event_loop()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = openai.AsyncOpenAI(
        base_url="https://anchor.invalid/v1", api_key="sk-x", http_client=http
    )

    async def ask() -> str:
        stream = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        out = []
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    out.append(choice.delta.content)
        return "".join(out)

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
        payload: dict[str, Any] = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if usage is not None:
            payload["usage"] = usage
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    parts = st.lists(st.lists(st.text(max_size=24), min_size=1, max_size=6), max_size=4)
    usages = st.none() | st.fixed_dictionaries(
        {"prompt_tokens": st.integers(0, 100_000), "completion_tokens": st.integers(0, 100_000)}
    )

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),
    )
    @hypothesis_seed(seed)
    @given(parts, st.sampled_from(["stop", "length", "content_filter"]), usages)
    def example(texts: list[list[str]], finish: str, usage: dict[str, int] | None) -> None:
        deltas = [d for part in texts for d in part]
        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({"content": d}) for d in deltas]
        chunks.append(chunk({}, finish))
        if usage is not None:
            usage = {**usage, "total_tokens": sum(usage.values())}
            chunks.append(chunk(None, usage=usage))  # type: ignore[arg-type]
        chunks.append(b"data: [DONE]\n\n")
        body[:] = chunks
        runs[0] += 1
        assert loop.run_until_complete(ask()) == "".join(deltas)

    try:
        started = clock()
        example()
        return runs[0] / (clock() - started)
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        # its thread joined: a harness fuzz --workers round after it may fork (no thread)
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
