"""What the LangChain chat-model drivers share: the conversation as LangChain messages, the
run an application makes (``model.bind_tools(tools).stream(messages)``, or ``invoke`` when
the scenario does not stream), and the reading of LangChain's output into events.

An application reads a LangChain stream this way: text (and reasoning) from each
``AIMessageChunk`` as it comes, the chunks added up (``full = full + chunk``, LangChain's
own merge of ``tool_call_chunks`` by index), and at the end the merged message's
``tool_calls`` (arguments parsed by LangChain), ``invalid_tool_calls`` (arguments it could
not parse, kept as text), ``usage_metadata`` and ``response_metadata``'s finish reason.
The drivers do exactly that, so what LangChain makes of the wire is what is judged.

The call is the synchronous ``stream``/``invoke``, the one LangChain's docs show first
(``for chunk in model.stream(...)``); it runs inside the driver's coroutine on the virtual
clock, as litellm's sync driver does. Each driver builds the model as an application does
by default (no client of its own, the provider's real host), inside
:func:`harness.transport.serving`, after clearing the library's ``lru_cache`` of httpx
clients so that a client cached by an earlier cell cannot answer this one.
"""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import finish_event, openai_tools, tool_call_event
from harness.scenario.model import FinishReason, Request
from harness.transport import serving
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    UsageEvent,
)

__all__ = [
    "LangChainChatDriver",
    "LangChainReader",
    "langchain_message_specs",
    "langchain_messages",
    "request_options",
]


