"""What every dialect does the same way: one exchange per attempt, and SSE framing.

A dialect supplies how one error attempt and one reply attempt look on its wire; this
module walks the attempts in order and frames a stream's events (keep-alive comments,
line endings, the space after ``data:``, chunking) as the scenario's ``wire`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from pydantic import JsonValue

from harness.dialects._framing import frame_events
from harness.dialects.chunking import chunk_events
from harness.dialects.script import Chunk, Exchange, Script
from harness.dialects.sse import SSEEvent
from harness.scenario.model import (
    DisconnectAttempt,
    ErrorAttempt,
    HttpError,
    RawAttempt,
    ReplyAttempt,
    ReplyWrapper,
    Scenario,
    StreamFault,
    Wire,
)

__all__ = [
    "DONE",
    "End",
    "apply_data_fault",
    "compile_attempts",
    "disconnect_exchange",
    "encode_data_stream",
    "encode_stream",
    "raw_exchange",
]

DONE = "[DONE]"
"""The terminator of data-only streams (OpenAI chat, the gateway)."""

End = Literal["close", "cut", "stall", "reset"]
"""How a scripted body ends (see :class:`harness.dialects.script.Exchange`)."""


def compile_attempts(
    name: str,
    scenario: Scenario,
    reason: str | None,
    error_exchange: Callable[[Scenario, int, HttpError], Exchange],
    reply_exchange: Callable[[Scenario, int, ReplyAttempt], Exchange],
) -> Script:
    """One exchange per attempt, in order; ``reason`` (from ``supports``) refuses early."""
    if reason is not None:
        raise ValueError(f"{scenario.where()}: cannot synthesize for {name}: {reason}")
    exchanges = []
    for n, attempt in enumerate(scenario.attempts):
        if isinstance(attempt, ErrorAttempt):
            exchanges.append(error_exchange(scenario, n, attempt.error))
        elif isinstance(attempt, DisconnectAttempt):
            exchanges.append(
                disconnect_exchange(error_exchange(scenario, n, HttpError(status=503)))
            )
        elif isinstance(attempt, RawAttempt):
            exchanges.append(
                raw_exchange(error_exchange(scenario, n, HttpError(status=500)), attempt)
            )
        else:
            assert isinstance(attempt, ReplyWrapper)
            exchanges.append(reply_exchange(scenario, n, attempt.reply))
    return Script(
        exchanges=tuple(exchanges),
        source=scenario.where(),
        notes={"dialect": name, "scenario": scenario.id},
    )


def raw_exchange(like: Exchange, attempt: RawAttempt) -> Exchange:
    """The request ``like`` answers, answered with the raw reply's status, headers and
    bytes, unchanged."""
    n = like.label.split(":")[0]
    raw = attempt.raw
    body = raw.body.encode("utf-8")
    return replace(
        like,
        status=raw.status,
        headers=tuple(raw.headers.items()),
        chunks=(Chunk(body),) if body else (),
        end="close",
        label=f"{n}: raw {raw.status}",
    )


def disconnect_exchange(like: Exchange) -> Exchange:
    """The request ``like`` answers, answered by a connection dropped before any byte."""
    n = like.label.split(":")[0]
    return replace(like, status=200, headers=(), chunks=(), end="reset", label=f"{n}: disconnect")


def encode_stream(events: Sequence[SSEEvent], wire: Wire) -> tuple[Chunk, ...]:
    """SSE-encode the events as the wire's framing options say (keep-alive comments
    between events, never after the last; see :mod:`harness.dialects._framing`), then
    chunk."""
    encoded, delays = frame_events(events, wire)
    return chunk_events(encoded, wire.chunking, event_delay=delays)


def apply_data_fault(
    fault: StreamFault | None,
    content: list[str],
    tail: list[str],
    error_data: Callable[[dict[str, JsonValue]], str],
) -> tuple[list[str], End]:
    """Apply a stream fault to a data-only stream: ``content`` (the deltas) and ``tail``
    (finish, usage, ``[DONE]``). Faults count data events from 0, ``[DONE]`` included;
    ``error_data`` renders an in-stream error payload as this wire sends it."""
    events = content + tail
    if fault is None:
        return events, "close"
    if fault.empty:
        return [], "close"
    if fault.terminator_only:
        return [DONE], "close"
    if fault.cut_after is not None:
        return events[: fault.cut_after], "cut"
    if fault.stall_after is not None:
        return events[: fault.stall_after], "stall"
    if fault.truncate_after is not None:
        # A clean end with neither finish chunk nor terminator: at most the content events.
        return content[: fault.truncate_after], "close"
    if fault.error_payload is not None:
        return [*content, error_data(fault.error_payload)], "close"
    if fault.malformed_at is not None:
        at = fault.malformed_at
        if at >= len(events):
            raise ValueError(
                f"malformed_at={at} is past the end of the stream, which has {len(events)} "
                f"data events (0..{len(events) - 1}, [DONE] last)"
            )
        events[at] = events[at][: len(events[at]) // 2]
    return events, "close"


def encode_data_stream(events: Sequence[str], wire: Wire) -> tuple[Chunk, ...]:
    """:func:`encode_stream` for data-only events (OpenAI chat, the gateway)."""
    return encode_stream([SSEEvent(data=data) for data in events], wire)
