"""litellm's ``acompletion`` against an OpenAI-compatible endpoint (``openai/<model>``).

Seam: ``client=openai.AsyncOpenAI(base_url=ctx.base_url + "/v1", api_key=ctx.api_key,
http_client=httpx.AsyncClient(transport=ctx.transport("httpx")))``, plus the same
``api_base``/``api_key`` as keyword arguments. litellm sends the request with the client
it is given (its ``api_base`` then only feeds logging), so no litellm internals are
patched. :mod:`harness.drivers.litellm_hygiene` imports litellm offline and keeps runs apart.

Retries, as shipped: litellm's own layer does not retry (``num_retries`` is unset), and the
OpenAI client it calls gets ``max_retries=2``: litellm pops ``max_retries`` from the call
with a default of 2 and writes it onto the client, even an injected one. So a default
litellm call is retried twice by the OpenAI SDK, with the SDK's backoff and Retry-After
handling; on virtual time this costs nothing real. ``ctx.options["max_retries"]`` is
passed through to ``acompletion`` when set.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import (
    ChatStream,
    completion_events,
    mapped_stream,
    openai_messages,
    openai_tools,
)
from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI_SDK_UNDER_LITELLM
from harness.vocab.events import Event

__all__ = ["LiteLLMChatDriver", "chat_kwargs", "completion"]


class LiteLLMChatDriver(DriverBase):
    """``litellm.acompletion(model="openai/<model>", ...)``, streamed or not."""

    name: ClassVar[str] = "litellm-chat"
    contract: ClassVar[Contract] = OPENAI_SDK_UNDER_LITELLM
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("litellm", "openai")
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "openai", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        import httpx
        import openai

        _litellm_env.flush_clients()
        api_base = ctx.base_url + "/v1"
        try:
            async with httpx.AsyncClient(transport=ctx.transport("httpx")) as http:
                kwargs = chat_kwargs(ctx, api_base)
                kwargs["client"] = openai.AsyncOpenAI(
                    base_url=api_base, api_key=ctx.api_key, http_client=http
                )
                async with aclosing(completion(litellm, kwargs)) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()


def chat_kwargs(ctx: DriverContext, api_base: str) -> dict[str, Any]:
    """``acompletion``'s arguments for the scenario's request (``openai/<model>``)."""
    request = ctx.scenario.request
    kwargs: dict[str, Any] = {
        "model": f"openai/{request.model}",
        "messages": openai_messages(request),
        "api_base": api_base,
        "api_key": ctx.api_key,
        "stream": request.stream,
    }
    if request.tools:
        kwargs["tools"] = openai_tools(request)
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if "max_retries" in ctx.options:
        kwargs["max_retries"] = ctx.options["max_retries"]
    return kwargs


async def completion(litellm: Any, kwargs: dict[str, Any]) -> AsyncGenerator[Event, None]:
    """The events of one ``acompletion`` call: a completion, or its stream as it arrives
    (with usage asked for)."""
    if not kwargs["stream"]:
        for event in completion_events(await litellm.acompletion(**kwargs)):
            yield event
        return
    stream = await litellm.acompletion(**kwargs, stream_options={"include_usage": True})
    async with aclosing(mapped_stream(stream, ChatStream())) as events:
        async for event in events:
            yield event
