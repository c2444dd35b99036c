"""litellm's Bedrock Converse handler (``bedrock/converse/<model>``), unchanged.

litellm 1.82.5 sends Converse itself, on httpx: ``litellm/llms/bedrock/chat/
converse_handler.py`` signs the request with botocore's SigV4 and posts it with the
``AsyncHTTPHandler`` (:209-236 ``async_completion``; ``make_call`` in
``invoke_handler.py:185-215`` for a stream, whose AWS event stream its
``AWSEventStreamDecoder`` decodes), to ``{api_base}/model/{model}/converse[-stream]``.

Seam: the handler builds its own httpx client (``AsyncHTTPHandler`` takes no client), so
:func:`harness.drivers.litellm_hygiene.serving_handlers` puts the replay transport where
litellm picks one, as for ``litellm-azure-agents``; ``api_base=ctx.base_url``, with
placeholder AWS credentials. litellm checks the model id against its list of Bedrock
models before it sends tools (``UnsupportedParamsError`` for an id it does not know, as a
scenario's model is), so a request with tools names them in ``allowed_openai_params``, the
documented switch for that check. :mod:`harness.drivers.litellm_hygiene` imports litellm
offline and keeps runs apart; streams are mapped as for ``litellm-chat``
(:class:`harness.drivers.common.ChatStream`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.bedrock_boto3 import ACCESS_KEY, REGION
from harness.drivers.common import openai_messages, openai_tools
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_BEDROCK
from harness.drivers.litellm_chat import completion
from harness.vocab.events import Event

__all__ = ["LiteLLMBedrockDriver", "bedrock_kwargs"]


def bedrock_kwargs(ctx: DriverContext) -> dict[str, Any]:
    """``acompletion``'s arguments for the scenario's request (``bedrock/converse/<model>``)."""
    request = ctx.scenario.request
    kwargs: dict[str, Any] = {
        "model": f"bedrock/converse/{request.model}",
        "messages": openai_messages(request),
        "api_base": ctx.base_url,
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": ctx.api_key,
        "aws_region_name": REGION,
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


class LiteLLMBedrockDriver(DriverBase):
    """``litellm.acompletion(model="bedrock/converse/<model>", ...)``, streamed or not."""

    name: ClassVar[str] = "litellm-bedrock"
    contract: ClassVar[Contract] = LITELLM_BEDROCK
    dialect: ClassVar[str] = "bedrock-converse"
    requires: ClassVar[tuple[str, ...]] = ("litellm", "boto3")
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx", "botocore")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        try:
            with _litellm_env.serving_handlers(ctx.transport("httpx")):
                async with aclosing(completion(litellm, bedrock_kwargs(ctx))) as events:
                    async for event in events:
                        yield event
        finally:
            await _litellm_env.settle()
