"""The Anthropic Python SDK (``anthropic.AsyncAnthropic().messages``), on httpx2.

Seam: ``http_client=httpx2.AsyncClient(transport=ctx.transport("httpx2"))`` and
``base_url=ctx.base_url``: anthropic 2.x accepts only httpx2 clients (an httpx one raises
TypeError "this SDK uses httpx2"). Nothing is patched. Retries as shipped
(``anthropic.DEFAULT_MAX_RETRIES``, 2, honouring ``retry-after`` and ``x-should-retry``);
``ctx.options["max_retries"]`` overrides.

Streaming uses ``messages.stream(...)``, the SDK's helper that accumulates the message,
and maps the events it yields the way an application does: ``text`` and ``thinking``
events as deltas, a tool call at each ``content_block_stop`` whose block is a
``tool_use`` (its ``input`` already parsed by the SDK), usage from ``message_start``
(input, cache) and ``message_delta`` (output; input too when the API repeats it), and
the finish from ``message_delta``'s ``stop_reason`` once the stream has ended. A stream
that ends without a ``message_delta`` gets no finish. Non-streamed requests use
``messages.create``. ``max_tokens`` is required by the API: ``request.max_tokens`` or 1024.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import (
    field_of,
    finish_event,
    mapped_stream_in,
    sdk_client,
    tool_call_event,
)
from harness.drivers.contract import Contract
from harness.drivers.contracts import ANTHROPIC_SDK
from harness.drivers.recipe import Recipe
from harness.scenario.model import FinishReason, Request, Scenario
from harness.vocab.events import Event, ReasoningEvent, TextEvent, UsageEvent

__all__ = [
    "ANTHROPIC_FINISH",
    "DEFAULT_MAX_TOKENS",
    "AnthropicDriver",
    "AnthropicStream",
    "anthropic_kwargs",
    "message_events",
]

DEFAULT_MAX_TOKENS = 1024
"""``max_tokens`` when the scenario sets none (the Messages API requires one)."""

ANTHROPIC_FINISH: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "paused",
}
"""Anthropic ``stop_reason`` values in the harness vocabulary."""


class AnthropicDriver(DriverBase):
    """``anthropic.AsyncAnthropic().messages``: ``stream()`` or ``create()``."""

    name: ClassVar[str] = "anthropic-sdk"
    contract: ClassVar[Contract] = ANTHROPIC_SDK
    dialect: ClassVar[str] = "anthropic-messages"
    http_library: ClassVar[str] = "httpx2"
    requires: ClassVar[tuple[str, ...]] = ("anthropic", "httpx2")
    extra: ClassVar[str] = "anthropic"
    distributions: ClassVar[tuple[str, ...]] = ("anthropic", "httpx2")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import anthropic

        request = ctx.scenario.request
        retries = anthropic.DEFAULT_MAX_RETRIES
        async with sdk_client(ctx, anthropic.AsyncAnthropic, retries, library="httpx2") as client:
            kwargs = anthropic_kwargs(request)
            if not request.stream:
                message = await client.messages.create(**kwargs)
                for event in message_events(message):
                    yield event
                return
            events = mapped_stream_in(client.messages.stream(**kwargs), AnthropicStream())
            async with aclosing(events) as each:
                async for event in each:
                    yield event

    def repro(self, scenario: Scenario) -> Recipe:
        """``messages.stream`` (or ``create``) on an httpx2 client, read as above."""
        read = ANTHROPIC_STREAM_READ if scenario.request.stream else ANTHROPIC_MESSAGE_READ
        return Recipe(
            library="anthropic-sdk-python",
            tracker="https://github.com/anthropics/anthropic-sdk-python/issues",
            imports="import anthropic\nimport httpx2\n",
            request=anthropic_kwargs(scenario.request),
            call=ANTHROPIC_CLIENT + textwrap.indent(read, "    "),
            http_library="httpx2",
            finish=dict(ANTHROPIC_FINISH),
            helpers=ANTHROPIC_HELPERS,
        )


ANTHROPIC_CLIENT = """\
async with httpx2.AsyncClient(transport=transport) as http:
    client = anthropic.AsyncAnthropic(base_url=BASE_URL, api_key=API_KEY, http_client=http)
"""

ANTHROPIC_HELPERS = '''\
def add_usage(out, usage):
    """Token counts from message_start (input) and message_delta (output)."""
    if usage is None:
        return
    seen = out["usage"] or {"input": None, "output": None}
    if getattr(usage, "input_tokens", None) is not None:
        seen["input"] = usage.input_tokens
    if getattr(usage, "output_tokens", None) is not None:
        seen["output"] = usage.output_tokens
    out["usage"] = seen


def tool_call(block):
    return {"id": block.id, "name": block.name, "arguments": json.dumps(block.input)}
'''

ANTHROPIC_STREAM_READ = """\
async with client.messages.stream(**REQUEST) as stream:
    async for event in stream:
        if event.type == "text":
            out["text"] += event.text
        elif event.type == "thinking":
            out["reasoning"] += event.thinking
        elif event.type == "content_block_stop" and event.content_block.type == "tool_use":
            out["tool_calls"].append(tool_call(event.content_block))
        elif event.type == "message_start":
            add_usage(out, event.message.usage)
        elif event.type == "message_delta":
            add_usage(out, event.usage)
            out["finish"] = event.delta.stop_reason or out["finish"]
