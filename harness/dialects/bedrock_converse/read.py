"""Read a Bedrock Converse recording (a ConverseStream event stream, a Converse JSON reply,
and the request's ``system`` + ``messages`` content blocks) into neutral terms.

The binary body is decoded by :func:`decode_stream` into one event per frame: the
``:event-type`` as the event name and the JSON payload as its data; an ``exception`` frame
is the event ``exception`` with ``{"type": <:exception-type>, ...payload}``. A body whose
frames do not decode (a bad CRC, a cut frame) ends with an event whose data is the
decoder's message, so the reading is refused and the body served as recorded.

Content blocks map to parts by ``contentBlockIndex``: ``text`` deltas, ``reasoningContent``
text and signature, ``toolUse`` (its ``contentBlockStart`` names the call, its ``input``
fragments spell the arguments). ``messageStop`` carries the stop reason, ``metadata`` the
usage.
"""

from __future__ import annotations

import json
from typing import Any

from harness.dialects.bedrock_converse.eventstream import EventStreamError, Frame, decode
from harness.dialects.bedrock_converse.synthesize import EXCEPTION_STATUS
from harness.dialects.reading import Reading, as_int, compact, json_events
from harness.dialects.request import ROLES, expected_call
from harness.dialects.sse import SSEEvent
from harness.scenario.model import FinishReason, Message, Usage

__all__ = [
    "EXCEPTION",
    "PER_INTERACTION",
    "STOP_REASONS",
    "decode_stream",
    "read_json",
    "read_messages",
    "read_stream",
    "usage",
]

PER_INTERACTION = True
"""One interaction holds the whole reply."""

EXCEPTION = "exception"
"""The event name an ``exception`` frame is read as."""

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def decode_stream(body: bytes) -> list[SSEEvent] | None:
    """The frames of an event-stream body as events (see the module); None when the body
    does not start with a valid frame prelude (it is not this wire's stream)."""
    try:
        frames = decode(body)
    except EventStreamError as exc:
        if not _starts_with_frame(body):
            return None
        return [*_readable_prefix(body), SSEEvent(event="harness.unreadable", data=str(exc))]
    return [_event(frame) for frame in frames] if frames else None


def _starts_with_frame(body: bytes) -> bool:
    from harness.dialects.bedrock_converse.eventstream import Decoder

    try:
        Decoder().feed(body[:12])
    except EventStreamError:
        return False
    return len(body) >= 12


def _readable_prefix(body: bytes) -> list[SSEEvent]:
    from harness.dialects.bedrock_converse.eventstream import Decoder

    decoder = Decoder()
    out: list[SSEEvent] = []
    for at in range(len(body)):  # frame by frame, until the bad one
        try:
            out += [_event(f) for f in decoder.feed(body[at : at + 1])]
        except EventStreamError:
            break
    return out


def _event(frame: Frame) -> SSEEvent:
    if frame.message_type == "event":
        return SSEEvent(event=frame.event_type, data=frame.payload.decode("utf-8", "replace"))
    payload = frame.json()
    fields = payload if isinstance(payload, dict) else {"message": str(payload)}
    data = {"type": frame.event_type or frame.message_type, **fields}
    return SSEEvent(event=EXCEPTION, data=json.dumps(data, ensure_ascii=False))


def usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    given, produced = as_int(raw.get("inputTokens")), as_int(raw.get("outputTokens"))
    if given is None or produced is None:
        return None
    return Usage(
        input=given,
        output=produced,
        cache_read=as_int(raw.get("cacheReadInputTokens")),
        cache_write=as_int(raw.get("cacheWriteInputTokens")),
    )


def _stop(reading: Reading, reason: Any) -> None:
    if isinstance(reason, str) and reason:
        reading.raw_finish = reason
        reading.finish = STOP_REASONS.get(reason)
        if reading.finish is None:
            reading.note(f"stop reason {reason!r} has no neutral equivalent")


