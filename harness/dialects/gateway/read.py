"""Read the LLM gateway's JSON API (``harness.dialects.gateway``) into neutral terms: the
reply, and the request's messages (the Chat Completions list, :func:`chat_messages`).

Every stream event is a full chunk: ``content`` pieces, whole ``tool_calls`` (arguments as
a JSON object), and a final chunk (``is_final``) with ``finish_reason`` and usage. An
in-stream failure is one ``{"error": CODE, "detail": MESSAGE}`` event. A reply that is not
streamed with ``"finish_reason": null`` carries no finish reason (``finish: none``).
"""

from __future__ import annotations

from typing import Any

from harness.dialects.openai_chat.normalize import OPENAI_FINISH
from harness.dialects.openai_chat.read import usage
from harness.dialects.reading import Reading, compact, json_events
from harness.dialects.request import chat_messages
from harness.dialects.sse import SSEEvent
from harness.scenario.model import Message

__all__ = ["PER_INTERACTION", "read_json", "read_messages", "read_stream"]

PER_INTERACTION = True
"""One interaction holds the whole reply."""


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``messages``: the Chat Completions list."""
    return chat_messages(body.get("messages") or [], notes)


def _chunk(chunk: dict[str, Any], reading: Reading, calls: list[int]) -> None:
    parts = reading.parts
    content = chunk.get("content")
    parts.text(content if isinstance(content, str) else None)
    for call in chunk.get("tool_calls") or []:
        if not isinstance(call, dict):
            continue
        key = len(calls)
        calls.append(key)
        parts.call(key, call.get("id"), call.get("name"))
        arguments = call.get("arguments")
        text = arguments if isinstance(arguments, str) else compact(arguments or {})
        parts.final_arguments(key, text)
    reason = chunk.get("finish_reason")
    if isinstance(reason, str) and reason and reading.raw_finish is None:
        reading.raw_finish = reason
        reading.finish = OPENAI_FINISH.get(reason)
    reading.usage = usage(chunk.get("usage")) or reading.usage


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    calls: list[int] = []
    for _, chunk in json_events(events, reading, terminator="[DONE]"):
        if isinstance(chunk.get("error"), str):
            reading.error_payload = chunk
        else:
            _chunk(chunk, reading, calls)


def read_json(obj: Any, reading: Reading) -> None:
    if isinstance(obj, dict):
        _chunk(obj, reading, [])
        # a reply that says outright it has no finish reason (the field is nullable)
        reading.no_finish = "finish_reason" in obj and obj["finish_reason"] is None
    else:
        reading.refuse("the JSON body is not an object")
