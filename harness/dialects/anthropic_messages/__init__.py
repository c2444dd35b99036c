"""The Anthropic Messages wire (``POST /v1/messages``).

``synthesize`` compiles a scenario into the server's exchanges and ``read`` reads a
recorded reply and request back; :meth:`AnthropicMessagesDialect.recognise` knows a
recording by its path, ``message_start`` or a ``message`` object. No wire-level
normalizer: the driver maps the SDK's typed events (``harness.drivers.anthropic_sdk``).
"""

from __future__ import annotations

from harness.dialects import base
from harness.dialects.anthropic_messages import read, synthesize
from harness.dialects.anthropic_messages.synthesize import PATH

__all__ = ["DIALECT", "PATH", "AnthropicMessagesDialect"]


class AnthropicMessagesDialect(synthesize.AnthropicMessagesDialect):
    """Synthesizes, reads and recognises the Messages wire."""

    base_url = "https://api.anthropic.com"
    reader = read
    normalizer = None
    paths = ("/v1/messages", "/anthropic/messages")
    markers = (b"event: message_start", b'"type":"message"', b'"type": "message"')
    marker_score = base.BY_MARKER + 10
    """``"type":"message"`` is also a Responses output item: below the Responses markers."""


DIALECT = AnthropicMessagesDialect()