def _error_payload(data: dict[str, Any]) -> dict[str, Any]:
    """An exception frame as an error payload the dialect sends back as the same frame
    (its status as ``code``, so the error's kind is known)."""
    kind = str(data.get("type") or "")
    error: dict[str, Any] = {"type": kind, "message": str(data.get("message") or "")}
    status = EXCEPTION_STATUS.get(kind)
    if status is not None:
        error["code"] = status
    return {"error": error}


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    parts = reading.parts
    calls: set[Any] = set()
    stopped = False
    for event, data in json_events(events, reading):
        kind = event.event
        index = data.get("contentBlockIndex")
        if kind == "contentBlockStart":
            tool = (data.get("start") or {}).get("toolUse")
            if isinstance(tool, dict):
                calls.add(index)
                parts.call(index, tool.get("toolUseId"), tool.get("name"))
        elif kind == "contentBlockDelta":
            delta = data.get("delta") or {}
            if isinstance(delta.get("text"), str):
                parts.text(delta["text"])
            elif isinstance(delta.get("reasoningContent"), dict):
                thinking = delta["reasoningContent"]
                parts.reasoning(thinking.get("text"))
                if isinstance(thinking.get("signature"), str):
                    parts.signature(thinking["signature"])
            elif isinstance(delta.get("toolUse"), dict) and index in calls:
                parts.fragment(index, delta["toolUse"].get("input"))
        elif kind == "messageStop":
            stopped = True
            _stop(reading, data.get("stopReason"))
        elif kind == "metadata":
            reading.usage = usage(data.get("usage"))
        elif kind == EXCEPTION:
            reading.error_payload = _error_payload(data)
    for index in calls:
        if not parts.has_fragments(index):
            parts.final_arguments(index, "{}")
    if not stopped and reading.error_payload is None:
        reading.note("the stream ends without messageStop")


def read_json(obj: Any, reading: Reading) -> None:
    message = ((obj.get("output") or {}).get("message") or {}) if isinstance(obj, dict) else {}
    if not isinstance(message, dict) or "stopReason" not in obj:
        reading.refuse("a 200 JSON body that is not a Converse reply", obj)
        return
    parts = reading.parts
    for n, block in enumerate(message.get("content") or []):
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.text(block["text"])
        elif isinstance(block.get("reasoningContent"), dict):
            text = block["reasoningContent"].get("reasoningText") or {}
            parts.reasoning(text.get("text"), text.get("signature"))
        elif isinstance(block.get("toolUse"), dict):
            tool = block["toolUse"]
            parts.call(n, tool.get("toolUseId"), tool.get("name"))
            given = tool.get("input")
            parts.final_arguments(n, compact(given if isinstance(given, dict) else {}))
        else:
            reading.note(f"content blocks {sorted(block)} have no neutral equivalent (dropped)")
    _stop(reading, obj.get("stopReason"))
    reading.usage = usage(obj.get("usage"))


def _blocks_text(blocks: Any) -> str:
    if not isinstance(blocks, list):
        return ""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block, dict) and isinstance(block.get("json"), dict | list):
            texts.append(compact(block["json"]))
    return "\n".join(t for t in texts if t)


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``system`` blocks and ``messages`` (``toolResult`` blocks become tool
    messages, ``toolUse`` blocks the assistant's calls)."""
    out: list[Message] = []
    system = _blocks_text(body.get("system"))
    if system:
        out.append(Message(role="system", content=system))
    for item in body.get("messages") or []:
        if not isinstance(item, dict):
            continue
        role = ROLES.get(str(item.get("role")), "user")
        blocks = [b for b in item.get("content") or [] if isinstance(b, dict)]
        for block in blocks:
            result = block.get("toolResult")
            if isinstance(result, dict):
                text = _blocks_text(result.get("content"))
                out.append(Message(role="tool", content=text, tool_call_id=result.get("toolUseId")))
        calls = [
            expected_call(
                b["toolUse"].get("toolUseId"), b["toolUse"].get("name"), b["toolUse"].get("input")
            )
            for b in blocks
            if isinstance(b.get("toolUse"), dict)
        ]
        dropped = {k for b in blocks for k in b if k not in ("text", "toolUse", "toolResult")}
        for kind in sorted(dropped):
            notes.append(f"request content of type {kind!r} dropped")
        text = _blocks_text([b for b in blocks if "text" in b])
        if text or calls or not any("toolResult" in b for b in blocks):
            out.append(
                Message(role=role, content=text, tool_calls=calls if role == "assistant" else [])
            )
    return out
