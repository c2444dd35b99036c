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

import importlib
import textwrap
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import (
    OPENAI_FINISH,
    ChatStream,
    completion_events,
    http_client,
    mapped_stream_in,
    openai_messages,
    openai_tools,
)
from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI_SDK
from harness.drivers.recipe import CHAT_COMPLETION_READ, CHAT_HELPERS, CHAT_STREAM_READ, Recipe
from harness.scenario.model import Request, Scenario
from harness.vocab.events import Event

__all__ = ["OPENAI_TRACKER", "OpenAIChatDriver", "OpenAISDKBase", "chat_kwargs", "openai_client"]

OPENAI_TRACKER = "https://github.com/openai/openai-python/issues"

OPENAI_IMPORTS = "import httpx\nimport openai\n"

OPENAI_CLIENT = """\
async with httpx.AsyncClient(transport=transport) as http:
    client = openai.AsyncOpenAI(base_url=BASE_URL + "/v1", api_key=API_KEY, http_client=http)
"""


def openai_client(then: str) -> str:
    """A recipe body: ``client``, an ``AsyncOpenAI`` on the reproducer's transport (with
    the SDK's shipped retries, as the drivers use it), then ``then`` inside its block."""
    return OPENAI_CLIENT + textwrap.indent(then, "    ")


class OpenAISDKBase(DriverBase):
    """What the drivers of the ``openai`` package share: its contract and requirements, and
    a run that opens an ``AsyncOpenAI`` on the replay with the SDK's shipped retries and
    yields what :meth:`events` makes of the scenario's request with it."""

    contract: ClassVar[Contract] = OPENAI_SDK
    requires: ClassVar[tuple[str, ...]] = ("openai",)
    extra: ClassVar[str] = "openai"
    distributions: ClassVar[tuple[str, ...]] = ("openai", "httpx")

    def http_client(self, ctx: DriverContext) -> Any:
        """The async client the SDK sends with, on the replay (``http_library``)."""
        return http_client(ctx, self.http_library)

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

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        if ctx.kept is not None:  # a warm session: one client for every run
            async with aclosing(self.events(self.kept_client(ctx), ctx.scenario.request)) as each:
                async for event in each:
                    yield event
            return
        async with self.http_client(ctx) as http:
            events = self.events(self.client(ctx, http), ctx.scenario.request)
            async with aclosing(events) as each:
                async for event in each:
                    yield event

    def kept_client(self, ctx: DriverContext) -> Any:
        """The session's ``AsyncOpenAI`` for these options, its transport on this run's
        replay and its cookies cleared (as a new client would have none)."""
        assert ctx.kept is not None
        retries = ctx.options.get("max_retries")
        key = (type(self), ctx.base_url, ctx.api_key, retries)

        def make() -> tuple[Any, Any, Any]:
            transport = ctx.transport(self.http_library)
            http = importlib.import_module(self.http_library).AsyncClient(transport=transport)
            return transport, http, self.client(ctx, http)

        transport, http, client = ctx.kept.get(key, make, lambda kept: kept[1].aclose())
        transport.replay = ctx.replay
        http.cookies.clear()
        return client

    @abstractmethod
    def events(self, client: Any, request: Request) -> AsyncGenerator[Event, None]:
        """The request sent with ``client`` (an ``AsyncOpenAI``), its output as events."""


class OpenAIChatDriver(OpenAISDKBase):
    """``openai.AsyncOpenAI`` chat completions, streamed or not."""

    name: ClassVar[str] = "openai-sdk-chat"
    dialect: ClassVar[str] = "openai-chat"

    async def events(self, client: Any, request: Request) -> AsyncGenerator[Event, None]:
        kwargs = chat_kwargs(request)
        if not request.stream:
            response = await client.chat.completions.create(**kwargs, stream=False)
            for event in completion_events(response):
                yield event
            return
        stream = await client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        async with aclosing(mapped_stream_in(stream, ChatStream())) as events:
            async for event in events:
                yield event

    def repro(self, scenario: Scenario) -> Recipe:
        """``chat.completions.create`` on the reproducer's transport, read as above."""
        request = scenario.request
        kwargs = chat_kwargs(request)
        if request.stream:
            kwargs.update(stream=True, stream_options={"include_usage": True})
            then = "stream = await client.chat.completions.create(**REQUEST)\n" + CHAT_STREAM_READ
        else:
            then = "response = await client.chat.completions.create(**REQUEST)\n"
            then += CHAT_COMPLETION_READ
        return Recipe(
            library="openai-python",
            tracker=OPENAI_TRACKER,
            imports=OPENAI_IMPORTS,
            request=kwargs,
            call=openai_client(then),
            finish=dict(OPENAI_FINISH),
            helpers=CHAT_HELPERS,
        )


def chat_kwargs(request: Request) -> dict[str, Any]:
    """``model``, ``messages``, and ``tools``/``max_tokens`` only when the scenario sets them."""
    kwargs: dict[str, Any] = {"model": request.model, "messages": openai_messages(request)}
    if request.tools:
        kwargs["tools"] = openai_tools(request)
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    return kwargs
