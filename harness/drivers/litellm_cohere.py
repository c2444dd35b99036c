"""litellm's Cohere v2 chat route (``cohere_chat/v2/<model>``), unchanged.

litellm 1.82.5 picks Cohere's v2 API for a model named ``v2/...``
(``litellm/main.py:2981-3040``: ``CohereModelInfo.get_cohere_route``, the ``v2/`` prefix
dropped before the call, ``api_base`` the whole ``/v2/chat`` URL) and sends it with its
``base_llm_http_handler`` and ``CohereV2ChatConfig``
(``litellm/llms/cohere/chat/v2_transformation.py``), on httpx.

Seam: litellm's handlers build their own httpx clients, so
:func:`harness.drivers.litellm_hygiene.serving_handlers` puts the replay transport where
litellm picks one, as for ``litellm-bedrock``; ``api_base=ctx.base_url + "/v2/chat"``.
Streams are mapped as for ``litellm-chat`` (:class:`harness.drivers.common.ChatStream`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.common import openai_messages, openai_tools
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_COHERE
from harness.drivers.litellm_chat import completion
from harness.vocab.events import Event

__all__ = ["LiteLLMCohereDriver", "cohere_chat_kwargs"]


def cohere_chat_kwargs(ctx: DriverContext) -> dict[str, Any]:
    """``acompletion``'s arguments for the scenario's request (``cohere_chat/v2/<model>``)."""
    request = ctx.scenario.request
    kwargs: dict[str, Any] = {
        "model": f"cohere_chat/v2/{request.model}",
        "messages": openai_messages(request),
        "api_base": ctx.base_url + "/v2/chat",
        "api_key": ctx.api_key,
        "stream": request.stream,
    }
    if request.tools:
        kwargs["tools"] = openai_tools(request)
        kwargs["allowed_openai_params"] = ["tools"]
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if "max_retries" in ctx.options:
        kwargs["num_retries"] = ctx.options["max_retries"]
    return kwargs


class LiteLLMCohereDriver(DriverBase):
    """``litellm.acompletion(model="cohere_chat/v2/<model>", ...)``, streamed or not."""

    name: ClassVar[str] = "litellm-cohere"
    contract: ClassVar[Contract] = LITELLM_COHERE
    dialect: ClassVar[str] = "cohere-v2"
    requires: ClassVar[tuple[str, ...]] = ("litellm",)
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        try:
            with _litellm_env.serving_handlers(ctx.transport("httpx")):
                async with aclosing(completion(litellm, cohere_chat_kwargs(ctx))) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()
