"""What every dialect does the same way: one exchange per attempt, and SSE framing.

A dialect supplies how one error attempt and one reply attempt look on its wire; this
module walks the attempts in order and frames a stream's events (keep-alive comments,
line endings, the space after ``data:``, chunking) as the scenario's ``wire`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.chunking import chunk_events
from harness.scenario import ErrorAttempt, HttpError, ReplyAttempt, ReplyWrapper, Scenario, Wire
from harness.script import Chunk, Exchange, Script
from harness.sse import SSEEvent, encode_comment, encode_event

__all__ = ["compile_attempts", "encode_stream"]


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
        else:
            assert isinstance(attempt, ReplyWrapper)
            exchanges.append(reply_exchange(scenario, n, attempt.reply))
    return Script(
        exchanges=tuple(exchanges),
        source=scenario.where(),
        notes={"dialect": name, "scenario": scenario.id},
    )


def encode_stream(events: Sequence[SSEEvent], wire: Wire) -> tuple[Chunk, ...]:
    """SSE-encode the events, with a ``: keep-alive`` comment after every
    ``wire.keepalive_every`` events (between events, never after the last), then chunk."""
    encoded: list[bytes] = []
    delays: list[float] = []
    for i, event in enumerate(events, start=1):
        encoded.append(
            encode_event(event, line_ending=wire.line_ending, data_space=wire.data_space)
        )
        delays.append(wire.event_delay)
        if wire.keepalive_every and i % wire.keepalive_every == 0 and i < len(events):
            encoded.append(encode_comment("keep-alive", line_ending=wire.line_ending))
            delays.append(0.0)
    return chunk_events(encoded, wire.chunking, event_delay=delays)
