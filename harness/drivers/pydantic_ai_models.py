"""pydantic-ai's models driven directly, the layer every pydantic-ai agent calls:
``OpenAIChatModel``, ``OpenAIResponsesModel`` and ``AnthropicModel``, each through
``Model.request_stream`` (streamed) or ``Model.request`` (not), with the scenario's
conversation as message history and its tools as function tools.

Seams, the ones pydantic-ai documents (nothing is patched):

- OpenAI: ``OpenAIProvider(base_url=ctx.base_url + "/v1", api_key=...,
  http_client=httpx.AsyncClient(transport=ctx.transport("httpx")))``. Passing the
  ``http_client`` matters: without one the provider takes pydantic-ai's process-wide
  cached client (``cached_async_http_client``, pydantic_ai/providers/__init__.py), which a
  replay could never reach. The base URL is the provider's real one by default
  (harness serves at ``https://api.openai.com``), so host-dependent code runs as in
  production.
- Anthropic: ``AnthropicProvider(anthropic_client=anthropic.AsyncAnthropic(...,
  http_client=httpx.AsyncClient(...)))``, in an environment of its own with the anthropic
  0.x SDK: pydantic-ai 2.31.1 declares ``anthropic>=0.108.0`` with no upper bound, yet its
  AnthropicModel breaks before sending on the SDK pip picks today (anthropic 2.17, harness's
  main environment): ``BetaMessageParam(...)`` raises ``TypeError: Cannot instantiate
  typing.Union`` (pydantic_ai/models/anthropic.py:1867), and on anthropic 1.x
  ``beta.messages.create`` rejects ``temperature`` (:932). anthropic 0.125 is the newest
  release it runs on.

Retries: pydantic-ai adds none at this level; the SDK client's shipped ``max_retries`` (2)
apply. ``ctx.options["max_retries"]`` overrides them (the client is then built here and
handed over as ``openai_client=``).

Events: :mod:`harness.drivers.pydantic_ai_common`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar

from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import http_client
from harness.drivers.contract import Contract
from harness.drivers.contracts import PYDANTIC_AI_ANTHROPIC, PYDANTIC_AI_OPENAI
from harness.drivers.pydantic_ai_common import (
    PydanticAIStream,
    model_settings,
    pydantic_messages,
    request_parameters,
    response_end_events,
    response_events,
)
from harness.drivers.pydantic_ai_repro import model_recipe
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario
from harness.vocab.events import Event

__all__ = [
    "PydanticAIAnthropicDriver",
    "PydanticAIModelDriver",
    "PydanticAIOpenAIChatDriver",
    "PydanticAIOpenAIResponsesDriver",
    "anthropic_model",
    "openai_model",
]


class PydanticAIModelDriver(DriverBase):
    """A pydantic-ai ``Model`` on the replay: ``request_stream`` or ``request``."""

    extra: ClassVar[str] = "pydantic-ai"
    dialect: ClassVar[str]
    model_class: ClassVar[str]
    """The class in ``pydantic_ai.models.<provider>`` the driver builds."""

    @abstractmethod
    def model(self, ctx: DriverContext) -> AbstractAsyncContextManager[Any]:
        """The pydantic-ai model, sending to the replay while the context is open."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        request = ctx.scenario.request
        async with self.model(ctx) as model:
            messages = pydantic_messages(request)
            settings = model_settings(request)
            params = request_parameters(request)
            if not request.stream:
                response = await model.request(messages, settings, params)
                for event in response_events(response):
                    yield event
                return
            mapper = PydanticAIStream()
            async with model.request_stream(messages, settings, params) as streamed:
                async for item in streamed:
                    for event in mapper.feed(item):
                        yield event
                finished = streamed.get()
            for event in response_end_events(finished):
                yield event

    def repro(self, scenario: Scenario) -> Recipe:
        """The same model and call on the reproducer's transport
        (:mod:`harness.drivers.pydantic_ai_repro`)."""
        return model_recipe(scenario.request, self.model_class, self.dialect)


