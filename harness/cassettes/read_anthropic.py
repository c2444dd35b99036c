"""Read an Anthropic Messages response (streamed or not) into neutral reply parts.

Content blocks map to parts: ``text`` (``text_delta``), ``thinking`` (``thinking_delta``
plus the ``signature_delta`` that seals it), ``tool_use`` (``input_json_delta`` fragments,
or the ``input`` of the start block when none were streamed). ``message_start`` and
``message_delta`` carry usage (``output_tokens`` there is cumulative) and the stop reason.
Redacted thinking and server tools (web search, tool search) have no neutral equivalent.
"""

from __future__ import annotations

import json
from typing import Any

from harness.cassettes.reply import NOT_JSON_EVENT, Reading, as_int, compact
from harness.dialects.sse import SSEEvent
from harness.scenario.model import FinishReason, Usage

__all__ = ["STOP_REASONS", "read_json", "read_stream", "usage"]

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "paused",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


class _Usage:
    """Anthropic usage accumulates: input at the start, output counts grow per delta."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def update(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        for key in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = as_int(raw.get(key))
            if value is not None:
                self.values[key] = value

    def result(self) -> Usage | None:
        v = self.values
        if "input_tokens" not in v or "output_tokens" not in v:
            return None
        return Usage(
            input=v["input_tokens"],
            output=v["output_tokens"],
            cache_read=v.get("cache_read_input_tokens"),
            cache_write=v.get("cache_creation_input_tokens"),
        )


def usage(raw: Any) -> Usage | None:
    counts = _Usage()
    counts.update(raw)
    return counts.result()


def _stop(reading: Reading, reason: Any) -> None:
    if isinstance(reason, str) and reason:
        reading.raw_finish = reason
        reading.finish = STOP_REASONS.get(reason)
        if reading.finish is None:
            reading.note(f"stop reason {reason!r} has no neutral equivalent")


def _block_start(
    index: Any, block: dict[str, Any], reading: Reading, inputs: dict[Any, Any]
) -> None:
    kind = block.get("type")
    parts = reading.parts
    if kind == "text":
        parts.text(block.get("text"))
    elif kind == "thinking":
        parts.reasoning(block.get("thinking"), block.get("signature"))
    elif kind == "tool_use":
        parts.call(index, block.get("id"), block.get("name"))
        inputs[index] = block.get("input")
    elif kind == "redacted_thinking":
        reading.note("redacted thinking has no neutral equivalent (dropped)")
    else:
        reading.note(f"{kind} blocks have no neutral equivalent (dropped)")


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    parts = reading.parts
    counts = _Usage()
    inputs: dict[Any, Any] = {}
    streamed: set[Any] = set()
    stopped = False
    for event in events:
        try:
            data = json.loads(event.data)
        except ValueError:
            reading.note(NOT_JSON_EVENT)
            continue
        if not isinstance(data, dict):
            continue
        kind = event.event or data.get("type")
        if kind == "message_start":
            counts.update((data.get("message") or {}).get("usage"))
        elif kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, dict):
                _block_start(data.get("index"), block, reading, inputs)
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                parts.text(delta.get("text"))
            elif dtype == "thinking_delta":
                parts.reasoning(delta.get("thinking"))
            elif dtype == "signature_delta":
                parts.signature(delta.get("signature") or "")
            elif dtype == "input_json_delta":
                index = data.get("index")
                if index in inputs:
                    streamed.add(index)
                    parts.fragment(index, delta.get("partial_json"))
        elif kind == "message_delta":
            counts.update(data.get("usage"))
            _stop(reading, (data.get("delta") or {}).get("stop_reason"))
        elif kind == "message_stop":
            stopped = True
        elif kind == "error":
            reading.error_payload = data
    for index, given in inputs.items():
        if index not in streamed or not parts.has_fragments(index):
            parts.final_arguments(index, compact(given if isinstance(given, dict) else {}))
    reading.usage = counts.result()
    if not stopped and reading.error_payload is None:
        reading.note("the stream ends without message_stop")


def read_json(obj: Any, reading: Reading) -> None:
    if not isinstance(obj, dict) or obj.get("type") == "error":
        error = obj.get("error") if isinstance(obj, dict) else None
        reading.refuse("a 200 JSON body that is not a message", error)
        return
    parts = reading.parts
    for n, block in enumerate(obj.get("content") or []):
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_use":
            parts.call(n, block.get("id"), block.get("name"))
            given = block.get("input")
            parts.final_arguments(n, compact(given if isinstance(given, dict) else {}))
        else:
            _block_start(n, block, reading, {})
    _stop(reading, obj.get("stop_reason"))
    reading.usage = usage(obj.get("usage"))