"""

ANTHROPIC_MESSAGE_READ = """\
message = await client.messages.create(**REQUEST)
for block in message.content:
    if block.type == "text":
        out["text"] += block.text
    elif block.type == "thinking":
        out["reasoning"] += block.thinking
    elif block.type == "tool_use":
        out["tool_calls"].append(tool_call(block))
add_usage(out, message.usage)
out["finish"] = message.stop_reason
"""


# --------------------------------------------------------------------------- request


def anthropic_kwargs(request: Request) -> dict[str, Any]:
    """``model``, ``max_tokens``, ``messages``; ``system`` and ``tools`` when there are some.

    System messages join into ``system``; an assistant turn's tool calls become
    ``tool_use`` blocks, and consecutive tool results one user turn of ``tool_result``
    blocks, as the API requires.
    """
    system = [m.content for m in request.messages if m.role == "system"]
    messages: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "system":
            continue
        if message.role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(result)
            else:
                messages.append({"role": "user", "content": [result]})
            continue
        if message.role == "user":
            messages.append({"role": "user", "content": message.content})
            continue
        blocks: list[dict[str, Any]] = []
        if message.content:
            blocks.append({"type": "text", "text": message.content})
        for c_index, call in enumerate(message.tool_calls):
            call_id = call.id or f"toolu_{m_index}_{c_index}"
            blocks.append(
                {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
            )
        messages.append({"role": "assistant", "content": blocks})
    kwargs: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system:
        kwargs["system"] = "\n\n".join(system)
    if request.tools:
        kwargs["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    return kwargs


# --------------------------------------------------------------------------- events


class AnthropicStream:
    """Maps the events of ``messages.stream()``; usage and finish wait for :meth:`close`."""

    def __init__(self) -> None:
        self._usage: dict[str, int | None] = {}
        self._stop: str | None = None

    def feed(self, item: Any) -> list[Event]:
        kind = field_of(item, "type")
        if kind == "text":
            return [TextEvent(text=field_of(item, "text") or "")]
        if kind == "thinking":
            return [ReasoningEvent(text=field_of(item, "thinking") or "")]
        if kind == "content_block_stop":
            block = field_of(item, "content_block")
            if field_of(block, "type") == "tool_use":
                return [_tool_event(block)]
        elif kind == "message_start":
            self._merge(field_of(item, "message", "usage"))
        elif kind == "message_delta":
            self._merge(field_of(item, "usage"))
            self._stop = field_of(item, "delta", "stop_reason") or self._stop
        return []

    def close(self) -> list[Event]:
        """At the normal end of the stream: usage, then the finish if a stop reason came."""
        events: list[Event] = []
        if self._usage:
            events.append(UsageEvent(**self._usage))
        if self._stop is not None:
            events.append(finish_event(self._stop, ANTHROPIC_FINISH))
        return events

    def _merge(self, usage: Any) -> None:
        for key, value in _usage_fields(usage).items():
            if value is not None:
                self._usage[key] = value


def message_events(message: Any) -> list[Event]:
    """Events of a non-streamed ``Message``: its blocks, usage, then the finish."""
    events: list[Event] = []
    for block in field_of(message, "content") or []:
        kind = field_of(block, "type")
        if kind == "text" and field_of(block, "text"):
            events.append(TextEvent(text=field_of(block, "text")))
        elif kind == "thinking" and field_of(block, "thinking"):
            events.append(ReasoningEvent(text=field_of(block, "thinking")))
        elif kind == "tool_use":
            events.append(_tool_event(block))
    usage = _usage_fields(field_of(message, "usage"))
    if any(v is not None for v in usage.values()):
        events.append(UsageEvent(**usage))
    stop = field_of(message, "stop_reason")
    if stop:
        events.append(finish_event(str(stop), ANTHROPIC_FINISH))
    return events


def _tool_event(block: Any) -> Event:
    return tool_call_event(field_of(block, "id"), field_of(block, "name"), field_of(block, "input"))


def _usage_fields(usage: Any) -> dict[str, int | None]:
    def count(name: str) -> int | None:
        value = field_of(usage, name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return {
        "input": count("input_tokens"),
        "output": count("output_tokens"),
        "cache_read": count("cache_read_input_tokens"),
        "cache_write": count("cache_creation_input_tokens"),
    }
