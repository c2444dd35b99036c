"""litellm's Cohere v2 chat route (``cohere_chat/v2/<model>``), unchanged.

litellm 1.82.5 picks Cohere's v2 API for a model named ``v2/...``
(``litellm/main.py:2981-3040``: ``CohereModelInfo.get_cohere_route``, the ``v2/`` prefix
dropped before the call, ``api_base`` the whole ``/v2/chat`` URL) and sends it with its
``base_llm_http_handler`` and ``CohereV2ChatConfig``
(``litellm/llms/cohere/chat/v2_transformation.py``), on httpx.

Seam: litellm's handlers build their own httpx clients, so
:func:`harness.drivers.litellm_hygiene.serving_handlers` puts the replay transport where
litellm picks one, as for ``litellm-bedrock``; ``api_base=ctx.base_url + "/v2/chat"``.
A stream is n/a here, harness's limit and not litellm's: Cohere's API streams in two
forms, Server-Sent Events, which the cohere SDK reads (``cohere/v2/raw_client.py:239-240``),
and one JSON object per line, which a request with ``Accept: application/json`` gets and
litellm sends and reads (``litellm/llms/cohere/common_utils.py:103-111``; its stream
iterator ``json.loads`` each line, :385-396). The cohere-v2 dialect serves the
SSE form only; the JSON-lines form is to come. The rest is every litellm route's
(:class:`harness.drivers.litellm_route.LiteLLMRoute`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_COHERE
from harness.drivers.litellm_route import LiteLLMRoute
from harness.scenario.model import Scenario

__all__ = ["LiteLLMCohereDriver"]


class LiteLLMCohereDriver(LiteLLMRoute):
    """``litellm.acompletion(model="cohere_chat/v2/<model>", ...)``, streamed or not."""

    name: ClassVar[str] = "litellm-cohere"
    contract: ClassVar[Contract] = LITELLM_COHERE
    dialect: ClassVar[str] = "cohere-v2"
    name_tools: ClassVar[bool] = True

    def route(self, ctx: DriverContext) -> dict[str, Any]:
        return {
            "model": f"cohere_chat/v2/{ctx.scenario.request.model}",
            "api_base": ctx.base_url + "/v2/chat",
            "api_key": ctx.api_key,
        }

    def supports(self, scenario: Scenario) -> str | None:
        if scenario.request.stream:
            return (
                "litellm asks Cohere for a stream as JSON lines (Accept: application/json); "
                "the cohere-v2 dialect serves the Server-Sent Events form only"
            )
        return None
