"""Gemini output as harness events: ``GenerateContentResponse`` chunks of a stream, or one
response; the decoded JSON of the wire (camelCase) or the google-genai SDK's objects
(snake_case attributes), read the same way.

Text and thought parts are emitted as they arrive, each ``functionCall`` as one call (its
args arrive whole); usage (the last ``usageMetadata``: Gemini repeats it, cumulative) and
the finish (the last ``finishReason``; ``STOP`` after function calls is ``tool_calls``) at
:meth:`GeminiNormalizer.close`. A stream that never carries a ``finishReason`` gets no
finish event. Only the first candidate is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.dialects.gemini.read import finish_reason
from harness.dialects.normalize import tool_call_event
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["GeminiNormalizer", "get", "raw_finish"]


def get(obj: Any, camel: str) -> Any:
    """``obj``'s field ``camel`` in the wire's camelCase or the SDK's snake_case, from a
    mapping or an object; None when it has neither."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    if isinstance(obj, Mapping):
        return obj.get(camel, obj.get(snake))
    value = getattr(obj, snake, None)
    return getattr(obj, camel, None) if value is None else value


def raw_finish(value: Any) -> str | None:
    """A ``finishReason`` as its name: a string, or the SDK's enum member."""
    if value is None:
        return None
    name = getattr(value, "value", value)
    return str(name) if name else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class GeminiNormalizer:
    """Maps Gemini responses (streamed chunks or one whole response) onto events."""

    def __init__(self) -> None:
        self._finish: str | None = None
        self._calls = False
        self._usage: UsageEvent | None = None

    def feed(self, item: Any) -> list[Event]:
        events: list[Event] = []
        candidates = get(item, "candidates") or []
        candidate = candidates[0] if candidates else None
        content = get(candidate, "content")
        for part in get(content, "parts") or []:
            call = get(part, "functionCall")
            text = get(part, "text")
            if call is not None:
                self._calls = True
                events.append(
                    tool_call_event(get(call, "id"), get(call, "name"), get(call, "args") or {})
                )
            elif isinstance(text, str) and text:
                thought = bool(get(part, "thought"))
                events.append(ReasoningEvent(text=text) if thought else TextEvent(text=text))
        reason = raw_finish(get(candidate, "finishReason"))
        if reason:
            self._finish = reason
        usage = get(item, "usageMetadata")
        if usage is not None and _count(get(usage, "promptTokenCount")) is not None:
            self._usage = UsageEvent(
                input=_count(get(usage, "promptTokenCount")),
                output=_count(get(usage, "candidatesTokenCount")) or 0,
                cache_read=_count(get(usage, "cachedContentTokenCount")),
            )
        return events

    def close(self) -> list[Event]:
        """At the normal end: the usage, then the finish if a finish reason came."""
        events: list[Event] = []
        if self._usage is not None:
            events.append(self._usage)
        if self._finish is not None:
            reason = finish_reason(self._finish, self._calls)
            events.append(FinishEvent(reason=reason, raw=self._finish))
        return events
