"""The reference gateway client after a change that breaks it, for the worked example of
``docs/cassettes.md``: replaying a recording into it shows the regression as a finding.

The change: the client's stream loop was "simplified" and no longer keeps the usage the
gateway sends on its final chunk, so callers stop seeing token counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from examples.gateway_client.client import GatewayClient, StreamChunk
from examples.gateway_client.harness_driver import GatewayClientDriver

__all__ = ["ChangedGatewayClient", "ChangedGatewayDriver"]


class ChangedGatewayClient(GatewayClient):
    """:class:`GatewayClient` with the regression: the final chunk's usage is dropped."""

    async def chat_stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[StreamChunk]:
        async for chunk in super().chat_stream(messages, model, tools):
            yield dataclasses.replace(chunk, usage=None) if chunk.is_final else chunk


class ChangedGatewayDriver(GatewayClientDriver):
    """The ``gateway-client`` driver, running the changed client."""

    name: ClassVar[str] = "gateway-client-changed"
    client_class: ClassVar[type[GatewayClient]] = ChangedGatewayClient
