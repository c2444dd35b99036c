"""Script: the ordered exchanges a replay serves, in wire terms (status, headers, chunks).

Dialects compile scenarios into a Script; cassettes load into one. The replay transport
serves it, one exchange per request, in order, one chunk at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Chunk", "Exchange", "HttpDate", "Script"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes the client receives in one read, after ``delay`` virtual seconds."""

    data: bytes
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class HttpDate:
    """A header value rendered at serve time as an HTTP date ``seconds`` after virtual now."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Exchange:
    """One scripted request/response pair.

    ``end`` says how the body ends after the last chunk: ``close`` normally, ``cut`` with the
    error a dropped connection gives, ``stall`` by sending nothing until the client's read
    timeout expires on the virtual clock; ``reset`` drops the connection before the
    response's first byte (no status, no headers: the request raises).
    """

    method: str
    path: str
    status: int = 200
    headers: tuple[tuple[str, str | HttpDate], ...] = ()
    chunks: tuple[Chunk, ...] = ()
    end: Literal["close", "cut", "stall", "reset"] = "close"
    delay: float = 0.0
    label: str = ""
    query: tuple[tuple[str, str], ...] = ()
    """Query parameters the request must carry (others are allowed)."""

    @property
    def body(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    def describe(self) -> str:
        label = f" ({self.label})" if self.label else ""
        return f"{self.method} {self.path}{label}"


@dataclass(frozen=True, slots=True)
class Script:
    """Exchanges in the order the adapter is expected to request them."""

    exchanges: tuple[Exchange, ...]
    source: str = ""
    """Where the script came from (scenario file or cassette), for messages."""
    notes: dict[str, str] = field(default_factory=dict)
