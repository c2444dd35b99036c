"""An LLM gateway's JSON API (``POST /api/v1/llm/chat`` and ``/chat/stream``).

``synthesize`` compiles a scenario into the gateway's exchanges and ``read`` reads a
recorded reply and request back; :meth:`GatewayDialect.recognise` knows a recording by its
path or the ``is_final`` of its chunks. No wire-level normalizer: the gateway client maps
its own chunks (``harness.drivers.gateway_client``).
"""

from __future__ import annotations

from harness.dialects import base
from harness.dialects.gateway import read, synthesize
from harness.dialects.gateway.synthesize import CHAT_PATH, STREAM_PATH, gateway_error_payload

__all__ = ["CHAT_PATH", "DIALECT", "STREAM_PATH", "GatewayDialect", "gateway_error_payload"]


class GatewayDialect(synthesize.GatewayDialect):
    """Synthesizes, reads and recognises the gateway's wire."""

    base_url = None  # no single provider owns it
    reader = read
    normalizer = None
    paths = ("/llm/chat", "/llm/chat/stream")
    markers = (b'"is_final":',)
    marker_score = base.BY_MARKER + 40
    """No other wire has ``"is_final"``: the surest marker."""


DIALECT = GatewayDialect()
