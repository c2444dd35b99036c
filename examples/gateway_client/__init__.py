"""A reference client for an LLM gateway, and the harness driver that tests it.

``from examples.gateway_client import GatewayClient`` (from a checkout of harness); see
``README.md`` beside this file.
"""

from __future__ import annotations

from .client import (
    AuthError,
    ChatResult,
    GatewayClient,
    GatewayConnectionError,
    GatewayError,
    GatewayTimeout,
    ModelNotFound,
    RateLimited,
    ServerError,
    StreamChunk,
    StreamError,
    ToolCall,
    UpstreamError,
    Usage,
)

__all__ = [
    "AuthError",
    "ChatResult",
    "GatewayClient",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayTimeout",
    "ModelNotFound",
    "RateLimited",
    "ServerError",
    "StreamChunk",
    "StreamError",
    "ToolCall",
    "UpstreamError",
    "Usage",
]
