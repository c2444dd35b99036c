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
offline and keeps runs apart; the rest is every litellm route's
(:class:`harness.drivers.litellm_route.LiteLLMRoute`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.drivers.base import DriverContext
from harness.drivers.bedrock_boto3 import ACCESS_KEY, REGION
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_BEDROCK
from harness.drivers.litellm_route import LiteLLMRoute

__all__ = ["LiteLLMBedrockDriver"]


class LiteLLMBedrockDriver(LiteLLMRoute):
    """``litellm.acompletion(model="bedrock/converse/<model>", ...)``, streamed or not."""

    name: ClassVar[str] = "litellm-bedrock"
    contract: ClassVar[Contract] = LITELLM_BEDROCK
    dialect: ClassVar[str] = "bedrock-converse"
    name_tools: ClassVar[bool] = True
    requires: ClassVar[tuple[str, ...]] = ("litellm", "boto3")
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "httpx", "botocore")

    def route(self, ctx: DriverContext) -> dict[str, Any]:
        return {
            "model": f"bedrock/converse/{ctx.scenario.request.model}",
            "api_base": ctx.base_url,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": ctx.api_key,
            "aws_region_name": REGION,
        }
