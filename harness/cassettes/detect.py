"""Which wire dialect an interaction speaks, from its path and the shape of its body.

Every registered dialect (``harness.dialects``) says how sure it is
(:meth:`~harness.dialects.Dialect.recognise`) and the surest wins: a path that is a
dialect's endpoint beats any marker in a body. ``openai-chat`` is Chat Completions wherever
it is served (OpenAI, Azure OpenAI, and the compatible APIs of Groq, Mistral, OpenRouter,
DeepSeek...); ``gateway`` is the LLM gateway JSON API (``/api/v1/llm/chat``);
``azure-agents`` covers the Assistants / Azure AI Agents thread-and-run protocol.
Everything else (Gemini, Bedrock, Cohere, Ollama, legacy completions) is ``other``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.cassettes.model import Interaction
from harness.cassettes.wire import decoded_body

if TYPE_CHECKING:
    from harness.dialects import Dialect

__all__ = ["OTHER", "WireDialect", "detect_dialect"]

WireDialect = str
"""A registered dialect's name, or :data:`OTHER`."""

OTHER = "other"
"""What :func:`detect_dialect` says of an interaction no registered dialect recognises."""

_HEAD = 4096
"""How much of the decoded body the dialects look at."""


def detect_dialect(interaction: Interaction) -> WireDialect:
    """The dialect of one interaction: the registered dialect surest of it, else ``other``.
    The path is asked first; the body is decoded only when no dialect knows the path."""
    from harness.dialects import all_dialects

    dialects = all_dialects()
    path = interaction.request.path.rstrip("/")
    found = _surest(dialects, path, b"")
    if found == OTHER:
        found = _surest(dialects, path, decoded_body(interaction.response)[:_HEAD])
    return found


def _surest(dialects: list[Dialect], path: str, head: bytes) -> WireDialect:
    best, best_score = OTHER, 0
    for dialect in dialects:
        score = dialect.recognise(path, head)
        if score > best_score:
            best, best_score = dialect.name, score
    return best
