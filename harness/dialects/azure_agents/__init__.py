"""The Azure AI Foundry Agents wire (threads, messages, runs), and OpenAI Assistants.

``synthesize`` compiles a scenario into the thread/run flow (``objects`` holds the JSON
objects it serves) and ``read`` reads a recorded run back (a run spans several
interactions: ``read.run_flows`` finds them); :meth:`AzureAgentsDialect.recognise` knows a
recording by its ``/threads``, ``/assistants`` or ``/agents`` path or its ``thread.*``
events. No wire-level normalizer: litellm maps the run (``harness.drivers.litellm_azure_agents``).
"""

from __future__ import annotations

import re

from harness.dialects import base
from harness.dialects.azure_agents import read, synthesize
from harness.dialects.azure_agents.synthesize import API_VERSION, agent_id

__all__ = ["API_VERSION", "DIALECT", "AzureAgentsDialect", "agent_id"]

_AGENTS_PATH = re.compile(r"/(threads|assistants|agents)(/|$)")


class AzureAgentsDialect(synthesize.AzureAgentsDialect):
    """Synthesizes, reads and recognises the Agents thread/run wire."""

    base_url = "https://harness.services.ai.azure.com"
    """An Azure AI Foundry resource; a project endpoint adds ``/api/projects/<project>``."""
    reader = read
    normalizer = None

    def recognise(self, path: str, head: bytes) -> int:
        if _AGENTS_PATH.search(path):
            return base.BY_PATH + 10  # a resource segment anywhere: surer than an endpoint suffix
        return base.BY_MARKER if b"event: thread." in head else 0


DIALECT = AzureAgentsDialect()
