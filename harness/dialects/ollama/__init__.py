"""Ollama's chat API (``POST /api/chat``): NDJSON streams, not SSE.

``synthesize`` compiles a scenario into the server's exchanges, ``read`` reads a recorded
reply and request back, ``normalize`` maps chat objects (decoded JSON lines or the ollama
SDK's ``ChatResponse``) onto harness events; :meth:`OllamaDialect.recognise` knows a
recording by its ``/api/chat`` path or the ``done`` and ``eval_count`` of its lines. The
wire carries no tool-call ids (``call_ids``).
"""

from __future__ import annotations

from typing import ClassVar

from harness.dialects import base
from harness.dialects.ollama import read, synthesize
from harness.dialects.ollama.normalize import OllamaNormalizer
from harness.dialects.ollama.synthesize import PATH, ollama_error, ollama_model

__all__ = ["DIALECT", "PATH", "OllamaDialect", "ollama_error", "ollama_model"]


class OllamaDialect(synthesize.OllamaDialect):
    """Synthesizes, reads, recognises and normalizes Ollama's chat wire."""

    base_url = "http://localhost:11434"
    reader = read
    normalizer = OllamaNormalizer
    call_ids: ClassVar[bool] = False
    """Ollama sends no tool-call id (a tool result names its tool)."""
    finish_names_tool_calls: ClassVar[bool] = False
    """A reply of tool calls ends ``done_reason: "stop"``, as a text reply does."""
    paths = (PATH,)
    markers = (b'"done":false', b'"done":true', b'"done": false', b'"eval_count"')
    marker_score = base.BY_MARKER + 20
    """``done`` and ``eval_count`` are Ollama's own names."""


DIALECT = OllamaDialect()
