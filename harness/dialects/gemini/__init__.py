"""The Gemini API wire (``models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse``), as the Gemini Developer API and Vertex AI serve it.

``synthesize`` compiles a scenario into the server's exchanges, ``read`` reads a recorded
reply and request back, ``normalize`` maps ``GenerateContentResponse`` chunks (decoded JSON
or google-genai objects) onto harness events; :meth:`GeminiDialect.recognise` knows a
recording by its ``:generateContent`` / ``:streamGenerateContent`` path or the
``candidates`` and ``usageMetadata`` of its body. The wire carries no tool-call ids
(``call_ids``).
"""

from __future__ import annotations

from typing import ClassVar

from harness.dialects import base
from harness.dialects.gemini import read, synthesize
from harness.dialects.gemini.normalize import GeminiNormalizer
from harness.dialects.gemini.synthesize import (
    GENERATE,
    STREAM,
    gemini_error,
    gemini_model,
    model_path,
)

__all__ = [
    "DIALECT",
    "GENERATE",
    "STREAM",
    "GeminiDialect",
    "gemini_error",
    "gemini_model",
    "model_path",
]


class GeminiDialect(synthesize.GeminiDialect):
    """Synthesizes, reads, recognises and normalizes the Gemini wire."""

    base_url = "https://generativelanguage.googleapis.com"
    reader = read
    normalizer = GeminiNormalizer
    call_ids: ClassVar[bool] = False
    """The Gemini Developer API sends no ``functionCall.id``: a correct adapter may have
    none, or its own."""
    finish_names_tool_calls: ClassVar[bool] = False
    """A reply of function calls ends ``STOP``, as a text reply does."""
    paths = (GENERATE, STREAM)
    markers = (b'"candidates":', b'"candidates": ', b'"usageMetadata"')
    marker_score = base.BY_MARKER + 20
    """``candidates`` and ``usageMetadata`` are Gemini's own names."""

    def recognise(self, path: str, head: bytes) -> int:
        if path.split("?")[0].endswith(self.paths):
            return base.BY_PATH
        return super().recognise(path, head)


DIALECT = GeminiDialect()
