"""Read an OpenAI Responses API recording (the reply, streamed or not, and the request's
``instructions`` + ``input`` items) into neutral terms.

Text comes from ``response.output_text.delta``, reasoning from the reasoning summary (or
reasoning text) deltas, tool calls from ``output_item.added`` (name, ``call_id``) plus the
``function_call_arguments.delta`` fragments. The terminal ``response.completed`` /
``incomplete`` / ``failed`` gives usage and the outcome. Built-in tools the model ran on
the server (web search, file search, code interpreter) have no neutral equivalent.
"""

from __future__ import annotations

import json
from typing import Any

from harness.dialects.reading import Reading, as_int, json_events, token_usage
from harness.dialects.request import ROLES, content_text, expected_call
from harness.dialects.sse import SSEEvent
from harness.scenario.model import Message, Usage

__all__ = ["PER_INTERACTION", "read_json", "read_messages", "read_stream", "usage"]

PER_INTERACTION = True
"""One interaction holds the whole reply."""

_TEXT = ("response.output_text.delta",)
_REASONING = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def usage(raw: Any) -> Usage | None:
    """Responses usage (``input_tokens``...) in neutral terms."""
    details = raw.get("input_tokens_details") if isinstance(raw, dict) else None
    cached = as_int(details.get("cached_tokens")) if isinstance(details, dict) else None
    return token_usage(raw, "input_tokens", "output_tokens", cached)


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
    for event, data in json_events(events, reading):
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


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``instructions`` and ``input`` items as neutral messages."""
    out: list[Message] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        out.append(Message(role="system", content=body["instructions"]))
    items = body.get("input")
    if isinstance(items, str):
        return [*out, Message(role="user", content=items)]
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            role = ROLES.get(str(item.get("role")), "user")
            out.append(Message(role=role, content=content_text(item.get("content"), notes)))
        elif kind == "function_call":
            call = expected_call(item.get("call_id"), item.get("name"), item.get("arguments"))
            if out and out[-1].role == "assistant" and not out[-1].content:
                out[-1] = out[-1].model_copy(update={"tool_calls": [*out[-1].tool_calls, call]})
            else:
                out.append(Message(role="assistant", tool_calls=[call]))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            out.append(Message(role="tool", content=text, tool_call_id=item.get("call_id")))
        elif kind != "reasoning":
            notes.append(f"request input item of type {kind!r} dropped")
    return out
