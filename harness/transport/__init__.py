"""Replay transport: serves a Script to httpx and httpx2 clients, sync and async.

``core`` decides (matching, logging, timing, body streaming); ``_bind`` adapts it to each
HTTP library. ``ReplayTransport`` (the httpx one) is built on first access, so importing
this package imports neither httpx nor httpx2.
"""

from __future__ import annotations

from typing import Any

from harness.transport._bind import LIBRARIES, serving, transport_class, transport_for
from harness.transport.core import (
    BodyStream,
    EndlessStall,
    Replay,
    ReplayIncomplete,
    ReplayMiss,
)

__all__ = [
    "LIBRARIES",
    "BodyStream",
    "EndlessStall",
    "Replay",
    "ReplayIncomplete",
    "ReplayMiss",
    "ReplayTransport",
    "serving",
    "transport_class",
    "transport_for",
]


def __getattr__(name: str) -> Any:
    if name == "ReplayTransport":
        return transport_class("httpx")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
