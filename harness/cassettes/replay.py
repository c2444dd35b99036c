"""Cassette -> Script (and back): what the replay transport serves for a recording.

A harness cassette replays read by read, each chunk after the delay the recording measured,
on the virtual clock (``Chunk(data, delay=offset delta)``, the head after ``latency``). Any
cassette can instead be re-cut with a :data:`~harness.scenario.model.Chunking` (``per_event`` cuts
after each SSE event, keeping the recorded timing of each event's last byte), and a foreign
cassette without chunks replays as one blob, as vcrpy does, unless re-cut.

Served headers are the recorded ones minus what no longer describes the served body:
``Content-Length`` (pretty-printing recorders change the length), ``Transfer-Encoding``,
``Connection`` and ``Content-Encoding`` (bodies are served decoded). A missing
``Content-Type`` (recorders that strip every header) is inferred from the body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import accumulate
from urllib.parse import urlencode

from harness.cassettes.model import (
    Cassette,
    Interaction,
    RecordedChunk,
    RecordedRequest,
    RecordedResponse,
)
from harness.cassettes.patterns import is_secret_param
from harness.cassettes.wire import decoded_body, is_ndjson, is_sse, ndjson_lines, sse_blocks
from harness.dialects.chunking import chunk_events
from harness.dialects.script import Chunk, Exchange, HttpDate, Script
from harness.scenario.model import Chunking, Scenario
from harness.transport.clock import Clock
from harness.transport.core import Replay

__all__ = ["cassette_replay", "cassette_script", "exchange_for", "script_cassette"]

_DROPPED = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
)


def cassette_script(
    cassette: Cassette,
    *,
    chunking: Chunking | None = None,
    timing: bool = True,
    only: Sequence[int] | None = None,
) -> Script:
    """The Script serving ``cassette`` in order.

    ``chunking=None`` keeps the recorded reads (one blob for foreign cassettes); any other
    value re-cuts each body, per SSE event first. ``timing=False`` drops recorded delays.
    ``only`` picks interactions by index (e.g. just the streamed ones).
    """
    chosen = [i for i in cassette.interactions if only is None or i.index in only]
    exchanges = tuple(
        exchange_for(i, cassette.source, chunking=chunking, timing=timing) for i in chosen
    )
    return Script(
        exchanges,
        source=cassette.source,
        notes={"cassette": cassette.source, "format": cassette.format},
    )


def cassette_replay(
    cassette: Cassette,
    clock: Clock | None = None,
    *,
    chunking: Chunking | None = None,
    timing: bool = True,
) -> Replay:
    """A Replay of ``cassette`` on ``clock`` (options as for :func:`cassette_script`)."""
    return Replay(cassette_script(cassette, chunking=chunking, timing=timing), clock)


def _required_query(request: RecordedRequest) -> str:
    """The recorded query minus credentials (recorded redacted; the client sends its own)."""
    kept = [(k, v) for k, v in request.query if not is_secret_param(k)]
    return urlencode(kept)


def _headers(interaction: Interaction, body: bytes) -> tuple[tuple[str, str], ...]:
    response = interaction.response
    kept = tuple((k, v) for k, v in response.headers if k.lower() not in _DROPPED)
    if response.header("content-type") is None and body:
        if is_sse(interaction, body):
            kept += (("content-type", "text/event-stream"),)
        elif response.json() is not None or _is_json(body):
            kept += (("content-type", "application/json"),)
    return kept


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def exchange_for(
    interaction: Interaction,
    source: str = "",
    *,
    chunking: Chunking | None = None,
    timing: bool = True,
) -> Exchange:
    """One interaction as a scripted exchange."""
    response = interaction.response
    body = decoded_body(response)
    recorded = response.chunks is not None and body == response.body
    if chunking is None and recorded:
        assert response.chunks is not None
        chunks = _recorded(response.chunks, timing)
    elif chunking is None:
        chunks = (Chunk(body),) if body else ()
    else:
        if is_sse(interaction, body):
            events = sse_blocks(body)
        else:
            events = ndjson_lines(body) if is_ndjson(interaction, body) else [body]
        delays = _event_delays(events, response.chunks) if timing and recorded else 0.0
        chunks = chunk_events(events, chunking, event_delay=delays)
    query = _required_query(interaction.request)
    path = interaction.request.path + (f"?{query}" if query else "")
    return Exchange(
        method=interaction.request.method,
        path=path,
        status=response.status,
        headers=_headers(interaction, body),
        chunks=chunks,
        end="cut" if response.end == "cut" else "close",
        delay=(response.latency or 0.0) if timing else 0.0,
        label=f"recorded {interaction.where(source)}",
    )


def _recorded(chunks: Sequence[RecordedChunk], timing: bool) -> tuple[Chunk, ...]:
    out: list[Chunk] = []
    previous = 0.0
    for chunk in chunks:
        delay = max(0.0, chunk.offset - previous) if timing else 0.0
        previous = max(previous, chunk.offset)
        if chunk.data:
            out.append(Chunk(chunk.data, delay))
    return tuple(out)


def _event_delays(events: Sequence[bytes], chunks: Sequence[RecordedChunk] | None) -> list[float]:
    """Per event: the wait until the read that completed it, after the previous event's."""
    if not chunks:
        return [0.0] * len(events)
    ends = list(accumulate(len(c.data) for c in chunks))
    delays: list[float] = []
    position, previous, read = 0, 0.0, 0
    for event in events:
        position += len(event)
        while read < len(ends) - 1 and ends[read] < position:
            read += 1
        arrived = chunks[read].offset
        delays.append(max(0.0, arrived - previous))
        previous = max(previous, arrived)
    return delays


# --------------------------------------------------------------------------- scenario -> cassette


def script_cassette(script: Script, base_url: str, scenario: Scenario | None = None) -> Cassette:
    """A harness cassette of a synthesized script (each exchange becomes an interaction whose
    chunks keep the scripted delays as offsets), so a scenario can be handed to vcrpy users."""
    body = None
    if scenario is not None:
        request = scenario.request
        body = json.dumps(
            {
                "model": request.model,
                "messages": [m.model_dump(exclude_defaults=True) for m in request.messages],
                "stream": request.stream,
            }
        ).encode()
    interactions = []
    for n, exchange in enumerate(script.exchanges):
        offsets = list(accumulate(c.delay for c in exchange.chunks))
        headers = tuple(
            (k, str(round(v.seconds)) if isinstance(v, HttpDate) else v)
            for k, v in exchange.headers
        )
        response = RecordedResponse(
            status=exchange.status,
            reason="",
            headers=headers,
            body=exchange.body,
            chunks=tuple(
                RecordedChunk(o, c.data) for o, c in zip(offsets, exchange.chunks, strict=True)
            ),
            latency=exchange.delay,
            end="cut" if exchange.end == "cut" else "close",
        )
        uri = base_url.rstrip("/") + "/" + exchange.path.lstrip("/")
        request_headers = (("content-type", "application/json"),) if body else ()
        interactions.append(
            Interaction(
                RecordedRequest(exchange.method, uri, request_headers, body), response, index=n
            )
        )
    return Cassette(tuple(interactions), source=script.source, format="harness")
