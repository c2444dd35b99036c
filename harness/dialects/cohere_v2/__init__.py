"""The Cohere v2 chat wire (``POST /v2/chat``): named SSE events (``message-start``,
``content-*``, ``tool-call-*``, ``message-end``) or one chat response.

``synthesize`` compiles a scenario into the server's exchanges, ``read`` reads a recorded
reply and request back, ``normalize`` maps stream events (decoded JSON or the cohere SDK's
objects) onto harness events; :meth:`CohereV2Dialect.recognise` knows a recording by its
path or its ``message-start`` event.
"""

from __future__ import annotations

from harness.dialects import base
from harness.dialects.cohere_v2 import read, synthesize
from harness.dialects.cohere_v2.normalize import COHERE_FINISH, CohereNormalizer
from harness.dialects.cohere_v2.synthesize import PATH

__all__ = ["COHERE_FINISH", "DIALECT", "PATH", "CohereV2Dialect"]


class CohereV2Dialect(synthesize.CohereV2Dialect):
    """Synthesizes, reads, recognises and normalizes the Cohere v2 chat wire."""

    base_url = "https://api.cohere.com"
    reader = read
    normalizer = CohereNormalizer
    paths = ("/v2/chat",)
    markers = (b"event: message-start", b'"type":"message-start"')
    marker_score = base.BY_MARKER + 20


DIALECT = CohereV2Dialect()