def langchain_messages(request: Request) -> list[Any]:
    """The scenario's conversation as LangChain messages (an assistant turn's tool calls as
    ``AIMessage.tool_calls``, a tool result as ``ToolMessage``)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    kinds = {
        "system": SystemMessage,
        "user": HumanMessage,
        "assistant": AIMessage,
        "tool": ToolMessage,
    }
    return [
        kinds[spec["role"]](**{k: v for k, v in spec.items() if k != "role"})
        for spec in langchain_message_specs(request)
    ]


def langchain_message_specs(request: Request) -> list[dict[str, Any]]:
    """The conversation as plain values: each message's ``role`` (which LangChain class)
    and the keyword arguments it is built with (a reproducer writes them out as they are)."""
    out: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role in ("system", "user"):
            out.append({"role": message.role, "content": message.content})
        elif message.role == "tool":
            out.append(
                {"role": "tool", "content": message.content, "tool_call_id": message.tool_call_id}
            )
        else:
            calls = [
                {
                    "id": call.id or f"call_{m_index}_{c_index}",
                    "name": call.name,
                    "args": call.arguments,
                    "type": "tool_call",
                }
                for c_index, call in enumerate(message.tool_calls)
            ]
            out.append({"role": "assistant", "content": message.content or "", "tool_calls": calls})
    return out


def request_options(request: Request) -> dict[str, Any]:
    """The model's options the scenario's request sets: the model, ``max_tokens`` if set."""
    kwargs: dict[str, Any] = {"model": request.model}
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    return kwargs


class LangChainReader:
    """Reads LangChain's output: :meth:`feed` each streamed chunk (its text and reasoning
    as events), then :meth:`close` (the merged message's calls, usage and finish)."""

    def __init__(self, finish_key: str, finish_table: Mapping[str, FinishReason]) -> None:
        self._finish_key = finish_key
        self._finish_table = finish_table
        self._full: Any = None

    def feed(self, chunk: Any) -> list[Event]:
        self._full = chunk if self._full is None else self._full + chunk
        return content_events(chunk)

    def close(self, usage: UsageEvent | None) -> list[Event]:
        """The end of a stream that ended normally; ``usage`` as the driver reads it from
        the merged message's ``usage_metadata``."""
        return self._full_events(self._full, usage)

    def message_events(self, message: Any, usage: UsageEvent | None) -> list[Event]:
        """Events of a non-streamed ``AIMessage``: ``invoke`` returned it whole, so it ends
        with a finish, its reason None when the metadata gives none."""
        events = [*content_events(message), *self._full_events(message, usage)]
        if not any(isinstance(e, FinishEvent) for e in events):
            events.append(FinishEvent(reason=None, raw=None))
        return events

    @property
    def merged(self) -> Any:
        """The chunks added up so far (None before the first)."""
        return self._full

    def _full_events(self, message: Any, usage: UsageEvent | None) -> list[Event]:
        if message is None:
            return []
        events: list[Event] = []
        for call in getattr(message, "tool_calls", None) or []:
            events.append(tool_call_event(call.get("id"), call.get("name"), call.get("args")))
        for bad in getattr(message, "invalid_tool_calls", None) or []:
            events.append(tool_call_event(bad.get("id"), bad.get("name"), bad.get("args") or ""))
        refusal = (getattr(message, "additional_kwargs", None) or {}).get("refusal")
        if isinstance(refusal, str) and refusal:
            events.append(RefusalEvent(text=refusal))
        if usage is not None:
            events.append(usage)
        raw = (getattr(message, "response_metadata", None) or {}).get(self._finish_key)
        if isinstance(raw, str) and raw:
            events.append(finish_event(raw, self._finish_table))
        return events


def content_events(message: Any) -> list[Event]:
    """Text and reasoning of a message or chunk, from LangChain's standard
    ``content_blocks`` (``langchain_core.messages.base.BaseMessage.content_blocks``)."""
    events: list[Event] = []
    for block in message.content_blocks:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            events.append(TextEvent(text=block["text"]))
        elif kind == "reasoning" and block.get("reasoning"):
            events.append(ReasoningEvent(text=block["reasoning"]))
    return events


class LangChainChatDriver(DriverBase):
    """A LangChain chat model, built by :meth:`model`, run the way an application runs it.

    ``ctx.options["max_retries"]`` is passed to the model when set; otherwise the model's
    own default applies.
    """

    finish_key: ClassVar[str]
    """The ``response_metadata`` key holding the provider's finish reason."""
    finish_table: ClassVar[Mapping[str, FinishReason]]

    @staticmethod
    def model_kwargs(ctx: DriverContext) -> dict[str, Any]:
        """What every LangChain chat model is built with here: the model, the key,
        ``max_tokens`` and ``max_retries`` when given."""
        kwargs: dict[str, Any] = {**request_options(ctx.scenario.request), "api_key": ctx.api_key}
        if "max_retries" in ctx.options:
            kwargs["max_retries"] = ctx.options["max_retries"]
        return kwargs

    @abstractmethod
    def model(self, ctx: DriverContext) -> Any:
        """The chat model, built as an application builds it by default."""

    @abstractmethod
    def forget_clients(self) -> None:
        """Clear the library's caches of HTTP clients (kept across model instances)."""

    @abstractmethod
    def clients(self, chat: Any) -> list[Any]:
        """The SDK clients (sync and async) ``chat`` built, to close after the run: a cleared
        cache drops them, and an unclosed async one closes itself from ``__del__`` with a
        task on whatever loop runs then (langchain_openai/chat_models/_client_utils.py:375-385,
        langchain_anthropic/_client_utils.py:33-43)."""

    @abstractmethod
    def usage(self, message: Any) -> UsageEvent | None:
        """Usage from a merged message's ``usage_metadata``, in the provider's terms."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        request = ctx.scenario.request
        reader = LangChainReader(self.finish_key, self.finish_table)
        with serving(ctx.replay):
            self.forget_clients()
            chat: Any = None
            try:
                model = chat = self.model(ctx)
                if request.tools:
                    # the OpenAI function format, which bind_tools of every LangChain chat
                    # model accepts (langchain_core.utils.function_calling)
                    model = model.bind_tools(openai_tools(request))
                messages = langchain_messages(request)
                if not request.stream:
                    message = model.invoke(messages)
                    for event in reader.message_events(message, self.usage(message)):
                        yield event
                    return
                for event in _each(reader, model.stream(messages)):
                    yield event
                for event in reader.close(self.usage(reader.merged)):
                    yield event
            finally:
                await _close(self.clients(chat) if chat is not None else [])
                self.forget_clients()


async def _close(clients: list[Any]) -> None:
    for client in clients:
        closed = client.close()
        if inspect.isawaitable(closed):
            await closed


def _each(reader: LangChainReader, chunks: Iterable[Any]) -> Iterable[Event]:
    for chunk in chunks:
        yield from reader.feed(chunk)


def usage_numbers(message: Any) -> tuple[int | None, int | None, int | None, int | None]:
    """``(input, output, cache_read, cache_creation)`` of ``message.usage_metadata`` as
    LangChain reports them (``input`` includes the cached tokens), Nones when absent."""
    metadata = getattr(message, "usage_metadata", None) or {}
    details = metadata.get("input_token_details") or {}

    def count(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return (
        count(metadata.get("input_tokens")),
        count(metadata.get("output_tokens")),
        count(details.get("cache_read")),
        count(details.get("cache_creation")),
    )
