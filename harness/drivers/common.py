"""Pieces the drivers share: the request in chat-completions terms, single events from an
adapter's items, and (re-exported from the dialects, where the wires live) the mapping of
chat-completions objects to events (:mod:`harness.dialects.openai_chat.normalize`) and
tool-call assembly (:mod:`harness.dialects.normalize`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable, Mapping
from typing import Any, Protocol

from harness.dialects.normalize import ToolCallFragments, parse_arguments, tool_call_event
from harness.dialects.openai_chat.normalize import (
    OPENAI_FINISH,
    ChatStream,
    completion_events,
    message_tool_calls,
    reasoning_of,
    refusal_of,
    usage_event,
)
from harness.drivers.classify import MESSAGE_LIMIT
from harness.scenario.model import ErrorKind, FinishReason, Request
from harness.vocab.events import ErrorEvent, Event, FinishEvent

__all__ = [
    "OPENAI_FINISH",
    "ChatStream",
    "ToolCallFragments",
    "completion_events",
    "error_item_event",
    "field_of",
    "finish_event",
    "mapped_stream",
    "message_tool_calls",
    "openai_messages",
    "openai_tools",
    "parse_arguments",
    "reasoning_of",
    "refusal_of",
    "tool_call_event",
    "usage_event",
]


# --------------------------------------------------------------------------- request


def openai_messages(request: Request) -> list[dict[str, Any]]:
    """The scenario's conversation as chat-completions ``messages``."""
    out: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "tool":
            item["tool_call_id"] = message.tool_call_id or ""
        if message.tool_calls:
            item["content"] = message.content or None
            item["tool_calls"] = [
                {
                    "id": call.id or f"call_{m_index}_{c_index}",
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": json.dumps(call.arguments, ensure_ascii=False),
                    },
                }
                for c_index, call in enumerate(message.tool_calls)
            ]
        out.append(item)
    return out


def openai_tools(request: Request) -> list[dict[str, Any]]:
    """The scenario's tools as chat-completions ``tools`` (empty list when none)."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in request.tools
    ]


# --------------------------------------------------------------------------- single events


def finish_event(raw: str, table: Mapping[str, FinishReason] = OPENAI_FINISH) -> FinishEvent:
    """The finish event for the adapter's own reason string (unmapped reasons give null)."""
    return FinishEvent(reason=table.get(raw), raw=raw)


def field_of(obj: Any, *path: str) -> Any:
    """``obj.a.b`` or ``obj["a"]["b"]``, whichever each step has; None if a step is missing.

    SDK objects built without validation keep fields their types lack as plain dicts (and
    may lack fields their types declare), so a mapping reads both the same way.
    """
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return obj


def error_item_event(item: Any, kind: ErrorKind, message: str) -> ErrorEvent:
    """The terminal error for an error the adapter yielded as an item (a failed response, an
    error event) instead of raising: ``type`` names the item's class."""
    cls = type(item)
    return ErrorEvent(
        error=kind, type=f"{cls.__module__}.{cls.__qualname__}", message=message[:MESSAGE_LIMIT]
    )


class StreamMapper(Protocol):
    """Turns a client's stream items into events (``ChatStream`` and the like)."""

    def feed(self, item: Any) -> list[Event]: ...

    def close(self) -> list[Event]: ...


async def mapped_stream(
    items: AsyncIterable[Any], mapper: StreamMapper
) -> AsyncGenerator[Event, None]:
    """The events of each item as it arrives, then those the mapper closes with once the
    stream ended (a finish held back for the usage chunk, say). Iterate it inside
    ``contextlib.aclosing`` so that a run ended early closes it at once."""
    async for item in items:
        for event in mapper.feed(item):
            yield event
    for event in mapper.close():
        yield event
