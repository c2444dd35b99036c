"""The in-memory cassette: interactions as plain frozen values, whatever file they came from.

Every reader (vcrpy YAML and its variants, the JSON formats in ``harness.cassettes.foreign``)
produces these, and every consumer (replay, import, diff, redaction) reads only these, so a
quirk of one file format is handled once, at load time. Bodies are bytes as the client saw
them; ``chunks`` is the harness extension that keeps each read and its time offset.

Exception tree::

    HarnessError
    └── CassetteError (also a ValueError): a cassette cannot be read, written or replayed
        └── CassetteMiss (also an AssertionError): a request the cassette has no answer for
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from harness.vocab.errors import HarnessError

__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "Interaction",
    "RecordedChunk",
    "RecordedRequest",
    "RecordedResponse",
    "header",
]


class CassetteError(HarnessError, ValueError):
    """A cassette that cannot be read, written or replayed; the message says where."""


class CassetteMiss(CassetteError, AssertionError):
    """A request the cassette has no recorded answer for, in a mode that may not record."""


Headers = tuple[tuple[str, str], ...]


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


class RecordedChunk(NamedTuple):
    """One read of a response body: its bytes and when it arrived (a tuple: a 200-read
    stream builds 200 of these on every load, and a frozen dataclass costs 5x more)."""

    offset: float
    """Seconds after the response head arrived."""
    data: bytes


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """The request as the client sent it (after redaction, if it was recorded by harness)."""

    method: str
    uri: str
    headers: Headers = ()
    body: bytes | None = None

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.uri).path) or "/"

    @property
    def host(self) -> str:
        return (urlsplit(self.uri).hostname or "").lower()

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.uri).query, keep_blank_values=True)

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        return _json(self.body)


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """The response: status, headers, the whole body, and (harness cassettes) its reads."""

    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""
    chunks: tuple[RecordedChunk, ...] | None = None
    """The body as it arrived, read by read; None for foreign cassettes (one blob)."""
    latency: float | None = None
    """Seconds from sending the request to the response head, when recorded."""
    end: Literal["close", "cut"] = "close"
    """``cut``: the connection dropped after the last chunk (recorded as it happened)."""

    def header(self, name: str) -> str | None:
        return header(self.headers, name)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").lower()

    def json(self) -> Any:
        return _json(self.body)


@dataclass(frozen=True, slots=True)
class Interaction:
    """One request and its response."""

    request: RecordedRequest
    response: RecordedResponse
    index: int = 0
    """Position in the cassette, from 0."""
    line: int | None = None
    """Line of the file where the interaction starts, when known."""

    def where(self, source: str) -> str:
        """``file:line (interaction N)`` for messages (N counts from 1)."""
        place = f"{source}:{self.line}" if self.line else source or "<cassette>"
        return f"{place} (interaction {self.index + 1})"


@dataclass(frozen=True, slots=True)
class Cassette:
    """The interactions of one file, in order, and what kind of file it was."""

    interactions: tuple[Interaction, ...]
    source: str = ""
    format: str = "vcrpy"
    """``harness``, ``vcrpy``, ``pydantic-ai``, ``ddapm-yaml``, ``ddapm-json``,
    ``azure-test-proxy``, ``llama-stack``, ``nock`` or ``vcrpy-json``."""
    notes: tuple[str, ...] = field(default=())
    """Quirks found while loading (e.g. bodies stored as parsed JSON)."""

    def __len__(self) -> int:
        return len(self.interactions)


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
