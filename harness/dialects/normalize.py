"""Pieces every wire's stream mapper uses: tool-call arguments parsed (or kept as text) and
streamed tool-call fragments assembled by index.

A mapper reports what the adapter handed over and adds nothing: arguments that do not
parse keep their text in ``raw``; fragments are assembled the way an application using
the adapter has to (the adapter yields fragments, not calls).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from pydantic import JsonValue

from harness.vocab.events import Event, ToolCallEvent

__all__ = ["Normalizer", "ToolCallFragments", "parse_arguments", "tool_call_event"]


class Normalizer(Protocol):
    """Turns an adapter's own output items into events, one item at a time.

    ``feed`` is called for every item the adapter yields (or the one object it returns);
    ``close`` once after the last, when the output ended without an exception. Events from
    items before an exception are kept, so a stream cut mid-way still shows its text.
    """

    def feed(self, item: Any) -> Iterable[Event]: ...

    def close(self) -> Iterable[Event]: ...


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
