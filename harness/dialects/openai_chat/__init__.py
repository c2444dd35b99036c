"""The OpenAI Chat Completions wire (``POST /v1/chat/completions``), and the compatible
APIs of Azure OpenAI, Groq, Mistral, OpenRouter, DeepSeek...

``synthesize`` compiles a scenario into the server's exchanges, ``read`` reads a recorded
reply and request back, ``normalize`` maps chat-completion chunks (decoded JSON or SDK
objects) onto harness events; :meth:`OpenAIChatDialect.recognise` knows a recording by
its path or its ``chat.completion`` objects.
"""

from __future__ import annotations

from harness.dialects import base
from harness.dialects.openai_chat import read, synthesize
from harness.dialects.openai_chat.normalize import OPENAI_FINISH, ChatNormalizer
from harness.dialects.openai_chat.synthesize import PATH, error_exchange

__all__ = ["DIALECT", "OPENAI_FINISH", "PATH", "OpenAIChatDialect", "error_exchange"]


class OpenAIChatDialect(synthesize.OpenAIChatDialect):
    """Synthesizes, reads, recognises and normalizes the Chat Completions wire."""

    base_url = "https://api.openai.com"
    reader = read
    normalizer = ChatNormalizer
    paths = ("/chat/completions",)
    markers = (b'"object":"chat.completion', b'"object": "chat.completion')
    marker_score = base.BY_MARKER + 30
    """Its objects name themselves; only the gateway's marker is surer."""


DIALECT = OpenAIChatDialect()
