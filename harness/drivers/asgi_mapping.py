"""Mappers for re-streaming apps: turn one downstream server-sent event (its name, its data
parsed as JSON or kept as text) into harness events.

Small immutable values whose repr echoes the call, composed in an
:class:`~harness.drivers.asgi.ASGIAppDriver`'s ``mapping``: :func:`text`,
:func:`reasoning`, :func:`tool_call`, :func:`usage`, :func:`finish`, :func:`error`,
:func:`ignore`, and :func:`each` to apply several to one event. Field names are dotted
paths into the event's JSON (``"usage.input_tokens"``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from harness.drivers.classify import MESSAGE_LIMIT, error_kind
from harness.scenario.model import ErrorKind, FinishReason
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    ReasoningEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)

__all__ = [
    "AppError",
    "Mapper",
    "each",
    "error",
    "finish",
    "ignore",
    "reasoning",
    "text",
    "tool_call",
    "usage",
]

Mapper = Callable[[str, JsonValue], Iterable[Event]]
"""Turns one downstream event (its name, its data parsed as JSON or kept as text) into
harness events."""


class AppError(Exception):
    """An error the app reported as an event, shaped so harness's classifier can read it
    (``status_code``, provider ``code`` and ``type``)."""

    def __init__(
        self, message: str, status_code: int | None, code: str | None, type: str | None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.type = type


def _get(data: JsonValue, path: str | None) -> JsonValue:
    """``data["a"]["b"]`` for ``"a.b"``; the data itself for None; None when missing."""
    if path is None:
        return data
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: JsonValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class _Ignore:
    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        return []

    def __repr__(self) -> str:
        return "ignore()"


@dataclass(frozen=True)
class _Text:
    field: str | None
    reasoning: bool

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        value = _str(_get(data, self.field))
        if not value:
            return []
        return [ReasoningEvent(text=value) if self.reasoning else TextEvent(text=value)]

    def __repr__(self) -> str:
        return f"{'reasoning' if self.reasoning else 'text'}({self.field!r})"


@dataclass(frozen=True)
class _ToolCall:
    id: str
    name: str
    arguments: str

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        arguments = _get(data, self.arguments)
        raw = None
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments, raw = None, arguments
        return [
            ToolCallEvent(
                id=_str(_get(data, self.id)) or None,
                name=_str(_get(data, self.name)) or "",
                arguments=arguments,
                raw=raw,
            )
        ]

    def __repr__(self) -> str:
        return f"tool_call(id={self.id!r}, name={self.name!r}, arguments={self.arguments!r})"


@dataclass(frozen=True)
class _Usage:
    input: str
    output: str

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        got = _int(_get(data, self.input)), _int(_get(data, self.output))
        return [] if got == (None, None) else [UsageEvent(input=got[0], output=got[1])]

    def __repr__(self) -> str:
        return f"usage({self.input!r}, {self.output!r})"


_VOCABULARY: Mapping[str, FinishReason] = {
    r: r for r in ("stop", "length", "tool_calls", "content_filter", "error")
}


@dataclass(frozen=True)
class _Finish:
    field: str | None
    table: Mapping[str, FinishReason]

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        raw = _get(data, self.field)
        raw = raw if isinstance(raw, str) else None
        return [FinishEvent(reason=self.table.get(raw) if raw else None, raw=raw)]

    def __repr__(self) -> str:
        return f"finish({self.field!r})"


@dataclass(frozen=True)
class _Error:
    message: str
    status: str
    code: str
    type: str
    kinds: Mapping[str, ErrorKind]

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        code = _get(data, self.code)
        code = str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None
        message = _str(_get(data, self.message)) or (data if isinstance(data, str) else "")
        exc = AppError(message, _int(_get(data, self.status)), code, _str(_get(data, self.type)))
        kind = self.kinds.get(code) if code is not None else None
        return [
            ErrorEvent(
                error=kind or error_kind(exc),
                type=f"sse:{name}",
                message=f"{code}: {message}"[:MESSAGE_LIMIT] if code else message[:MESSAGE_LIMIT],
                status=exc.status_code,
            )
        ]

    def __repr__(self) -> str:
        return f"error(message={self.message!r}, status={self.status!r}, code={self.code!r})"


@dataclass(frozen=True)
class _Each:
    mappers: tuple[Mapper, ...]

    def __call__(self, name: str, data: JsonValue) -> list[Event]:
        return [event for mapper in self.mappers for event in mapper(name, data)]

    def __repr__(self) -> str:
        return f"each({', '.join(map(repr, self.mappers))})"


def ignore() -> Mapper:
    """An event that carries nothing the caller needs (``start``, ``end``, pings)."""
    return _Ignore()


def text(field: str | None = "text") -> Mapper:
    """A text delta at ``field`` (a dotted path; None: the data is the text)."""
    return _Text(field, reasoning=False)


def reasoning(field: str | None = "text") -> Mapper:
    """A reasoning delta at ``field``."""
    return _Text(field, reasoning=True)


def tool_call(*, id: str = "id", name: str = "name", arguments: str = "arguments") -> Mapper:
    """One complete tool call; ``arguments`` may be an object or JSON text."""
    return _ToolCall(id, name, arguments)


def usage(input: str = "input_tokens", output: str = "output_tokens") -> Mapper:
    """Token usage at these dotted paths (nothing when both are missing)."""
    return _Usage(input, output)


def finish(field: str | None = "finish", table: Mapping[str, FinishReason] = _VOCABULARY) -> Mapper:
    """The finish: the app's reason string at ``field``, mapped by ``table``."""
    return _Finish(field, table)


def error(
    *,
    message: str = "message",
    status: str = "status",
    code: str = "code",
    type: str = "type",
    kinds: Mapping[str, ErrorKind] | None = None,
) -> Mapper:
    """The app's error event. Its kind: ``kinds[code]`` for the app's own codes, else what
    harness's classifier makes of the HTTP status, provider code and type it carries."""
    return _Error(message, status, code, type, dict(kinds or {}))


def each(*mappers: Mapper) -> Mapper:
    """Several mappers on one event, in order (``turn_complete`` with usage and finish)."""
    return _Each(mappers)
