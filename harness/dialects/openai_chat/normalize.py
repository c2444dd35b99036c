"""Chat Completions output as harness events: streamed chunks (``choices[0].delta``,
``finish_reason``, ``usage``) or one completion, SDK objects (OpenAI, litellm; read by
duck typing) or the decoded JSON of the wire.

The mapping reports what the adapter handed over and adds nothing: a stream that never
carries a finish reason gets no ``FinishEvent``. :class:`ChatNormalizer` is the dialect's
``normalizer``: ``@conformance(normalize="openai-chat")`` and the dialect contract test use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from harness.dialects.normalize import ToolCallFragments, tool_call_event
from harness.scenario.model import FinishReason
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    UsageEvent,
    delta_event,
)

__all__ = [
    "OPENAI_FINISH",
    "ChatNormalizer",
    "ChatStream",
    "completion_events",
    "message_tool_calls",
    "reasoning_of",
    "refusal_of",
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


def _finish(raw: str) -> FinishEvent:
    return FinishEvent(reason=OPENAI_FINISH.get(raw), raw=raw)


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
                self._finish = _finish(str(reason))
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
        events.extend(message_tool_calls(message))
    usage = usage_event(getattr(response, "usage", None))
    if usage is not None:
        events.append(usage)
    reason = getattr(choice, "finish_reason", None)
    if reason:
        events.append(_finish(str(reason)))
    elif choice is not None:  # the completion came back whole, its choice giving no reason
        events.append(FinishEvent(reason=None, raw=None))
    return events


def message_tool_calls(message: Any) -> list[Event]:
    """The tool calls of a chat-completions ``message`` (``tool_calls[].function``)."""
    return [
        tool_call_event(
            getattr(call, "id", None),
            getattr(function, "name", None),
            getattr(function, "arguments", None),
        )
        for call in getattr(message, "tool_calls", None) or []
        for function in [getattr(call, "function", None)]
    ]


def _content_events(obj: Any) -> list[Event]:
    events: list[Event] = []
    reasoning = reasoning_of(obj)
    if reasoning:
        events.append(delta_event(ReasoningEvent, reasoning))
    content = getattr(obj, "content", None)
    if isinstance(content, str) and content:
        events.append(delta_event(TextEvent, content))
    refusal = refusal_of(obj)
    if refusal:
        events.append(delta_event(RefusalEvent, refusal))
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


class ChatNormalizer:
    """Chat-completions output: streamed chunks or one completion, SDK objects or plain dicts."""

    def __init__(self) -> None:
        self._stream = ChatStream()

    def feed(self, item: Any) -> list[Event]:
        item = _attributes(item)
        choices = getattr(item, "choices", None) or []
        if choices and getattr(choices[0], "message", None) is not None:
            return completion_events(item)
        return self._stream.feed(item)

    def close(self) -> list[Event]:
        return self._stream.close()


def _attributes(value: Any) -> Any:
    """Dicts (a JSON client's output) as attribute objects, so duck-typed mappers read them."""
    if isinstance(value, Mapping):
        return SimpleNamespace(**{str(k): _attributes(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_attributes(v) for v in value]
    return value
