"""llama-stack-client's Responses API (``AsyncLlamaStackClient.responses.create``).

This is the client side of the OpenAI-compatible Responses stream that llama-stack serves
and that Responses-API consumers re-emit, so it runs on the ``openai-responses`` dialect.
The client posts to ``/v1/openai/v1/responses``; the dialect's exchanges use the path
``/v1/responses`` and the replay matches paths by suffix, so ``base_url=ctx.base_url``
works with no per-driver path (the ``sent`` expectations see the real path).

Seam: ``http_client=httpx.AsyncClient(transport=ctx.transport("httpx"))``; nothing is
patched. Retries as shipped (the client's ``DEFAULT_MAX_RETRIES``);
``ctx.options["max_retries"]`` overrides.

The client (0.2.12) knows only part of the stream: it has no types for
``response.in_progress``, the content-part, reasoning, ``response.failed`` and
``response.incomplete`` events, nor a ``usage`` field. It builds those without
validation, as its first event type with the real ``type`` kept and unknown fields as
dicts; :class:`~harness.drivers.openai_sdk_responses.ResponsesStream` reads them by duck
typing, exactly as an application reading ``event.type`` would. ``create`` has no
``max_output_tokens`` parameter, so ``request.max_tokens`` is not sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import sdk_client
from harness.drivers.contract import Contract
from harness.drivers.contracts import LLAMA_STACK_CLIENT
from harness.drivers.openai_sdk_responses import create_and_map, responses_kwargs
from harness.vocab.events import Event

__all__ = ["LlamaStackResponsesDriver"]


class LlamaStackResponsesDriver(DriverBase):
    """``llama_stack_client.AsyncLlamaStackClient().responses.create``, streamed or not."""

    name: ClassVar[str] = "llama-stack-responses"
    contract: ClassVar[Contract] = LLAMA_STACK_CLIENT
    dialect: ClassVar[str] = "openai-responses"
    requires: ClassVar[tuple[str, ...]] = ("llama_stack_client", "fire")
    """``fire`` too: llama-stack-client 0.2.12 imports it without declaring it."""
    extra: ClassVar[str] = "llama-stack"
    distributions: ClassVar[tuple[str, ...]] = ("llama-stack-client", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from llama_stack_client import DEFAULT_MAX_RETRIES, AsyncLlamaStackClient

        request = ctx.scenario.request
        async with sdk_client(ctx, AsyncLlamaStackClient, DEFAULT_MAX_RETRIES) as client:
            kwargs = responses_kwargs(request)
            async for event in create_and_map(client, kwargs, stream=request.stream):
                yield event
