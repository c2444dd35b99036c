"""The Cohere Python SDK (``cohere.AsyncClientV2().chat_stream`` / ``.chat``), on httpx.

Seam: ``httpx_client=httpx.AsyncClient(transport=ctx.transport("httpx"))`` and
``base_url=ctx.base_url``; nothing is patched. Retries as shipped (``max_retries`` 2,
``cohere/base_client.py:1711``); ``ctx.options["max_retries"]`` overrides. The stream's
``StreamedChatResponseV2`` objects are mapped by the dialect's normalizer
(:class:`harness.dialects.cohere_v2.normalize.CohereNormalizer`), which reads them by duck
typing; a non-streamed reply by :func:`~harness.dialects.cohere_v2.normalize.chat_response_events`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects.cohere_v2.normalize import CohereNormalizer, chat_response_events
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import http_client
from harness.drivers.contract import Contract
from harness.drivers.contracts import COHERE_SDK
from harness.scenario.model import Request
from harness.vocab.events import Event

__all__ = ["CohereSDKDriver", "cohere_kwargs"]


def cohere_kwargs(request: Request) -> dict[str, Any]:
    """``chat``/``chat_stream``'s arguments: ``model``, ``messages`` (tool calls with JSON
    text arguments, tool results with ``tool_call_id``), ``tools`` and ``max_tokens``."""
    messages: list[dict[str, Any]] = []
    for m_index, message in enumerate(request.messages):
        if message.role == "tool":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id or "",
                    "content": message.content,
                }
            )
        elif message.role == "assistant" and message.tool_calls:
            calls = [
                {
                    "id": call.id or f"call_{m_index}_{c_index}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for c_index, call in enumerate(message.tool_calls)
            ]
            entry: dict[str, Any] = {"role": "assistant", "tool_calls": calls}
            if message.content:
                entry["content"] = message.content
            messages.append(entry)
        else:
            messages.append({"role": message.role, "content": message.content})
    kwargs: dict[str, Any] = {"model": request.model, "messages": messages}
    if request.tools:
        kwargs["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in request.tools
        ]
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    return kwargs


class CohereSDKDriver(DriverBase):
    """``cohere.AsyncClientV2``: ``chat_stream()`` or ``chat()``."""

    name: ClassVar[str] = "cohere-sdk"
    contract: ClassVar[Contract] = COHERE_SDK
    dialect: ClassVar[str] = "cohere-v2"
    requires: ClassVar[tuple[str, ...]] = ("cohere",)
    extra: ClassVar[str] = "cohere"
    distributions: ClassVar[tuple[str, ...]] = ("cohere", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        import cohere

        request = ctx.scenario.request
        async with http_client(ctx) as http:
            client = cohere.AsyncClientV2(
                api_key=ctx.api_key,
                base_url=ctx.base_url,
                httpx_client=http,
                max_retries=ctx.options.get("max_retries", 2),
            )
            kwargs = cohere_kwargs(request)
            if not request.stream:
                for event in chat_response_events(await client.chat(**kwargs)):
                    yield event
                return
            normalizer = CohereNormalizer()
            async for item in client.chat_stream(**kwargs):
                for event in normalizer.feed(item):
                    yield event
            for event in normalizer.close():
                yield event
