"""litellm's own handlers of two non-OpenAI wires, called as an application calls them:
``litellm.acompletion(model="gemini/<model>")`` (Google AI Studio's Gemini API) and
``litellm.acompletion(model="ollama_chat/<model>")`` (Ollama's ``/api/chat``).

Seam and run: every litellm route's (:class:`harness.drivers.litellm_route.LiteLLMRoute`).

What is passed: the model as each dialect names it (:func:`harness.dialects.gemini.
gemini_model`, :func:`harness.dialects.ollama.ollama_model`), ``api_key`` (Gemini: sent as
``x-goog-api-key``; Ollama: unused by a local server) and, for Ollama, ``api_base`` (the
replay's base URL; Gemini keeps litellm's own ``generativelanguage.googleapis.com`` URL,
which the replay serves). These handlers have
no SDK underneath: nothing retries unless ``ctx.options["max_retries"]`` says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.dialects.gemini import gemini_model
from harness.dialects.ollama import ollama_model
from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_GEMINI, LITELLM_OLLAMA
from harness.drivers.litellm_route import LiteLLMRoute

__all__ = ["LiteLLMGeminiDriver", "LiteLLMOllamaDriver"]


class LiteLLMGeminiDriver(LiteLLMRoute):
    """``litellm.acompletion(model="gemini/<model>")``: litellm's Gemini handler."""

    name: ClassVar[str] = "litellm-gemini"
    contract: ClassVar[Contract] = LITELLM_GEMINI
    dialect: ClassVar[str] = "gemini"

    def route(self, ctx: DriverContext) -> dict[str, Any]:
        # litellm's own generativelanguage.googleapis.com URL, which the replay serves
        model = gemini_model(ctx.scenario.request.model)
        return {"model": f"gemini/{model}", "api_key": ctx.api_key}


class LiteLLMOllamaDriver(LiteLLMRoute):
    """``litellm.acompletion(model="ollama_chat/<model>")``: litellm's Ollama chat handler."""

    name: ClassVar[str] = "litellm-ollama"
    contract: ClassVar[Contract] = LITELLM_OLLAMA
    dialect: ClassVar[str] = "ollama"

    def route(self, ctx: DriverContext) -> dict[str, Any]:
        model = ollama_model(ctx.scenario.request.model)
        return {"model": f"ollama_chat/{model}", "api_key": ctx.api_key, "api_base": ctx.base_url}

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
