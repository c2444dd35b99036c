"""The ollama Python client (``ollama.Client(...).chat()``), on httpx.

Seam: ``ollama.Client(host=ctx.base_url, transport=ctx.transport("httpx"))``: the client
passes its keyword arguments to the ``httpx.Client`` it builds (``ollama/_client.py:
77-121``), so the transport is the library's own documented way in; nothing is patched.
The call is the synchronous ``chat(stream=True)`` (or ``stream=False``) an application
makes, each streamed ``ChatResponse`` read as it arrives (``_client.py:183-200``:
``iter_lines`` and one ``json.loads`` per line) and mapped by the Ollama dialect's
normalizer (:class:`harness.dialects.ollama.normalize.OllamaNormalizer`).

The model as the dialect names it (:func:`harness.dialects.ollama.ollama_model`), the
conversation as ollama messages (tool calls with their arguments as objects, a tool
result naming its tool, ``tool_name``), tools as function tools, ``max_tokens`` as
``options.num_predict``. ``ctx.api_key`` goes as a Bearer token (Ollama's cloud API takes
one; a local server ignores it). Retries as shipped: none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects.ollama import ollama_model
from harness.dialects.ollama.normalize import OllamaNormalizer
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import OLLAMA_SDK
from harness.scenario.model import Request
from harness.vocab.events import Event

__all__ = ["OllamaSDKDriver", "ollama_kwargs", "ollama_messages"]


class OllamaSDKDriver(DriverBase):
    """``ollama.Client(...).chat(stream=True)`` (or unstreamed), synchronous."""

    name: ClassVar[str] = "ollama-sdk"
    contract: ClassVar[Contract] = OLLAMA_SDK
    dialect: ClassVar[str] = "ollama"
    requires: ClassVar[tuple[str, ...]] = ("ollama",)
    extra: ClassVar[str] = "ollama"
    distributions: ClassVar[tuple[str, ...]] = ("ollama", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import ollama

        request = ctx.scenario.request
        headers = {"Authorization": f"Bearer {ctx.api_key}"}
        normalizer = OllamaNormalizer()
        with ollama.Client(
            host=ctx.base_url, headers=headers, transport=ctx.transport("httpx")
        ) as client:
            kwargs = ollama_kwargs(request)
            if not request.stream:
                response = client.chat(**kwargs, stream=False)
                for event in [*normalizer.feed(response), *normalizer.close()]:
                    yield event
                return
            for chunk in client.chat(**kwargs, stream=True):
                for event in normalizer.feed(chunk):
                    yield event
            for event in normalizer.close():
                yield event


def ollama_messages(request: Request) -> list[dict[str, Any]]:
    """The conversation as Ollama chat messages (a tool result names the tool of the call
    it answers, ``tool_name``)."""
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in request.messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            item["tool_calls"] = [
                {"function": {"name": call.name, "arguments": call.arguments}}
                for call in message.tool_calls
            ]
            names |= {call.id: call.name for call in message.tool_calls if call.id}
        if message.role == "tool":
            call_id = message.tool_call_id or ""
            item["tool_name"] = names.get(call_id, call_id)
        out.append(item)
    return out


def ollama_kwargs(request: Request) -> dict[str, Any]:
    """``chat``'s arguments (without ``stream``): model, messages, tools, options."""
    model = ollama_model(request.model)
    kwargs: dict[str, Any] = {"model": model, "messages": ollama_messages(request)}
    if request.tools:
        kwargs["tools"] = [
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
    if request.max_tokens is not None:
        kwargs["options"] = {"num_predict": request.max_tokens}
    return kwargs
