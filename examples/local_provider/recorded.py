"""The cassettes of the repository's ``cassettes/`` folder and how each was recorded.

Each one is ``harness record cassettes/<file> -- -m examples.local_provider <dialect>
<scenario>``: the bundled scenario served locally in that dialect, called by the reference
client. ``tests/cassettes/test_repo_cassettes.py`` replays every one of them.
"""

from __future__ import annotations

__all__ = ["RECORDED"]

RECORDED: dict[str, tuple[str, str]] = {
    "openai-chat-text.yaml": ("openai-chat", "text-plain"),
    "openai-chat-tool-call.yaml": ("openai-chat", "tool-call-fragmented"),
    "openai-responses-text.yaml": ("openai-responses", "text-plain"),
    "anthropic-messages-text.yaml": ("anthropic-messages", "text-plain"),
    "anthropic-messages-tool-call.yaml": ("anthropic-messages", "tool-call-fragmented"),
    "azure-agents-text.yaml": ("azure-agents", "azure-stream-text"),
    "gateway-text.yaml": ("gateway", "text-plain"),
    "gemini-text.yaml": ("gemini", "text-plain"),
    "gemini-tool-call.yaml": ("gemini", "tool-call-fragmented"),
    "ollama-text.yaml": ("ollama", "text-plain"),
    "ollama-tool-call.yaml": ("ollama", "tool-call-fragmented"),
    "bedrock-converse-tool-call.yaml": ("bedrock-converse", "tool-call-fragmented"),
    "cohere-v2-text.yaml": ("cohere-v2", "text-plain"),
}
"""Cassette file name -> (dialect, bundled scenario id)."""
