"""Pieces the OpenAI-style drivers share: the request in chat-completions terms, and the
mapping of chat-completions objects (OpenAI SDK or litellm, read by duck typing) to events.

The mapping reports what the adapter handed over and adds nothing: a stream that never
carries a finish reason gets no ``FinishEvent``; arguments that do not parse keep their
text in ``raw``. Streamed tool-call fragments are assembled by index, the way an
application using the adapter has to (the adapter yields fragments, not calls).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from harness.drivers.classify import MESSAGE_LIMIT
from harness.scenario.model import ErrorKind, FinishReason, Request
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)

__all__ = [
    "OPENAI_FINISH",
    "ChatStream",
    "ToolCallFragments",
    "completion_events",
    "error_item_event",
    "field_of",
    "finish_event",
    "openai_messages",
    "openai_tools",
    "parse_arguments",
    "reasoning_of",
    "refusal_of",
    "tool_call_event",
    "usage_event",
]

OPENAI_FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}
"""Chat-completions ``finish_reason`` values in the harness vocabulary."""


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


def parse_arguments(text: str) -> tuple[JsonValue, str | None]:
    """``(parsed, None)`` when ``text`` is JSON, else ``(None, text)``; an empty text is a
    call without arguments (``{}``), as servers that send ``arguments: ""`` mean it."""
    if isinstance(text, str) and not text.strip():
        return {}, None
    try:
        parsed: JsonValue = json.loads(text)
    except (ValueError, TypeError):
        return None, text
    return parsed, None


def tool_call_event(call_id: str | None, name: str | None, arguments: Any) -> ToolCallEvent:
    """A tool call from its parts; ``arguments`` is argument text or an already parsed object."""
    if isinstance(arguments, str):
        parsed, raw = parse_arguments(arguments)
    elif arguments is None:
        parsed, raw = None, None
    else:
        parsed, raw = arguments, None
    return ToolCallEvent(id=call_id or None, name=name or "", arguments=parsed, raw=raw)


def finish_event(raw: str, table: Mapping[str, FinishReason] = OPENAI_FINISH) -> FinishEvent:
    """The finish event for the adapter's own reason string (unmapped reasons give null)."""
    return FinishEvent(reason=table.get(raw), raw=raw)


def usage_event(usage: Any) -> UsageEvent | None:
    """Usage from an OpenAI/litellm usage object (``prompt_tokens``...), or None if absent."""
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    return UsageEvent(
        input=_int(getattr(usage, "prompt_tokens", None)),
        output=_int(getattr(usage, "completion_tokens", None)),
        cache_read=_int(getattr(details, "cached_tokens", None)),
        cache_write=_int(getattr(usage, "cache_creation_input_tokens", None)),
    )


def reasoning_of(obj: Any) -> str | None:
    """Reasoning text on a delta or message: an attribute (litellm) or an extra field (SDK)."""
    value = getattr(obj, "reasoning_content", None)
    if isinstance(value, str):
        return value
    extra = getattr(obj, "model_extra", None) or {}
    for key in ("reasoning_content", "reasoning"):
        value = extra.get(key)
        if isinstance(value, str):
            return value
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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


# --------------------------------------------------------------------------- streams


class ToolCallFragments:
    """Streamed tool-call pieces, assembled by their ``index``.

    The first non-empty id and name win (some servers repeat them on every fragment);
    argument pieces are concatenated in arrival order. A fragment with a new id at an index
    already in use starts a new call (servers that send every parallel call at index 0).
    """

    def __init__(self) -> None:
        self._calls: dict[int, list[str]] = {}
        self._ids: dict[int, str | None] = {}
        self._names: dict[int, str | None] = {}
        self._last: int | None = None
        self._key: dict[int, int] = {}  # the wire's index -> the call it continues

    def add(
        self, index: int | None, call_id: str | None, name: str | None, piece: str | None
    ) -> None:
        if index is None:  # no index: a new id starts a call, else it continues the last one
            index = len(self._calls) if call_id or self._last is None else self._last
        else:
            key = self._key.get(index, index)
            if call_id and self._ids.get(key) and self._ids[key] != call_id:
                key = max(self._calls) + 1  # a new id at a used index: a new call
            self._key[index] = index = key
        self._last = index
        self._calls.setdefault(index, [])
        if not self._ids.get(index):
            self._ids[index] = call_id or None
        if not self._names.get(index):
            self._names[index] = name or None
        if piece:
            self._calls[index].append(piece)

    def drain(self) -> list[ToolCallEvent]:
        """The assembled calls so far, in first-seen order; forgets them."""
        events = [
            tool_call_event(self._ids[i], self._names[i], "".join(pieces))
            for i, pieces in self._calls.items()
        ]
        self._calls.clear()
        self._ids.clear()
        self._names.clear()
        self._key.clear()
        self._last = None
        return events


