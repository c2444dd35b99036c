"""Read an Ollama ``/api/chat`` recording (the NDJSON stream or the one JSON object, and
the request's ``messages``) into neutral terms.

Each line is an object with a ``message`` piece: ``content`` text, ``thinking``
reasoning, whole ``tool_calls`` (``function.arguments`` an object, or text); the line
with ``done: true`` carries ``done_reason`` and the counts (``prompt_eval_count``,
``eval_count``). ``stop`` with tool calls is the neutral ``tool_calls``. A line with an
``error`` is the stream's in-stream failure. The importer hands the lines over as events
(:func:`harness.cassettes.wire.ndjson_events`).
"""

from __future__ import annotations

from typing import Any

from harness.dialects.reading import Reading, as_int, compact, json_events
from harness.dialects.request import ROLES, content_text, expected_call
from harness.dialects.sse import SSEEvent
from harness.scenario.model import FinishReason, Message, Usage

__all__ = [
    "DONE_REASONS",
    "PER_INTERACTION",
    "done_reason",
    "read_json",
    "read_messages",
    "read_stream",
    "usage",
]

PER_INTERACTION = True
"""One interaction holds the whole reply."""

DONE_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}
"""Ollama ``done_reason`` values in the harness vocabulary (``stop`` with tool calls is
``tool_calls``: :func:`done_reason`)."""


def done_reason(raw: str, calls: bool) -> FinishReason | None:
    """The neutral finish of a ``done_reason`` (None: no equivalent, as ``load``)."""
    reason = DONE_REASONS.get(raw)
    return "tool_calls" if reason == "stop" and calls else reason


def usage(obj: Any) -> Usage | None:
    """Usage from the done object's ``prompt_eval_count`` and ``eval_count``."""
    if not isinstance(obj, dict):
        return None
    given, produced = as_int(obj.get("prompt_eval_count")), as_int(obj.get("eval_count"))
    if given is None and produced is None:
        return None
    return Usage(input=given or 0, output=produced or 0)


class _Reader:
    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.calls = 0
        self.done = False

    def line(self, obj: dict[str, Any]) -> None:
        reading = self.reading
        parts = reading.parts
        message = obj.get("message")
        if isinstance(message, dict):
            thinking = message.get("thinking")
            parts.reasoning(thinking if isinstance(thinking, str) else None)
            text = message.get("content")
            parts.text(text if isinstance(text, str) else None)
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict):
                    continue
                key = self.calls
                self.calls += 1
                parts.call(key, call.get("id"), function.get("name"))
                args = function.get("arguments")
                parts.final_arguments(key, args if isinstance(args, str) else compact(args or {}))
            if message.get("images"):
                reading.note("images have no neutral equivalent (dropped)")
        if obj.get("done") is True:
            self.done = True
            reading.usage = usage(obj)
            raw = obj.get("done_reason")
            if isinstance(raw, str) and raw:
                reading.raw_finish = raw
                reading.finish = done_reason(raw, parts.has_calls())
                if reading.finish is None:
                    reading.note(f"done_reason {raw!r} has no neutral equivalent")
            else:  # servers before done_reason existed end with done alone
                reading.finish = "tool_calls" if parts.has_calls() else "stop"


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    reader = _Reader(reading)
    for _, obj in json_events(events, reading):
        if "error" in obj and obj.get("done") is not True:
            reading.error_payload = obj
            break
        reader.line(obj)
    if not reader.done and reading.error_payload is None:
        reading.note("the stream ends without a done line")


def read_json(obj: Any, reading: Reading) -> None:
    if not isinstance(obj, dict):
        reading.refuse("the JSON body is not an object")
        return
    if "error" in obj:
        error = obj["error"]
        reading.refuse("a 200 JSON body that is an error", {"message": error})
        return
    _Reader(reading).line(obj)


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``messages`` (a tool result names its tool: ``tool_name``)."""
    out: list[Message] = []
    for item in body.get("messages") or []:
        if not isinstance(item, dict):
            continue
        role = ROLES.get(str(item.get("role")), "user")
        calls = [
            expected_call(c.get("id"), function.get("name"), function.get("arguments"))
            for c in item.get("tool_calls") or []
            if isinstance(c, dict) and isinstance(function := c.get("function"), dict)
        ]
        if item.get("images"):
            notes.append("request images dropped")
        answered = item.get("tool_call_id") or item.get("tool_name")
        out.append(
            Message(
                role=role,
                content=content_text(item.get("content"), notes),
                tool_call_id=answered if role == "tool" and isinstance(answered, str) else None,
                tool_calls=calls if role == "assistant" else [],
            )
        )
    return out
