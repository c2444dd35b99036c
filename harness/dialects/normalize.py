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

__all__ = ["CallKeys", "Normalizer", "ToolCallFragments", "parse_arguments", "tool_call_event"]


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


class CallKeys:
    """Which call a streamed tool-call fragment belongs to, by the ``index`` it carries: the
    call at that index, unless the fragment brings another id than that call's (servers that
    send every parallel call at index 0), which starts a new call. Keys are hashable and
    new keys come in first-seen order."""

    def __init__(self) -> None:
        self._current: dict[Any, tuple[Any, Any]] = {}  # index -> (its call's key, its id)

    def key(self, index: Any, call_id: Any) -> Any:
        key, known = self._current.get(index, (index, None))
        if call_id and known and call_id != known:
            key = (index, call_id)
        self._current[index] = (key, call_id or known)
        return key

    def clear(self) -> None:
        self._current.clear()


class ToolCallFragments:
    """Streamed tool-call pieces, assembled by their ``index`` (:class:`CallKeys`).

    The first non-empty id and name win (some servers repeat them on every fragment);
    argument pieces are concatenated in arrival order. A fragment with no index (the legacy
    ``function_call``) starts a call when it brings an id or nothing came before, else it
    continues the last call.
    """

    def __init__(self) -> None:
        self._calls: dict[Any, list[str]] = {}
        self._ids: dict[Any, str | None] = {}
        self._names: dict[Any, str | None] = {}
        self._last: Any = None
        self._keys = CallKeys()

    def add(
        self, index: int | None, call_id: str | None, name: str | None, piece: str | None
    ) -> None:
        if index is None:
            key = ("no index", len(self._calls)) if call_id or self._last is None else self._last
        else:
            key = self._keys.key(index, call_id)
        self._last = key
        self._calls.setdefault(key, [])
        if not self._ids.get(key):
            self._ids[key] = call_id or None
        if not self._names.get(key):
            self._names[key] = name or None
        if piece:
            self._calls[key].append(piece)

    def drain(self) -> list[ToolCallEvent]:
        """The assembled calls so far, in first-seen order; forgets them."""
        events = [
            tool_call_event(self._ids[k], self._names[k], "".join(pieces))
            for k, pieces in self._calls.items()
        ]
        self._calls.clear()
        self._ids.clear()
        self._names.clear()
        self._keys.clear()
        self._last = None
        return events
