"""litellm's own handlers of two non-OpenAI wires, called as an application calls them:
``litellm.acompletion(model="gemini/<model>")`` (Google AI Studio's Gemini API) and
``litellm.acompletion(model="ollama_chat/<model>")`` (Ollama's ``/api/chat``).

Seam: neither route takes a ``client``; litellm sends with its own ``AsyncHTTPHandler``,
so :func:`harness.drivers.litellm_hygiene.serving_handlers` puts the replay transport where
litellm picks one (``AsyncHTTPHandler._create_async_transport``) for the run only, as for
litellm's Azure AI Agents route. Nothing of the handlers is patched.

What is passed: the model as each dialect names it (:func:`harness.dialects.gemini.
gemini_model`, :func:`harness.dialects.ollama.ollama_model`), the messages as chat
messages, the tools as OpenAI tools, ``max_tokens``,
``api_key`` (Gemini: sent as ``x-goog-api-key``; Ollama: unused by a local server) and,
for Ollama, ``api_base`` (the replay's base URL; Gemini keeps litellm's own
``generativelanguage.googleapis.com`` URL, which the replay serves). Streams are read as
litellm yields them (OpenAI-shaped chunks, ``stream_options={"include_usage": True}``) and
mapped like every litellm stream (:class:`harness.drivers.common.ChatStream`). Retries as
shipped: litellm's ``num_retries`` is unset and these handlers have no SDK underneath, so
nothing retries unless ``ctx.options["num_retries"]`` says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.dialects.gemini import gemini_model
from harness.dialects.ollama import ollama_model
from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import (
    ChatStream,
    completion_events,
    mapped_stream,
    openai_messages,
    openai_tools,
)
from harness.vocab.events import Event

__all__ = ["LiteLLMGeminiDriver", "LiteLLMOllamaDriver", "native_kwargs"]


class _LiteLLMNative(DriverBase):
    """One of litellm's own provider handlers; subclasses name the route."""

    name: ClassVar[str]
    dialect: ClassVar[str]
    prefix: ClassVar[str]
    """litellm's provider prefix of the model name (``gemini``, ``ollama_chat``)."""
    own_base: ClassVar[bool]
    """Whether ``api_base`` is passed (False: litellm's default URL for the provider)."""
    requires: ClassVar[tuple[str, ...]] = ("litellm",)
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx")

    def configure(self, litellm: Any, model: str) -> None:
        """What an application sets up for the model before calling (nothing by default)."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        kwargs = native_kwargs(ctx, self.prefix, api_base=self.own_base)
        self.configure(litellm, kwargs["model"])
        try:
            with _litellm_env.serving_handlers(ctx.transport("httpx")):
                if not kwargs["stream"]:
                    response = await litellm.acompletion(**kwargs)
                    for event in completion_events(response):
                        yield event
                    return
                stream = await litellm.acompletion(**kwargs, stream_options={"include_usage": True})
                async with aclosing(mapped_stream(stream, ChatStream())) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()


def native_kwargs(ctx: DriverContext, prefix: str, *, api_base: bool) -> dict[str, Any]:
    """``acompletion``'s arguments for the scenario's request on route ``prefix``."""
    request = ctx.scenario.request
    model = gemini_model(request.model) if prefix == "gemini" else ollama_model(request.model)
    kwargs: dict[str, Any] = {
        "model": f"{prefix}/{model}",
        "messages": openai_messages(request),
        "api_key": ctx.api_key,
        "stream": request.stream,
    }
    if api_base:
        kwargs["api_base"] = ctx.base_url
    if request.tools:
        kwargs["tools"] = openai_tools(request)
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if "num_retries" in ctx.options:
        kwargs["num_retries"] = ctx.options["num_retries"]
    return kwargs


class LiteLLMGeminiDriver(_LiteLLMNative):
    """``litellm.acompletion(model="gemini/<model>")``: litellm's Gemini handler."""

    name: ClassVar[str] = "litellm-gemini"
    dialect: ClassVar[str] = "gemini"
    prefix: ClassVar[str] = "gemini"
    own_base: ClassVar[bool] = False


class LiteLLMOllamaDriver(_LiteLLMNative):
    """``litellm.acompletion(model="ollama_chat/<model>")``: litellm's Ollama chat handler."""

    name: ClassVar[str] = "litellm-ollama"
    dialect: ClassVar[str] = "ollama"
    prefix: ClassVar[str] = "ollama_chat"
    own_base: ClassVar[bool] = True

    def configure(self, litellm: Any, model: str) -> None:
        """Register the model in litellm's model map, as an application that configures its
        models does: for a model it does not know, litellm asks the server's ``/api/show``
        first (``litellm/utils.py:5550-5553``, ``litellm/llms/ollama/completion/
        transformation.py:226-250``), an Ollama endpoint the ollama dialect does not script."""
        litellm.register_model(
            {
                model: {
                    "litellm_provider": "ollama_chat",
                    "mode": "chat",
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                    "supports_function_calling": True,
                }
            }
        )
