"""Ollama ``/api/chat`` output as harness events: the streamed objects (one per NDJSON
line) or the one unstreamed object; the decoded JSON of the wire or the ollama SDK's
``ChatResponse`` objects, read the same way.

Text (``message.content``) and reasoning (``message.thinking``) are emitted as they
arrive, each of ``message.tool_calls`` as one call (its arguments arrive whole); the usage
(``prompt_eval_count``, ``eval_count``) and the finish (``done_reason``; ``stop`` after
tool calls is ``tool_calls``) come from the ``done`` object, at
:meth:`OllamaNormalizer.close`. A stream with no ``done`` object gets no finish event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.dialects.normalize import tool_call_event
from harness.dialects.ollama.read import done_reason
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = ["OllamaNormalizer", "get"]


def get(obj: Any, name: str) -> Any:
    """``obj[name]`` or ``obj.name``, whichever it has; None when it has neither."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OllamaNormalizer:
    """Maps Ollama chat objects onto events."""

    def __init__(self) -> None:
        self._calls = False
        self._usage: UsageEvent | None = None
        self._finish: FinishEvent | None = None

    def feed(self, item: Any) -> list[Event]:
        events: list[Event] = []
        message = get(item, "message")
        thinking = get(message, "thinking")
        if isinstance(thinking, str) and thinking:
            events.append(ReasoningEvent(text=thinking))
        content = get(message, "content")
        if isinstance(content, str) and content:
            events.append(TextEvent(text=content))
        for call in get(message, "tool_calls") or []:
            function = get(call, "function")
            self._calls = True
            events.append(
                tool_call_event(
                    get(call, "id"), get(function, "name"), get(function, "arguments") or {}
                )
            )
        if get(item, "done") is True:
            given, produced = (
                _count(get(item, "prompt_eval_count")),
                _count(get(item, "eval_count")),
            )
            if given is not None or produced is not None:
                self._usage = UsageEvent(input=given, output=produced)
            raw = get(item, "done_reason")
            raw = raw if isinstance(raw, str) and raw else "stop"
            self._finish = FinishEvent(reason=done_reason(raw, self._calls), raw=raw)
        return events

    def close(self) -> list[Event]:
        """At the normal end: the usage, then the finish if the done object came."""
        events: list[Event] = [self._usage] if self._usage is not None else []
        if self._finish is not None:
            events.append(self._finish)
        return events
