"""Pieces the drivers share: the request in chat-completions terms, single events from an
adapter's items, and (re-exported from the dialects, where the wires live) the mapping of
chat-completions objects to events (:mod:`harness.dialects.openai_chat.normalize`) and
tool-call assembly (:mod:`harness.dialects.normalize`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
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
from harness.drivers.base import DriverContext
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
    "http_client",
    "mapped_stream",
    "mapped_stream_in",
    "message_tool_calls",
    "openai_messages",
    "openai_tools",
    "parse_arguments",
    "reasoning_of",
    "refusal_of",
    "sdk_client",
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


# --------------------------------------------------------------------------- clients


def http_client(ctx: DriverContext, library: str = "httpx") -> Any:
    """An async ``library`` client (``httpx`` or ``httpx2``) sending to the replay."""
    module = importlib.import_module(library)
    return module.AsyncClient(transport=ctx.transport(library))


@asynccontextmanager
async def sdk_client(
    ctx: DriverContext,
    factory: Callable[..., Any],
    default_retries: int,
    *,
    library: str = "httpx",
    base_url: str | None = None,
) -> AsyncIterator[Any]:
    """A client of an SDK generated the way the OpenAI one is (anthropic, llama-stack-client:
    ``factory(base_url=, api_key=, http_client=, max_retries=)``) sending with an async
    ``library`` client on the replay, at ``base_url`` (default ``ctx.base_url``), with the
    SDK's shipped ``default_retries`` unless ``ctx.options["max_retries"]`` overrides them."""
    async with http_client(ctx, library) as http:
        yield factory(
            base_url=ctx.base_url if base_url is None else base_url,
            api_key=ctx.api_key,
            http_client=http,
            max_retries=ctx.options.get("max_retries", default_retries),
        )


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


def mapped_stream(items: AsyncIterable[Any], mapper: StreamMapper) -> AsyncGenerator[Event, None]:
    """The events of each item as it arrives, then those the mapper closes with once the
    stream ended (a finish held back for the usage chunk, say). Iterate it inside
    ``contextlib.aclosing`` so that a run ended early closes it at once."""
    return mapped_stream_in(nullcontext(items), mapper)


async def mapped_stream_in(
    opened: AbstractAsyncContextManager[AsyncIterable[Any]], mapper: StreamMapper
) -> AsyncGenerator[Event, None]:
    """:func:`mapped_stream` of the stream ``opened`` gives (an SDK's stream, or its
    manager), read inside its ``async with``; the mapper's closing events come once it is
    left. Iterate it inside ``contextlib.aclosing``, too."""
    async with opened as items:
        async for item in items:
            for event in mapper.feed(item):
                yield event
    for event in mapper.close():
        yield event
