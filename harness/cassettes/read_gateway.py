"""Read the LLM gateway's JSON API (``harness.dialects.gateway``) into neutral reply parts.

Every stream event is a full chunk: ``content`` pieces, whole ``tool_calls`` (arguments as
a JSON object), and a final chunk (``is_final``) with ``finish_reason`` and usage. An
in-stream failure is one ``{"error": CODE, "detail": MESSAGE}`` event.
"""

from __future__ import annotations

import json
from typing import Any

from harness.cassettes.read_chat import usage
from harness.cassettes.reply import NOT_JSON_EVENT, Reading, compact
from harness.dialects.sse import SSEEvent
from harness.drivers.common import OPENAI_FINISH

__all__ = ["read_json", "read_stream"]


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
    for event in events:
        if event.data.strip() == "[DONE]":
            continue
        try:
            chunk = json.loads(event.data)
        except ValueError:
            reading.note(NOT_JSON_EVENT)
            continue
        if isinstance(chunk, dict) and isinstance(chunk.get("error"), str):
            reading.error_payload = chunk
        elif isinstance(chunk, dict):
            _chunk(chunk, reading, calls)


def read_json(obj: Any, reading: Reading) -> None:
    if isinstance(obj, dict):
        _chunk(obj, reading, [])
    else:
        reading.refuse("the JSON body is not an object")
