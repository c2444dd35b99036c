"""The OpenAI Python SDK's chat completions (``AsyncOpenAI.chat.completions.create``).

Seam: ``http_client=httpx.AsyncClient(transport=ctx.transport("httpx"))`` and
``base_url=ctx.base_url + "/v1"``; nothing is patched.

Retries: the SDK as shipped, ``max_retries=openai.DEFAULT_MAX_RETRIES`` (2), so a 429 or
5xx is retried twice with the SDK's own backoff and Retry-After handling; the run happens
on virtual time, so the waits cost nothing real and are measured. ``ctx.options
["max_retries"]`` overrides it (e.g. 0 to test a single attempt).

Streaming asks for ``stream_options={"include_usage": True}`` as an application that wants
usage must. Reasoning text is read from the extra ``reasoning_content`` field the SDK
keeps in ``model_extra``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.drivers.base import DriverContext
from harness.drivers.common import ChatStream, completion_events, openai_messages, openai_tools
from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI_SDK
from harness.scenario.model import Request, Scenario
from harness.vocab.events import Event

__all__ = ["OpenAIChatDriver", "OpenAISDKBase", "chat_kwargs"]


class OpenAISDKBase:
    """What the drivers of the ``openai`` package share: its contract and requirements, and
    an ``AsyncOpenAI`` on the replay with the SDK's shipped retries."""

    contract: ClassVar[Contract] = OPENAI_SDK
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ("openai",)
    extra: ClassVar[str] = "openai"
    distributions: ClassVar[tuple[str, ...]] = ("openai", "httpx")
    """Installed distributions whose versions the transcript records."""

    def supports(self, scenario: Scenario) -> str | None:
        return None

    def http_client(self, ctx: DriverContext) -> Any:
        """The async client the SDK sends with, on the replay (a subclass may change library)."""
        import httpx

        return httpx.AsyncClient(transport=ctx.transport("httpx"))

    def client(self, ctx: DriverContext, http: Any) -> Any:
        """``openai.AsyncOpenAI`` sending with ``http``; ``ctx.options["max_retries"]``
        overrides the shipped retries."""
        import openai

        return openai.AsyncOpenAI(
            base_url=ctx.base_url + "/v1",
            api_key=ctx.api_key,
            http_client=http,
            max_retries=ctx.options.get("max_retries", openai.DEFAULT_MAX_RETRIES),
        )


class OpenAIChatDriver(OpenAISDKBase):
    """``openai.AsyncOpenAI`` chat completions, streamed or not."""

    name: ClassVar[str] = "openai-sdk-chat"
    dialect: ClassVar[str] = "openai-chat"

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        request = ctx.scenario.request
        async with self.http_client(ctx) as http:
            client = self.client(ctx, http)
            kwargs = chat_kwargs(request)
            if not request.stream:
                response = await client.chat.completions.create(**kwargs, stream=False)
                for event in completion_events(response):
                    yield event
                return
            stream = await client.chat.completions.create(
                **kwargs, stream=True, stream_options={"include_usage": True}
            )
            mapper = ChatStream()
            async with stream:
                async for chunk in stream:
                    for event in mapper.feed(chunk):
                        yield event
            for event in mapper.close():
                yield event


def chat_kwargs(request: Request) -> dict[str, Any]:
    """``model``, ``messages``, and ``tools``/``max_tokens`` only when the scenario sets them."""
    kwargs: dict[str, Any] = {"model": request.model, "messages": openai_messages(request)}
    if request.tools:
        kwargs["tools"] = openai_tools(request)
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    return kwargs
