"""Read a Gemini API recording (``generateContent``, ``streamGenerateContent`` with
``alt=sse`` or as one JSON array, and the request's ``contents``) into neutral terms.

Every stream event (or array item) is a whole ``GenerateContentResponse``: its
``candidates[0].content.parts`` are read in order (``text``; ``thought: true`` text as
reasoning; each ``functionCall`` a whole call), the last ``finishReason`` and the last
``usageMetadata`` count (Gemini repeats the usage, cumulative, on every chunk). ``STOP``
with function calls is the neutral ``tool_calls``. Code execution parts, inline data and
thought signatures have no neutral equivalent (noted). A ``{"error": {...}}`` event is the
stream's in-stream failure.
"""

from __future__ import annotations

from typing import Any

from harness.dialects.reading import Reading, as_int, compact, json_events
from harness.dialects.request import expected_call
from harness.dialects.sse import SSEEvent
from harness.scenario.model import FinishReason, Message, Usage

__all__ = [
    "FINISH_REASONS",
    "PER_INTERACTION",
    "finish_reason",
    "read_json",
    "read_messages",
    "read_stream",
    "usage",
]

PER_INTERACTION = True
"""One interaction holds the whole reply."""

FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
}
"""Gemini ``finishReason`` values in the harness vocabulary (``STOP`` with function calls
is ``tool_calls``: :func:`finish_reason`)."""


def finish_reason(raw: str, calls: bool) -> FinishReason | None:
    """The neutral finish of a ``finishReason`` (None: no equivalent); ``calls`` says the
    reply holds function calls, which Gemini ends with ``STOP``."""
    reason = FINISH_REASONS.get(raw)
    return "tool_calls" if reason == "stop" and calls else reason


def usage(raw: Any) -> Usage | None:
    """Usage from ``usageMetadata`` (output: the candidates' tokens, thoughts excluded)."""
    if not isinstance(raw, dict):
        return None
    given, produced = as_int(raw.get("promptTokenCount")), as_int(raw.get("candidatesTokenCount"))
    if given is None:
        return None
    return Usage(
        input=given,
        output=produced or 0,
        cache_read=as_int(raw.get("cachedContentTokenCount")),
    )


class _Reader:
    """One reply's chunks, read in order."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.calls = 0
        self.raw_finish: str | None = None

    def chunk(self, obj: dict[str, Any]) -> None:
        reading = self.reading
        parts = reading.parts
        candidates = obj.get("candidates") or []
        candidate = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
        if len(candidates) > 1:
            reading.note("only the first candidate is read")
        content = candidate.get("content") or {}
        for part in content.get("parts") or [] if isinstance(content, dict) else []:
            if not isinstance(part, dict):
                continue
            call = part.get("functionCall")
            if isinstance(call, dict):
                key = self.calls
                self.calls += 1
                parts.call(key, call.get("id"), call.get("name"))
                args = call.get("args")
                parts.final_arguments(key, compact(args if isinstance(args, dict) else {}))
            elif isinstance(part.get("text"), str):
                if part.get("thought"):
                    parts.reasoning(part["text"])
                else:
                    parts.text(part["text"])
            else:
                kinds = sorted(k for k in part if k not in ("thoughtSignature", "thought"))
                if kinds:
                    reading.note(f"{', '.join(kinds)} parts have no neutral equivalent (dropped)")
            if part.get("thoughtSignature"):
                reading.note("thought signatures have no neutral equivalent (dropped)")
        raw = candidate.get("finishReason")
        if isinstance(raw, str) and raw:
            self.raw_finish = raw
        counted = usage(obj.get("usageMetadata"))
        if counted is not None:
            reading.usage = counted
        feedback = obj.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            self.raw_finish = self.raw_finish or str(feedback["blockReason"])

    def done(self) -> None:
        raw = self.raw_finish
        if raw is None:
            return
        self.reading.raw_finish = raw
        self.reading.finish = finish_reason(raw, self.reading.parts.has_calls())
        if self.reading.finish is None:
            self.reading.note(f"finish reason {raw!r} has no neutral equivalent")


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    reader = _Reader(reading)
    for _, data in json_events(events, reading):
        if isinstance(data.get("error"), dict):
            reading.error_payload = data
        else:
            reader.chunk(data)
    reader.done()


def read_json(obj: Any, reading: Reading) -> None:
    """A ``generateContent`` response, or the JSON array ``streamGenerateContent`` answers
    without ``alt=sse`` (read as the stream it is)."""
    chunks = obj if isinstance(obj, list) else [obj]
    reader = _Reader(reading)
    for item in chunks:
        if not isinstance(item, dict):
            reading.refuse("the JSON body is not a response object")
            return
        if isinstance(item.get("error"), dict):
            if item is chunks[0]:
                reading.refuse("a 200 JSON body that is an error", item["error"])
                return
            reading.error_payload = item
            break
        reader.chunk(item)
    reading.stream = isinstance(obj, list)
    reader.done()


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``systemInstruction`` and ``contents`` (``functionResponse`` parts
    become tool messages, answering a call by its id, else by its name)."""
    out: list[Message] = []
    system = body.get("systemInstruction") or body.get("system_instruction")
    text = _text(system.get("parts") if isinstance(system, dict) else system, notes)
    if text:
        out.append(Message(role="system", content=text))
    for item in body.get("contents") or []:
        if not isinstance(item, dict):
            continue
        role = "assistant" if item.get("role") == "model" else "user"
        parts = [p for p in item.get("parts") or [] if isinstance(p, dict)]
        for part in parts:
            answer = _field(part, "functionResponse")
            if isinstance(answer, dict):
                out.append(
                    Message(
                        role="tool",
                        content=compact(answer.get("response")),
                        tool_call_id=answer.get("id") or answer.get("name"),
                    )
                )
        calls = [
            expected_call(call.get("id"), call.get("name"), call.get("args"))
            for part in parts
            if isinstance(call := _field(part, "functionCall"), dict)
        ]
        text = _text(parts, notes)
        answered = any(isinstance(_field(p, "functionResponse"), dict) for p in parts)
        if text or calls or not answered:
            out.append(
                Message(role=role, content=text, tool_calls=calls if role == "assistant" else [])
            )
    return out


_CONVERSATION = {"functionCall", "functionResponse", "function_call", "function_response", "text"}
"""Request part kinds the conversation keeps (the rest, images say, are dropped)."""


def _field(part: dict[str, Any], camel: str) -> Any:
    """A part's field in the wire's camelCase or the snake_case some clients send."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return part.get(camel, part.get(snake))


def _text(parts: Any, notes: list[str]) -> str:
    if isinstance(parts, str):
        return parts
    texts: list[str] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
        elif not _CONVERSATION & part.keys():
            notes.append(f"request parts of kind {', '.join(sorted(part))} dropped")
    return "\n".join(t for t in texts if t)
