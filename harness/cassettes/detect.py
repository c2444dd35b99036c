"""Which wire dialect an interaction speaks, from its path and the shape of its body.

The names are harness's dialects (``harness.dialects``): ``openai-chat`` is Chat Completions
wherever it is served (OpenAI, Azure OpenAI, and the compatible APIs of Groq, Mistral,
OpenRouter, DeepSeek...); ``gateway`` is the LLM gateway JSON API (``/api/v1/llm/chat``);
``azure-agents`` covers the Assistants / Azure AI Agents thread-and-run protocol.
Everything else (Gemini, Bedrock, Cohere, Ollama, legacy completions) is ``other``.
"""

from __future__ import annotations

import re
from typing import Literal

from harness.cassettes.model import Interaction
from harness.cassettes.wire import decoded_body

__all__ = ["WireDialect", "detect_dialect"]

WireDialect = Literal[
    "openai-chat", "openai-responses", "anthropic-messages", "azure-agents", "gateway", "other"
]

_AGENTS_PATH = re.compile(r"/(threads|assistants|agents)(/|$)")
_SHAPES: tuple[tuple[bytes, WireDialect], ...] = (
    (b'"is_final":', "gateway"),
    (b'"object":"chat.completion', "openai-chat"),
    (b'"object": "chat.completion', "openai-chat"),
    (b"event: response.", "openai-responses"),
    (b'"object":"response"', "openai-responses"),
    (b'"object": "response"', "openai-responses"),
    (b"event: message_start", "anthropic-messages"),
    (b'"type":"message"', "anthropic-messages"),
    (b'"type": "message"', "anthropic-messages"),
    (b"event: thread.", "azure-agents"),
)


def detect_dialect(interaction: Interaction) -> WireDialect:
    """The dialect of one interaction: path first, then the shape of the response body."""
    request = interaction.request
    path = request.path.rstrip("/")
    if _AGENTS_PATH.search(path):
        return "azure-agents"
    if path.endswith("/chat/completions"):
        return "openai-chat"
    if path.endswith(("/llm/chat", "/llm/chat/stream")):
        return "gateway"
    if path.endswith("/responses"):
        return "openai-responses"
    if path.endswith("/v1/messages") or path.endswith("/anthropic/messages"):
        return "anthropic-messages"
    head = decoded_body(interaction.response)[:4096]
    for marker, dialect in _SHAPES:
        if marker in head:
            return dialect
    return "other"
