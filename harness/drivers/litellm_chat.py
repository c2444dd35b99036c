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

import textwrap
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import (
    OPENAI_FINISH,
    ChatStream,
    completion_events,
    mapped_stream,
    openai_messages,
    openai_tools,
)
from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI_SDK_UNDER_LITELLM
from harness.drivers.recipe import CHAT_COMPLETION_READ, CHAT_HELPERS, CHAT_STREAM_READ, Recipe
from harness.scenario.model import Request, Scenario
from harness.vocab.events import Event

__all__ = [
    "LITELLM_IMPORTS",
    "LiteLLMChatDriver",
    "chat_kwargs",
    "chat_kwargs_of",
    "completion",
    "litellm_client",
]

LITELLM_IMPORTS = """\
import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # else importing litellm downloads a cost map

import httpx
import litellm
import openai
"""
"""A reproducer's imports for litellm (offline, as :mod:`litellm_hygiene` imports it)."""


def litellm_client(then: str) -> str:
    """A recipe body: ``client``, an ``AsyncOpenAI`` on the reproducer's transport (the
    client litellm is given, as the drivers do), then ``then`` inside its block."""
    return (
        "async with httpx.AsyncClient(transport=transport) as http:\n"
        '    client = openai.AsyncOpenAI(base_url=BASE_URL + "/v1", api_key=API_KEY, '
        "http_client=http)\n" + textwrap.indent(then, "    ")
    )


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

    def repro(self, scenario: Scenario) -> Recipe:
        """``litellm.acompletion`` with an ``AsyncOpenAI`` client on the reproducer's
        transport (``api_base``/``api_key`` as the driver passes them), read as above."""
        request = scenario.request
        kwargs = chat_kwargs_of(request)
        if request.stream:
            kwargs["stream_options"] = {"include_usage": True}
        call = (
            "response = await litellm.acompletion(\n"
            '    **REQUEST, api_base=BASE_URL + "/v1", api_key=API_KEY, client=client\n)\n'
        )
        if request.stream:
            call += "stream = response\n" + CHAT_STREAM_READ
        else:
            call += CHAT_COMPLETION_READ
        return Recipe(
            library="litellm",
            tracker="https://github.com/BerriAI/litellm/issues",
            imports=LITELLM_IMPORTS,
            request=kwargs,
            call=litellm_client(call),
            finish=dict(OPENAI_FINISH),
            helpers=CHAT_HELPERS,
        )


def chat_kwargs(ctx: DriverContext, api_base: str) -> dict[str, Any]:
    """``acompletion``'s arguments for the scenario's request (``openai/<model>``)."""
    kwargs = chat_kwargs_of(ctx.scenario.request)
    kwargs.update(api_base=api_base, api_key=ctx.api_key)
    if "max_retries" in ctx.options:
        kwargs["max_retries"] = ctx.options["max_retries"]
    return kwargs


def chat_kwargs_of(request: Request) -> dict[str, Any]:
    """The request's part of ``acompletion``'s arguments: model, messages, stream, tools and
    max_tokens when set."""
    kwargs: dict[str, Any] = {
        "model": f"openai/{request.model}",
        "messages": openai_messages(request),
        "stream": request.stream,
    }
    if request.tools:
        kwargs["tools"] = openai_tools(request)
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
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
