"""Read a Cohere v2 chat recording (the reply, streamed or not, and the request's
``messages``) into neutral terms.

Content parts map to text and reasoning (``thinking``) by their ``content-delta`` pieces;
tool calls by ``tool-call-start`` (id, name) and their ``tool-call-delta`` argument
fragments; ``message-end`` carries the finish reason and usage (``tokens``, else
``billed_units``), and a ``finish_reason`` of ``ERROR`` is the stream's error. A
``tool-plan-delta`` (the model's plan before its calls) has no neutral equivalent.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import JsonValue

from harness.dialects.reading import Reading, compact, json_events, token_usage
from harness.dialects.request import chat_messages
from harness.dialects.sse import SSEEvent
from harness.scenario.model import FinishReason, Message, Usage

__all__ = [
    "FINISH_REASONS",
    "PER_INTERACTION",
    "read_json",
    "read_messages",
    "read_stream",
    "usage",
]

PER_INTERACTION = True

FINISH_REASONS: dict[str, FinishReason] = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
}


def usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    found = token_usage(raw.get("tokens"), "input_tokens", "output_tokens")
    found = found or token_usage(raw.get("billed_units"), "input_tokens", "output_tokens")
    if found is None:
        return None
    cached = raw.get("cached_tokens")
    return (
        found.model_copy(update={"cache_read": int(cached)}) if isinstance(cached, int) else found
    )


def _finish(reading: Reading, delta: dict[str, Any]) -> None:
    reason = delta.get("finish_reason")
    if reason == "ERROR":
        message: JsonValue = str(delta.get("error") or "")
        reading.error_payload = {"error": {"type": "server_error", "message": message}}
        return
    if isinstance(reason, str) and reason:
        reading.raw_finish = reason
        reading.finish = FINISH_REASONS.get(reason)
        if reading.finish is None:
            reading.note(f"finish reason {reason!r} has no neutral equivalent")


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    parts = reading.parts
    ended = False
    for event, data in json_events(events, reading):
        kind = data.get("type") or event.event
        raw_delta = data.get("delta")
        delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
        raw_message = delta.get("message")
        message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
        index = data.get("index")
        if kind == "content-delta":
            content = message.get("content") or {}
            parts.text(content.get("text"))
            parts.reasoning(content.get("thinking"))
        elif kind == "tool-call-start":
            call = message.get("tool_calls") or {}
            function = call.get("function") or {}
            parts.call(("call", index), call.get("id"), function.get("name"))
            parts.fragment(("call", index), function.get("arguments"))
        elif kind == "tool-call-delta":
            function = (message.get("tool_calls") or {}).get("function") or {}
            parts.fragment(("call", index), function.get("arguments"))
        elif kind == "tool-plan-delta":
            reading.note("the tool plan has no neutral equivalent (dropped)")
        elif kind == "message-end":
            ended = True
            _finish(reading, delta)
            reading.usage = usage(delta.get("usage"))
    if not ended:
        reading.note("the stream ends without message-end")


def read_json(obj: Any, reading: Reading) -> None:
    message = obj.get("message") if isinstance(obj, dict) else None
    if not isinstance(message, dict):
        reading.refuse("a 200 JSON body that is not a Cohere chat response", obj)
        return
    parts = reading.parts
    for block in message.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.text(block.get("text"))
        elif isinstance(block, dict) and block.get("type") == "thinking":
            parts.reasoning(block.get("thinking"))
    for n, call in enumerate(message.get("tool_calls") or []):
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        parts.call(("call", n), call.get("id"), function.get("name"))
        arguments = function.get("arguments")
        text = arguments if isinstance(arguments, str) else compact(arguments or {})
        parts.final_arguments(("call", n), text)
    if message.get("tool_plan"):
        reading.note("the tool plan has no neutral equivalent (dropped)")
    _finish(reading, obj)
    reading.usage = usage(obj.get("usage"))


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``messages``: chat-shaped (role, content as text or parts, tool calls
    with JSON-text arguments, tool results with ``tool_call_id``)."""
    items = []
    for item in body.get("messages") or []:
        if isinstance(item, dict) and item.get("role") == "assistant":
            calls = item.get("tool_calls") or []
            item = {**item, "tool_calls": [_chat_call(c) for c in calls if isinstance(c, dict)]}
        items.append(item)
    return chat_messages(items, notes)


def _chat_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {})
    return {**call, "function": {**function, "arguments": arguments}}
