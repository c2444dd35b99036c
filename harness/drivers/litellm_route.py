"""What litellm's provider routes share: ``acompletion``'s arguments for a scenario's
request and one run through litellm's own handlers.

litellm sends each provider route (``gemini/...``, ``ollama_chat/...``,
``bedrock/converse/...``, ``cohere_chat/v2/...``) with its own ``AsyncHTTPHandler``,
which takes no client, so :func:`harness.drivers.litellm_hygiene.serving_handlers` puts
the replay transport where litellm picks one, for the run only; nothing of the handlers is
patched. A route's driver says only what is its own (:meth:`LiteLLMRoute.route`: the model
name, ``api_base``, credentials); the messages, tools, ``max_tokens`` and retries are
passed the same way for every route, and streams are mapped like every litellm stream
(:func:`harness.drivers.litellm_chat.completion`). Retries as shipped: litellm's
``num_retries`` is unset, so nothing retries unless ``ctx.options["max_retries"]`` (the
option every driver takes) says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import openai_messages, openai_tools
from harness.drivers.litellm_chat import completion
from harness.vocab.events import Event

__all__ = ["LiteLLMRoute", "route_kwargs"]


def route_kwargs(
    ctx: DriverContext, route: dict[str, Any], *, name_tools: bool = False
) -> dict[str, Any]:
    """``acompletion``'s arguments: ``route`` (model, base, keys) and the request's
    messages, tools (named in ``allowed_openai_params`` when ``name_tools``: litellm's
    documented switch for a model it does not list as tool-capable), ``max_tokens`` and
    ``num_retries`` from ``ctx.options["max_retries"]``."""
    request = ctx.scenario.request
    kwargs: dict[str, Any] = {
        **route,
        "messages": openai_messages(request),
        "stream": request.stream,
    }
    if request.tools:
        kwargs["tools"] = openai_tools(request)
        if name_tools:
            kwargs["allowed_openai_params"] = ["tools"]
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if "max_retries" in ctx.options:
        kwargs["num_retries"] = ctx.options["max_retries"]
    return kwargs


class LiteLLMRoute(DriverBase):
    """One of litellm's provider handlers; a subclass names the route."""

    name: ClassVar[str]
    dialect: ClassVar[str]
    name_tools: ClassVar[bool] = False
    """Whether tools are named in ``allowed_openai_params`` (see :func:`route_kwargs`)."""
    requires: ClassVar[tuple[str, ...]] = ("litellm",)
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx")

    def route(self, ctx: DriverContext) -> dict[str, Any]:
        """The route's own arguments: ``model`` (with litellm's provider prefix), and
        ``api_base`` and credentials as the route takes them."""
        raise NotImplementedError

    def configure(self, litellm: Any, model: str) -> None:
        """What an application sets up for the model before calling (nothing by default)."""

    def kwargs(self, ctx: DriverContext) -> dict[str, Any]:
        """``acompletion``'s arguments for the scenario's request on this route."""
        return route_kwargs(ctx, self.route(ctx), name_tools=self.name_tools)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        kwargs = self.kwargs(ctx)
        self.configure(litellm, kwargs["model"])
        try:
            with _litellm_env.serving_handlers(ctx.transport("httpx")):
                async with aclosing(completion(litellm, kwargs)) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()
