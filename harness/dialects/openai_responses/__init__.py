"""The OpenAI Responses wire (``POST /v1/responses``).

``synthesize`` compiles a scenario into the server's exchanges and ``read`` reads a
recorded reply and request back; :meth:`OpenAIResponsesDialect.recognise` knows a
recording by its path, its ``response.*`` events or its ``response`` object. No wire-level
normalizer: the drivers map the SDK's typed events (``harness.drivers.openai_sdk_responses``).
"""

from __future__ import annotations

from typing import ClassVar

from harness.dialects import base
from harness.dialects.openai_responses import read, synthesize
from harness.dialects.openai_responses.synthesize import PATH

__all__ = ["DIALECT", "PATH", "OpenAIResponsesDialect"]


class OpenAIResponsesDialect(synthesize.OpenAIResponsesDialect):
    """Synthesizes, reads and recognises the Responses wire."""

    base_url = "https://api.openai.com"
    reader = read
    normalizer = None
    paths = ("/responses",)
    markers = (b"event: response.", b'"object":"response"', b'"object": "response"')
    marker_score = base.BY_MARKER + 20
    """Surer than Anthropic's ``"type":"message"``, which Responses output items carry too."""
    finish_names_tool_calls: ClassVar[bool] = False
    """A response of function calls ends ``status: "completed"``, as a text one does."""


DIALECT = OpenAIResponsesDialect()
