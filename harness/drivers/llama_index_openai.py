"""llama-index's ``OpenAI`` LLM (llama-index-llms-openai): ``astream_chat_with_tools`` (or
``achat_with_tools`` when the scenario does not stream), the calls llama-index's function
agents make, read the way they read them.

Built as an application builds it by default: ``OpenAI(model=..., api_key=...)``, so its real
defaults apply: the provider's host, ``timeout=60`` and ``max_retries=3`` handed to the
OpenAI client (llama_index/llms/openai/base.py:209-220, :447-455), and the client it builds
itself on the first call and keeps on the instance (``reuse_client``, :353-359); served by
:func:`harness.transport.serving`, closed after the run. Streaming asks for
``stream_options={"include_usage": True}`` through ``additional_kwargs``, as an application
that wants usage must (llama-index adds none, :457-493).

Tools are ``FunctionTool``s whose metadata gives the scenario's JSON schema as is;
``allow_parallel_tool_calls=True`` (an application that wants several calls at once asks;
the default keeps only the first, :1020-1030). Events: each ``ChatResponse``'s ``delta`` as
text and ``additional_kwargs["thinking_delta"]`` as reasoning (:885-888); at the end the
calls of the last response by ``get_tool_calls_from_response`` (:1032-1103), the usage the
responses carried (``prompt_tokens``/``completion_tokens``, :690-717), and the finish reason
of the OpenAI chunk llama-index passes on as ``raw``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import field_of, finish_event, tool_call_event
from harness.drivers.contract import Contract
from harness.drivers.contracts import LLAMA_INDEX_OPENAI
from harness.drivers.recipe import Recipe
from harness.scenario.model import Request, Scenario
from harness.transport import serving
from harness.vocab.events import Event, FinishEvent, ReasoningEvent, TextEvent, UsageEvent

__all__ = [
    "LlamaIndexOpenAIDriver",
    "llama_kwargs",
    "llama_message_specs",
    "llama_messages",
    "llama_tools",
]


class LlamaIndexOpenAIDriver(DriverBase):
    """``llama_index.llms.openai.OpenAI(...).astream_chat_with_tools(tools, chat_history=...)``."""

    name: ClassVar[str] = "llama-index-openai"
    contract: ClassVar[Contract] = LLAMA_INDEX_OPENAI
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("llama_index.llms.openai", "openai")
    extra: ClassVar[str] = "llama-index"
    distributions: ClassVar[tuple[str, ...]] = (
        "llama-index-llms-openai",
        "llama-index-core",
        "openai",
        "httpx",
    )

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from llama_index.llms.openai import OpenAI

        request = ctx.scenario.request
        kwargs: dict[str, Any] = {**llama_kwargs(request), "api_key": ctx.api_key}
        if "max_retries" in ctx.options:
            kwargs["max_retries"] = ctx.options["max_retries"]
        with serving(ctx.replay):
            llm: Any = OpenAI(**kwargs)
            try:
                call: dict[str, Any] = {
                    "tools": llama_tools(request),
                    "chat_history": llama_messages(request),
                    "allow_parallel_tool_calls": True,
                }
                reading = _Reading()
                if not request.stream:
                    response = await llm.achat_with_tools(**call)
                    for event in reading.response(response, whole=True):
                        yield event
                else:
                    async for response in await llm.astream_chat_with_tools(**call):
                        for event in reading.response(response, whole=False):
                            yield event
                for event in reading.close(llm):
                    yield event
            finally:
                for name in ("_client", "_aclient"):
                    client = getattr(llm, name, None)
                    if client is not None:
                        closed = client.close()
                        if name == "_aclient":
                            await closed

    def repro(self, scenario: Scenario) -> Recipe:
        """The same ``OpenAI`` LLM with an ``httpx.AsyncClient`` on the reproducer's
        transport (its documented ``async_http_client``), called and read as above."""
        from harness.drivers.llama_index_recipe import llama_index_recipe

        return llama_index_recipe(scenario)


def llama_kwargs(request: Request) -> dict[str, Any]:
    """What the LLM is built with besides the key: the model, ``max_tokens`` when set, and
    ``stream_options`` asking for usage when streaming."""
    kwargs: dict[str, Any] = {"model": request.model}
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if request.stream:
        kwargs["additional_kwargs"] = {"stream_options": {"include_usage": True}}
    return kwargs


@dataclass
class _Reading:
    """What an application keeps while reading the responses: the last one, the usage and
    the finish reason seen so far."""

    last: Any = None
    usage: UsageEvent | None = None
    finish: str | None = None
    whole: bool = False

    def response(self, response: Any, *, whole: bool) -> list[Event]:
        self.last, self.whole = response, whole
        events: list[Event] = []
        if whole:
            for block in field_of(response, "message", "blocks") or []:
                if type(block).__name__ == "ThinkingBlock" and block.content:
                    events.append(ReasoningEvent(text=block.content))
            text = field_of(response, "message", "content")
            if text:
                events.append(TextEvent(text=text))
        else:
            thinking = (response.additional_kwargs or {}).get("thinking_delta")
            if thinking:
                events.append(ReasoningEvent(text=thinking))
            if response.delta:
                events.append(TextEvent(text=response.delta))
        counts = response.additional_kwargs or {}
        if "prompt_tokens" in counts or "completion_tokens" in counts:
            self.usage = UsageEvent(
                input=counts.get("prompt_tokens"), output=counts.get("completion_tokens")
            )
        for choice in field_of(response, "raw", "choices") or []:
            reason = field_of(choice, "finish_reason")
            if reason:
                self.finish = str(reason)
        return events

    def close(self, llm: Any) -> list[Event]:
        """At the end of a call that returned: its tool calls, usage, then the finish."""
        events: list[Event] = []
        if self.last is not None:
            for call in llm.get_tool_calls_from_response(self.last, error_on_no_tool_call=False):
                events.append(tool_call_event(call.tool_id, call.tool_name, call.tool_kwargs))
        if self.usage is not None:
            events.append(self.usage)
        if self.finish is not None:
            events.append(finish_event(self.finish))
        elif self.whole:  # chat() returned the reply whole, its choice giving no reason
            events.append(FinishEvent(reason=None, raw=None))
        return events


def llama_tools(request: Request) -> list[Any]:
    """The scenario's tools as ``FunctionTool``s that declare its JSON schema as it is."""
    from llama_index.core.tools import FunctionTool, ToolMetadata

    @dataclass
    class _SchemaMetadata(ToolMetadata):
        schema: dict[str, Any] = field(default_factory=dict)

        def get_parameters_dict(self) -> dict[str, Any]:
            return copy.deepcopy(self.schema)  # llama-index edits what it gets (strict mode)

    def never_called(**_: Any) -> None:
        return None

    return [
        FunctionTool(
            fn=never_called,
            metadata=_SchemaMetadata(
                description=tool.description, name=tool.name, schema=tool.parameters
            ),
        )
        for tool in request.tools
    ]


