"""Read an OpenAI Responses API response (streamed or not) into neutral reply parts.

Text comes from ``response.output_text.delta``, reasoning from the reasoning summary (or
reasoning text) deltas, tool calls from ``output_item.added`` (name, ``call_id``) plus the
``function_call_arguments.delta`` fragments. The terminal ``response.completed`` /
``incomplete`` / ``failed`` gives usage and the outcome. Built-in tools the model ran on
the server (web search, file search, code interpreter) have no neutral equivalent.
"""

from __future__ import annotations

import json
from typing import Any

from harness.cassettes.reply import NOT_JSON_EVENT, Reading, as_int
from harness.dialects.sse import SSEEvent
from harness.scenario.model import Usage

__all__ = ["read_json", "read_stream", "usage"]

_TEXT = ("response.output_text.delta",)
_REASONING = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    given, produced = as_int(raw.get("input_tokens")), as_int(raw.get("output_tokens"))
    if given is None or produced is None:
        return None
    details = raw.get("input_tokens_details")
    cached = as_int(details.get("cached_tokens")) if isinstance(details, dict) else None
    return Usage(input=given, output=produced, cache_read=cached)


def _server_tool(item: dict[str, Any], reading: Reading) -> None:
    kind = item.get("type")
    if isinstance(kind, str) and kind not in ("message", "function_call", "reasoning"):
        reading.note(f"server-side {kind} items have no neutral equivalent (dropped)")


def _end(response: Any, reading: Reading) -> None:
    """Usage and outcome from the final response object."""
    if not isinstance(response, dict):
        return
    reading.usage = usage(response.get("usage")) or reading.usage
    status = response.get("status")
    if status == "incomplete":
        reading.outcome = "incomplete"
        details = response.get("incomplete_details") or {}
        reason = details.get("reason") if isinstance(details, dict) else None
        if reason == "content_filter":
            reading.incomplete_reason, reading.finish = "content_filter", "content_filter"
        else:
            reading.incomplete_reason, reading.finish = "max_output_tokens", "length"
    elif status == "failed":
        reading.outcome = "failed"
        error = response.get("error")
        reading.error_payload = error if isinstance(error, dict) else {"message": "failed"}
        reading.finish = "error"
    elif status in ("cancelled", "expired"):
        reading.outcome = status
    else:
        reading.finish = "tool_calls" if reading.parts.has_calls() else "stop"
    if isinstance(status, str):
        reading.raw_finish = status


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    parts = reading.parts
    ended = False
    for event in events:
        try:
            data = json.loads(event.data)
        except ValueError:
            reading.note(NOT_JSON_EVENT)
            continue
        if not isinstance(data, dict):
            continue
        kind = event.event or data.get("type")
        if kind in _TEXT:
            parts.text(data.get("delta"))
        elif kind in _REASONING:
            parts.reasoning(data.get("delta"))
        elif kind == "response.output_item.added":
            item = data.get("item") or {}
            if isinstance(item, dict) and item.get("type") == "function_call":
                parts.call(
                    item.get("id") or data.get("output_index"),
                    item.get("call_id"),
                    item.get("name"),
                )
            elif isinstance(item, dict):
                _server_tool(item, reading)
        elif kind == "response.function_call_arguments.delta":
            parts.fragment(data.get("item_id") or data.get("output_index"), data.get("delta"))
        elif kind == "response.function_call_arguments.done":
            parts.final_arguments(
                data.get("item_id") or data.get("output_index"), data.get("arguments")
            )
        elif kind == "response.refusal.delta":
            reading.note("the refusal text has no neutral equivalent (dropped)")
        elif kind in _TERMINAL:
            ended = True
            _end(data.get("response"), reading)
        elif kind == "error":
            reading.error_payload = data
    if not ended and reading.error_payload is None:
        reading.note("the stream ends without response.completed/incomplete/failed")


def read_json(obj: Any, reading: Reading) -> None:
    if not isinstance(obj, dict):
        reading.refuse("the JSON body is not an object")
        return
    parts = reading.parts
    for n, item in enumerate(obj.get("output") or []):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            for content in item.get("content") or []:
                if isinstance(content, dict) and content.get("type") == "output_text":
                    parts.text(content.get("text"))
        elif kind == "reasoning":
            for summary in item.get("summary") or []:
                if isinstance(summary, dict):
                    parts.reasoning(summary.get("text"))
        elif kind == "function_call":
            parts.call(n, item.get("call_id"), item.get("name"))
            arguments = item.get("arguments")
            parts.final_arguments(n, arguments if isinstance(arguments, str) else None)
        else:
            _server_tool(item, reading)
    _end(obj, reading)
