"""A local provider on 127.0.0.1 and the reference client of each dialect, for recording.

The cassettes in the repository's top-level ``cassettes/`` are recorded with this: a bundled
scenario is compiled into one dialect's wire (:mod:`harness.dialects`), served over real
HTTP from a local server (:mod:`.server`), and the real client of that dialect calls it
(:mod:`.clients`: the openai SDK, the anthropic SDK, the cohere SDK, litellm's Azure AI
Agents and Bedrock Converse routes, the reference gateway client). Under ``harness record``
the client's traffic lands in a cassette, exactly as it would against the provider,
without a key or the network::

    harness record cassettes/openai-chat-text.yaml -- -m examples.local_provider openai-chat
"""

from examples.local_provider.clients import CLIENTS, DEFAULT_SCENARIOS, Result, call
from examples.local_provider.server import serving

__all__ = ["CLIENTS", "DEFAULT_SCENARIOS", "Result", "call", "serving"]
