"""SSE framing options: the same events, written the other ways the WHATWG rules allow.

A scenario's ``wire`` may ask for JSON spread over several ``data:`` lines, extra ``id:`` /
``retry:`` fields and a field with no colon, events of an unknown type, a comment inside an
event, a UTF-8 BOM, and an undispatched event at EOF. None of them changes what the events
mean (spec: https://html.spec.whatwg.org/multipage/server-sent-events.html), so a correct
client yields exactly what it yields without them; the checks name the option a client
trips on (``harness.checks.wire``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from harness.dialects.sse import SSEEvent, encode_comment, encode_event
from harness.scenario.model import Scenario, Wire

__all__ = [
    "BOM",
    "CHAT_SHAPES",
    "DIALECT_SHAPES",
    "UNKNOWN_EVENT",
    "frame_events",
    "frame_lines",
    "framing_support",
    "ndjson_support",
]

BOM = b"\xef\xbb\xbf"
UNKNOWN_EVENT = SSEEvent(event="harness.unknown", data='{"type":"harness.unknown"}')
"""An event of a type no client knows: the spec dispatches it to nobody listening."""

_EOL = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


CHAT_SHAPES = (
    "tool_index_zero",
    "args_with_finish",
    "usage_repeated",
    "empty_deltas",
    "role_only_first",
    "legacy_function_call",
)
"""Wire options that shape an OpenAI chat stream (other wires have no such chunks)."""

DIALECT_SHAPES = {"pings": "anthropic-messages", "args_without_deltas": "openai-responses"}
"""Wire options that shape one named-event wire's events, and the dialect that has them."""


def framing_support(
    scenario: Scenario, *, named_events: bool, chat: bool = False, dialect: str | None = None
) -> str | None:
    """Why a dialect cannot express the scenario's framing options (None: it can);
    ``dialect`` names the wire whose own shapes (:data:`DIALECT_SHAPES`) it can send."""
    for reply in scenario.replies():
        shapes = [n for n in CHAT_SHAPES if getattr(reply.wire, n)]
        if shapes and not chat:
            return f"{', '.join(shapes)} shape OpenAI chat chunks, which this wire does not have"
        for name, owner in DIALECT_SHAPES.items():
            if getattr(reply.wire, name) and owner != dialect:
                return f"{name} shapes {owner} events, which this wire does not have"
            if getattr(reply.wire, name) and not scenario.request.stream:
                return f"{name} shapes streamed events: it needs a streamed request"
        if reply.wire.choices > 1 and not chat:
            return "several choices (choices > 1) are OpenAI chat's n; this wire has one reply"
        if reply.refusal is not None and not chat:
            return "a refusal is OpenAI chat's refusal delta, which this wire does not carry"
        framing = reply.wire.framing()
        if framing and not scenario.request.stream:
            return f"SSE framing options ({', '.join(framing)}) need a streamed request"
        if reply.wire.unknown_events and not named_events:
            return (
                "a data-only stream has no event types: every event is a chunk the client "
                "must parse, so an unknown event type cannot be expressed"
            )
        if reply.wire.chunking == "crlf_split" and reply.wire.line_ending != "crlf":
            return "chunking crlf_split cuts CRLF line ends: set line_ending: crlf"
    return None


def _multiline(data: str) -> str:
    """The same JSON with a line break between members (outside any string)."""
    try:
        value = json.loads(data)
    except ValueError:
        return data
    if not isinstance(value, dict | list):
        return data
    return json.dumps(value, indent=0, ensure_ascii=False, separators=(",", ":"))


def _encode(event: SSEEvent, wire: Wire, number: int) -> bytes:
    eol = _EOL[wire.line_ending]
    if wire.multiline_data:
        event = SSEEvent(event=event.event, data=_multiline(event.data), id=event.id)
    if wire.extra_fields:
        event = SSEEvent(event=event.event, data=event.data, id=str(number), retry=3000)
    raw = encode_event(event, line_ending=wire.line_ending, data_space=wire.data_space)
    if not (wire.extra_fields or wire.comment_in_event):
        return raw
    lines = raw[: -2 * len(eol)].split(eol)
    extra = []
    if wire.comment_in_event:
        extra.append(b": harness comment inside an event")
    if wire.extra_fields:
        extra.append(b"harness-field-without-colon")
    lines[1:1] = extra
    return eol.join(lines) + eol + eol


def frame_events(events: Sequence[SSEEvent], wire: Wire) -> tuple[list[bytes], list[float]]:
    """The encoded units of one body and the virtual wait before each: the events as the
    wire options frame them, keep-alive comments after every ``keepalive_every`` events
    (never after the last), unknown events, the BOM and the undispatched tail."""
    encoded: list[bytes] = []
    delays: list[float] = []
    for i, event in enumerate(events, start=1):
        if wire.unknown_events and i > 1:
            encoded.append(_encode(UNKNOWN_EVENT, wire, 0))
            delays.append(0.0)
        encoded.append(_encode(event, wire, i))
        delays.append(wire.event_delay)
        if wire.keepalive_every and i % wire.keepalive_every == 0 and i < len(events):
            encoded.append(encode_comment("keep-alive", line_ending=wire.line_ending))
            delays.append(0.0)
    if wire.unterminated_tail and len(events) > 1:
        eol = _EOL[wire.line_ending]
        encoded.append(_encode(events[1], wire, len(events) + 1)[: -len(eol)])
        delays.append(0.0)
    if wire.bom and encoded:
        encoded[0] = BOM + encoded[0]
    return encoded, delays


# --------------------------------------------------------------------------- NDJSON


def ndjson_support(scenario: Scenario) -> str | None:
    """Why a newline-delimited JSON wire (one JSON object per line, no SSE) cannot express
    the scenario's wire options (None: it can). It has line endings (LF, or CRLF, whose CR
    a JSON parser reads as whitespace), chunk boundaries anywhere (mid-line, mid-character)
    and paced lines; none of SSE's fields, comments, keep-alives or BOM."""
    reason = framing_support(scenario, named_events=False)
    if reason is not None:
        return reason
    for reply in scenario.replies():
        wire = reply.wire
        sse = [*wire.framing()]
        if not wire.data_space:
            sse.append("data_space")
        if wire.keepalive_every:
            sse.append("keepalive_every")
        if sse:
            return f"{', '.join(sse)} frame SSE events; an NDJSON stream has none"
        if wire.line_ending == "cr":
            return "NDJSON lines end with LF (or CRLF); a lone CR does not end a line"
    return None


def frame_lines(lines: Sequence[str], wire: Wire) -> tuple[list[bytes], list[float]]:
    """The encoded lines of an NDJSON body (each line ended as ``wire.line_ending`` says)
    and the virtual wait before each, for :func:`~harness.dialects.chunking.chunk_events`."""
    eol = _EOL[wire.line_ending]
    return [line.encode() + eol for line in lines], [wire.event_delay] * len(lines)