def llama_messages(request: Request) -> list[Any]:
    """The scenario's conversation as llama-index ``ChatMessage``s (an assistant turn's calls
    as ``ToolCallBlock``s, a tool result with ``tool_call_id`` in ``additional_kwargs``)."""
    from llama_index.core.base.llms.types import ChatMessage, TextBlock, ToolCallBlock

    out: list[Any] = []
    for spec in llama_message_specs(request):
        if "tool_calls" in spec:
            blocks: list[Any] = [TextBlock(text=spec["content"])] if spec["content"] else []
            blocks += [ToolCallBlock(**call) for call in spec["tool_calls"]]
            out.append(ChatMessage(role="assistant", blocks=blocks))
        else:
            out.append(ChatMessage(**spec))
    return out


def llama_message_specs(request: Request) -> list[dict[str, Any]]:
    """The conversation as plain values: a ``ChatMessage``'s keyword arguments, or an
    assistant turn's ``content`` and ``tool_calls`` (each a ``ToolCallBlock``'s)."""
    out: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "tool":
            kwargs = {"tool_call_id": message.tool_call_id or ""}
            out.append({"role": "tool", "content": message.content, "additional_kwargs": kwargs})
        elif message.role == "assistant" and message.tool_calls:
            calls = [
                {
                    "tool_call_id": call.id or f"call_{m_index}_{c_index}",
                    "tool_name": call.name,
                    "tool_kwargs": call.arguments,
                }
                for c_index, call in enumerate(message.tool_calls)
            ]
            out.append({"role": "assistant", "content": message.content, "tool_calls": calls})
        else:
            out.append({"role": message.role, "content": message.content})
    return out