class ChatStream:
    """Maps chat-completion chunks (``choices[0].delta``, ``finish_reason``, ``usage``);
    a delta's ``refusal`` pieces become refusal events, a legacy ``function_call`` one call.

    Text and reasoning are emitted as they arrive; tool calls when the finish reason
    arrives (or when the stream ends without one); the finish event, the only terminal
    event, at :meth:`close` after everything else, since usage comes in a later chunk. Only
    the first finish reason counts. Only choice 0 is read. Usage is reported once, at
    :meth:`close`, with the last value the stream carried (servers may send a partial count
    first; the last one supersedes it).
    """

    def __init__(self) -> None:
        self._tools = ToolCallFragments()
        self._finish: FinishEvent | None = None
        self._usage: Event | None = None

    def feed(self, chunk: Any) -> list[Event]:
        events: list[Event] = []
        for choice in getattr(chunk, "choices", None) or []:
            if (getattr(choice, "index", 0) or 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            if delta is not None:
                events.extend(_content_events(delta))
                legacy = getattr(delta, "function_call", None)
                if legacy is not None:  # the pre-tools call: no id, no index
                    self._tools.add(
                        None,
                        None,
                        getattr(legacy, "name", None),
                        getattr(legacy, "arguments", None),
                    )
                for call in getattr(delta, "tool_calls", None) or []:
                    function = getattr(call, "function", None)
                    self._tools.add(
                        getattr(call, "index", None),
                        getattr(call, "id", None),
                        getattr(function, "name", None),
                        getattr(function, "arguments", None),
                    )
            reason = getattr(choice, "finish_reason", None)
            if reason and self._finish is None:
                events.extend(self._tools.drain())
                self._finish = finish_event(str(reason))
        usage = usage_event(getattr(chunk, "usage", None))
        if usage is not None:
            self._usage = usage
        return events

    def close(self) -> list[Event]:
        """What is left when the stream ended normally: pending calls, the usage, then the
        finish."""
        events: list[Event] = [*self._tools.drain()]
        if self._usage is not None:
            events.append(self._usage)
            self._usage = None
        if self._finish is not None:
            events.append(self._finish)
        return events


def completion_events(response: Any) -> list[Event]:
    """Events of a non-streamed chat completion: content, calls, usage, then the finish."""
    events: list[Event] = []
    choices = getattr(response, "choices", None) or []
    choice = choices[0] if choices else None
    message = getattr(choice, "message", None)
    if message is not None:
        events.extend(_content_events(message))
        legacy = getattr(message, "function_call", None)
        if legacy is not None:  # the pre-tools call: no id
            events.append(
                tool_call_event(
                    None, getattr(legacy, "name", None), getattr(legacy, "arguments", None)
                )
            )
        for call in getattr(message, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            events.append(
                tool_call_event(
                    getattr(call, "id", None),
                    getattr(function, "name", None),
                    getattr(function, "arguments", None),
                )
            )
    usage = usage_event(getattr(response, "usage", None))
    if usage is not None:
        events.append(usage)
    reason = getattr(choice, "finish_reason", None)
    if reason:
        events.append(finish_event(str(reason)))
    return events


def _content_events(obj: Any) -> list[Event]:
    events: list[Event] = []
    reasoning = reasoning_of(obj)
    if reasoning:
        events.append(ReasoningEvent(text=reasoning))
    content = getattr(obj, "content", None)
    if isinstance(content, str) and content:
        events.append(TextEvent(text=content))
    refusal = refusal_of(obj)
    if refusal:
        events.append(RefusalEvent(text=refusal))
    return events


def refusal_of(obj: Any) -> str | None:
    """A refusal on a delta or message: the ``refusal`` field, or where the library keeps
    fields its type lacks (an extra field; litellm's ``provider_specific_fields``)."""
    value = getattr(obj, "refusal", None)
    if isinstance(value, str):
        return value
    for extra in (
        getattr(obj, "model_extra", None),
        getattr(obj, "provider_specific_fields", None),
    ):
        value = extra.get("refusal") if isinstance(extra, Mapping) else None
        if isinstance(value, str):
            return value
    return None
