"""The exchanges every wire answers an attempt with, built the same way: a JSON reply, a
streamed reply and an HTTP error, each ``POST`` to the wire's path and labelled with the
attempt's number (``attempt 1: reply``) for messages."""

from __future__ import annotations

from collections.abc import Mapping

from harness.dialects.chunking import chunk_events
from harness.dialects.common import End
from harness.dialects.script import Chunk, Exchange, HttpDate
from harness.scenario.model import Wire

__all__ = ["Headers", "error_reply", "json_reply", "streamed_reply"]

Headers = tuple[tuple[str, str | HttpDate], ...]
"""Response headers in order, as :class:`~harness.dialects.script.Exchange` holds them."""


def json_reply(path: str, headers: Headers, body: str, n: int, wire: Wire) -> Exchange:
    """Attempt ``n``'s unstreamed reply: ``body`` chunked as the wire says, after its
    first-byte delay."""
    return Exchange(
        method="POST",
        path=path,
        headers=headers,
        chunks=chunk_events([body.encode()], wire.chunking),
        delay=wire.first_byte_delay,
        label=f"attempt {n + 1}: reply",
    )


def streamed_reply(
    path: str, headers: Headers, chunks: tuple[Chunk, ...], end: End, n: int, wire: Wire
) -> Exchange:
    """Attempt ``n``'s streamed reply: the encoded ``chunks``, ending as ``end`` says, after
    the wire's first-byte delay."""
    return Exchange(
        method="POST",
        path=path,
        headers=headers,
        chunks=chunks,
        end=end,
        delay=wire.first_byte_delay,
        label=f"attempt {n + 1}: streamed reply",
    )


def error_reply(
    path: str, status: int, headers: Mapping[str, str | HttpDate], body: str, n: int
) -> Exchange:
    """Attempt ``n``'s HTTP error: ``status`` with ``headers`` and ``body`` in one chunk."""
    return Exchange(
        method="POST",
        path=path,
        status=status,
        headers=tuple(headers.items()),
        chunks=(Chunk(body.encode()),),
        label=f"attempt {n + 1}: HTTP {status}",
    )
