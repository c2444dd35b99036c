"""Cohere v2 chat output as harness events: stream events (decoded JSON, or the SDK's
``StreamedChatResponseV2`` objects, read by duck typing) or one chat response.

Text and thinking deltas become events as they come; a tool call is handed over at its
``tool-call-end`` with the argument fragments joined; usage and the finish come from
``message-end`` once the stream ends. A ``message-end`` whose ``finish_reason`` is
``ERROR`` is handed over as it came, a finish of ``error`` with Cohere's message in
``raw``. The mapping adds nothing: a stream without ``message-end`` gets no finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.dialects.normalize import tool_call_event
from harness.scenario.model import FinishReason
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["COHERE_FINISH", "CohereNormalizer", "chat_response_events", "usage_event"]

COHERE_FINISH: Mapping[str, FinishReason] = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
    "ERROR": "error",
}


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return obj


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def usage_event(raw: Any) -> UsageEvent | None:
    """Cohere usage (``tokens``, else ``billed_units``) as an event, or None."""
    if raw is None:
        return None
    counts = _get(raw, "tokens") or _get(raw, "billed_units")
    return UsageEvent(
        input=_count(_get(counts, "input_tokens")),
        output=_count(_get(counts, "output_tokens")),
        cache_read=_count(_get(raw, "cached_tokens")),
    )


def _finish(reason: Any) -> FinishEvent:
    raw = str(reason)
    return FinishEvent(reason=COHERE_FINISH.get(raw), raw=raw)


def chat_response_events(response: Any) -> list[Event]:
    """Events of a non-streamed chat response: content, tool calls, usage, finish."""
    events: list[Event] = []
    for block in _get(response, "message", "content") or []:
        if _get(block, "type") == "text" and _get(block, "text"):
            events.append(TextEvent(text=_get(block, "text")))
        elif _get(block, "type") == "thinking" and _get(block, "thinking"):
            events.append(ReasoningEvent(text=_get(block, "thinking")))
    for call in _get(response, "message", "tool_calls") or []:
        function = _get(call, "function")
        events.append(
            tool_call_event(_get(call, "id"), _get(function, "name"), _get(function, "arguments"))
        )
    usage = usage_event(_get(response, "usage"))
    if usage is not None:
        events.append(usage)
    if _get(response, "finish_reason"):
        events.append(_finish(_get(response, "finish_reason")))
    return events


class CohereNormalizer:
    """Maps Cohere v2 stream events (or one chat response), one item at a time."""

    def __init__(self) -> None:
        self._calls: dict[Any, dict[str, Any]] = {}
        self._usage: UsageEvent | None = None
        self._finish: FinishEvent | None = None

    def feed(self, item: Any) -> list[Event]:
        kind = _get(item, "type")
        if kind is None and _get(item, "message") is not None:
            return chat_response_events(item)
        index = _get(item, "index")
        message = _get(item, "delta", "message")
        if kind == "content-delta":
            text = _get(message, "content", "text")
            thinking = _get(message, "content", "thinking")
            if text:
                return [TextEvent(text=text)]
            if thinking:
                return [ReasoningEvent(text=thinking)]
        elif kind == "tool-call-start":
            call = _get(message, "tool_calls")
            self._calls[index] = {
                "id": _get(call, "id"),
                "name": _get(call, "function", "name"),
                "pieces": [_get(call, "function", "arguments") or ""],
            }
        elif kind == "tool-call-delta" and index in self._calls:
            piece = _get(message, "tool_calls", "function", "arguments")
            self._calls[index]["pieces"].append(piece or "")
        elif kind == "tool-call-end" and index in self._calls:
            call = self._calls.pop(index)
            return [tool_call_event(call["id"], call["name"], "".join(call["pieces"]))]
        elif kind == "message-end":
            delta = _get(item, "delta")
            self._usage = usage_event(_get(delta, "usage")) or self._usage
            reason = _get(delta, "finish_reason")
            if reason:
                self._finish = _finish(reason)
        return []

    def close(self) -> list[Event]:
        events: list[Event] = [self._usage] if self._usage is not None else []
        if self._finish is not None:
            events.append(self._finish)
        self._calls.clear()
        return events
