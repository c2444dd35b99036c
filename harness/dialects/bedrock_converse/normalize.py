"""Converse output as harness events, in the shape boto3 hands it over: each ConverseStream
event a dict with one key, its type (``{"contentBlockDelta": {...}}``, what
``converse_stream()["stream"]`` yields), or the whole ``converse()`` reply (a dict with
``output``, ``stopReason`` and ``usage``).

Text and reasoning deltas become events as they come; a tool call (``contentBlockStart``
names it, ``toolUse.input`` fragments spell its arguments) is handed over at its
``contentBlockStop``, the wire's word that the block is complete (a call whose block
never closed, in a stream cut short, is not handed over: its arguments may be partial). Usage
(``metadata``) and the finish (``messageStop``) wait for the end of the stream; a stream
without ``messageStop`` gets no finish. The mapping reports what the adapter handed over
and adds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.dialects.normalize import tool_call_event
from harness.scenario.model import FinishReason
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["CONVERSE_FINISH", "ConverseNormalizer", "converse_events", "usage_event"]

CONVERSE_FINISH: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
"""Converse ``stopReason`` values in the harness vocabulary."""


def _count(raw: Any, name: str) -> int | None:
    value = raw.get(name) if isinstance(raw, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_event(raw: Any) -> UsageEvent | None:
    """Converse ``usage`` (``inputTokens``...) as an event, or None when it is absent."""
    if not isinstance(raw, Mapping):
        return None
    return UsageEvent(
        input=_count(raw, "inputTokens"),
        output=_count(raw, "outputTokens"),
        cache_read=_count(raw, "cacheReadInputTokens"),
        cache_write=_count(raw, "cacheWriteInputTokens"),
    )


def _finish(raw: str) -> FinishEvent:
    return FinishEvent(reason=CONVERSE_FINISH.get(raw), raw=raw)


def converse_events(reply: Mapping[str, Any]) -> list[Event]:
    """Events of a ``converse()`` reply: its content blocks, usage, then the finish."""
    events: list[Event] = []
    message = (reply.get("output") or {}).get("message") or {}
    for block in message.get("content") or []:
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("text"), str) and block["text"]:
            events.append(TextEvent(text=block["text"]))
        elif isinstance(block.get("reasoningContent"), Mapping):
            text = (block["reasoningContent"].get("reasoningText") or {}).get("text")
            if isinstance(text, str) and text:
                events.append(ReasoningEvent(text=text))
        elif isinstance(block.get("toolUse"), Mapping):
            tool = block["toolUse"]
            events.append(
                tool_call_event(tool.get("toolUseId"), tool.get("name"), tool.get("input"))
            )
    usage = usage_event(reply.get("usage"))
    if usage is not None:
        events.append(usage)
    stop = reply.get("stopReason")
    if isinstance(stop, str) and stop:
        events.append(_finish(stop))
    return events


class ConverseNormalizer:
    """Maps ConverseStream events (or one ``converse()`` reply), one item at a time."""

    def __init__(self) -> None:
        self._calls: dict[Any, dict[str, Any]] = {}
        self._usage: UsageEvent | None = None
        self._stop: str | None = None

    def feed(self, item: Any) -> list[Event]:
        if not isinstance(item, Mapping):
            return []
        if "output" in item or "stopReason" in item:
            return converse_events(item)
        events: list[Event] = []
        for kind, data in item.items():
            if isinstance(data, Mapping):
                events += self._event(str(kind), data)
        return events

    def _event(self, kind: str, data: Mapping[str, Any]) -> list[Event]:
        index = data.get("contentBlockIndex")
        if kind == "contentBlockStart":
            tool = (data.get("start") or {}).get("toolUse")
            if isinstance(tool, Mapping):
                self._calls[index] = {
                    "id": tool.get("toolUseId"),
                    "name": tool.get("name"),
                    "pieces": [],
                }
        elif kind == "contentBlockDelta":
            delta = data.get("delta") or {}
            if isinstance(delta.get("text"), str) and delta["text"]:
                return [TextEvent(text=delta["text"])]
            thinking = delta.get("reasoningContent")
            if isinstance(thinking, Mapping) and isinstance(thinking.get("text"), str):
                return [ReasoningEvent(text=thinking["text"])] if thinking["text"] else []
            tool = delta.get("toolUse")
            if isinstance(tool, Mapping) and index in self._calls:
                piece = tool.get("input")
                if isinstance(piece, str):
                    self._calls[index]["pieces"].append(piece)
        elif kind == "contentBlockStop":
            call = self._calls.pop(index, None)
            if call is not None:
                return [tool_call_event(call["id"], call["name"], "".join(call["pieces"]))]
        elif kind == "messageStop":
            stop = data.get("stopReason")
            self._stop = stop if isinstance(stop, str) and stop else self._stop
        elif kind == "metadata":
            self._usage = usage_event(data.get("usage")) or self._usage
        return []

    def close(self) -> list[Event]:
        """At the end of the stream: usage, then the finish if one came."""
        events: list[Event] = []
        self._calls.clear()
        if self._usage is not None:
            events.append(self._usage)
        if self._stop is not None:
            events.append(_finish(self._stop))
        return events