@asynccontextmanager
async def openai_model(ctx: DriverContext, cls_name: str) -> AsyncIterator[Any]:
    """``pydantic_ai.models.openai.<cls_name>`` on an ``OpenAIProvider`` sending with an
    httpx client on the replay."""
    import pydantic_ai.models.openai as models
    from pydantic_ai.providers.openai import OpenAIProvider

    async with http_client(ctx) as http:
        provider: Any
        if "max_retries" in ctx.options:
            import openai

            provider = OpenAIProvider(
                openai_client=openai.AsyncOpenAI(
                    base_url=ctx.base_url + "/v1",
                    api_key=ctx.api_key,
                    http_client=http,
                    max_retries=ctx.options["max_retries"],
                )
            )
        else:
            provider = OpenAIProvider(
                base_url=ctx.base_url + "/v1", api_key=ctx.api_key, http_client=http
            )
        yield getattr(models, cls_name)(ctx.scenario.request.model, provider=provider)


@asynccontextmanager
async def anthropic_model(ctx: DriverContext) -> AsyncIterator[Any]:
    """``AnthropicModel`` on an ``AnthropicProvider`` whose ``AsyncAnthropic`` (0.x) sends
    with an httpx client on the replay."""
    import anthropic
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    async with http_client(ctx) as http:
        client = anthropic.AsyncAnthropic(
            base_url=ctx.base_url,
            api_key=ctx.api_key,
            http_client=http,
            max_retries=ctx.options.get("max_retries", anthropic.DEFAULT_MAX_RETRIES),
        )
        provider = AnthropicProvider(anthropic_client=client)
        yield AnthropicModel(ctx.scenario.request.model, provider=provider)


class PydanticAIOpenAIChatDriver(PydanticAIModelDriver):
    """``pydantic_ai.models.openai.OpenAIChatModel`` (chat completions)."""

    name: ClassVar[str] = "pydantic-ai-openai-chat"
    dialect: ClassVar[str] = "openai-chat"
    contract: ClassVar[Contract] = PYDANTIC_AI_OPENAI
    requires: ClassVar[tuple[str, ...]] = ("pydantic_ai", "openai")
    distributions: ClassVar[tuple[str, ...]] = ("pydantic-ai-slim", "openai", "httpx")

    model_class: ClassVar[str] = "OpenAIChatModel"

    def model(self, ctx: DriverContext) -> AbstractAsyncContextManager[Any]:
        return openai_model(ctx, self.model_class)


class PydanticAIOpenAIResponsesDriver(PydanticAIModelDriver):
    """``pydantic_ai.models.openai.OpenAIResponsesModel`` (the Responses API)."""

    name: ClassVar[str] = "pydantic-ai-openai-responses"
    dialect: ClassVar[str] = "openai-responses"
    contract: ClassVar[Contract] = PYDANTIC_AI_OPENAI
    requires: ClassVar[tuple[str, ...]] = ("pydantic_ai", "openai")
    distributions: ClassVar[tuple[str, ...]] = ("pydantic-ai-slim", "openai", "httpx")

    model_class: ClassVar[str] = "OpenAIResponsesModel"

    def model(self, ctx: DriverContext) -> AbstractAsyncContextManager[Any]:
        return openai_model(ctx, self.model_class)


class PydanticAIAnthropicDriver(PydanticAIModelDriver):
    """``pydantic_ai.models.anthropic.AnthropicModel`` (the Messages API), with the anthropic
    0.x SDK in an environment of its own."""

    name: ClassVar[str] = "pydantic-ai-anthropic"
    dialect: ClassVar[str] = "anthropic-messages"
    contract: ClassVar[Contract] = PYDANTIC_AI_ANTHROPIC
    requires: ClassVar[tuple[str, ...]] = ("pydantic_ai", "anthropic")
    extra: ClassVar[str] = "pydantic-ai-anthropic"
    environment: ClassVar[tuple[str, ...]] = (
        "pydantic-ai-slim[anthropic]==2.31.1",
        "anthropic>=0.108,<1",
    )
    """Installed in a virtualenv of its own (see :mod:`harness.matrix.envs`)."""
    distributions: ClassVar[tuple[str, ...]] = ("pydantic-ai-slim", "anthropic", "httpx")

    model_class: ClassVar[str] = "AnthropicModel"

    def model(self, ctx: DriverContext) -> AbstractAsyncContextManager[Any]:
        return anthropic_model(ctx)
