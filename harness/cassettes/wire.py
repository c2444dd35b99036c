"""Body helpers shared by replay, import, diff and scan: decompress, tell SSE apart, split it.

Real cassettes store bodies as the recorder got them: sometimes still gzip-compressed (with
or without the ``Content-Encoding`` header that says so), sometimes with every header
stripped, so "is this a stream" is answered from the bytes and the request, not only from
``Content-Type``.
"""

from __future__ import annotations

import json
import re
import zlib

from harness.cassettes.model import Interaction, RecordedResponse
from harness.dialects.sse import SSEEvent, decode

__all__ = [
    "MAX_INFLATED",
    "decoded_body",
    "gunzip",
    "inflate",
    "is_compressed",
    "is_ndjson",
    "is_sse",
    "ndjson_events",
    "ndjson_lines",
    "sse_blocks",
    "sse_events",
]

MAX_INFLATED = 256 * 1024 * 1024
"""The most a compressed cassette or body may expand to: a 3 MB gzip that expands to 3 GB
is refused with a message instead of exhausting memory."""

_SSE_START = re.compile(rb"\A(?:\xef\xbb\xbf)?(?::[^\r\n]*[\r\n]+)*(?:data|event|id|retry):")
_BLOCK_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def inflate(data: bytes, wbits: int, source: str, limit: int | None = None) -> bytes:
    """``data`` decompressed (zlib ``wbits``), refusing to expand beyond ``limit`` bytes
    (default :data:`MAX_INFLATED`) and refusing a truncated stream."""
    from harness.cassettes.model import CassetteError

    limit = MAX_INFLATED if limit is None else limit
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(data, limit + 1)
        if len(out) > limit or decompressor.unconsumed_tail:
            raise CassetteError(
                f"{source}: compressed data expands beyond {limit:,} bytes; refusing to "
                "decompress it (a cassette that large, or a zip bomb?)"
            )
        out += decompressor.flush()
    except zlib.error as exc:
        raise CassetteError(f"{source}: compressed but unreadable: {exc}") from None
    if not decompressor.eof:
        raise CassetteError(f"{source}: compressed data is truncated (the stream ends early)")
    return out


def gunzip(data: bytes, source: str, limit: int | None = None) -> bytes:
    """A gzip file's content, with the size limit of :func:`inflate`."""
    return inflate(data, 16 + zlib.MAX_WBITS, source, limit)


def is_compressed(body: bytes) -> bool:
    """True for gzip bytes (what ``Content-Encoding: gzip`` bodies look like when kept raw)."""
    return body[:2] == b"\x1f\x8b"


def decoded_body(response: RecordedResponse) -> bytes:
    """The body with any gzip/deflate/brotli encoding undone (as a client would read it)."""
    body = response.body
    encoding = (response.header("content-encoding") or "").lower().strip()
    from harness.cassettes.model import CassetteError

    try:
        if is_compressed(body):
            return gunzip(body, "a recorded body")
        if encoding == "deflate":
            return inflate(body, zlib.MAX_WBITS, "a recorded body")
        if encoding == "br":
            import brotli  # type: ignore[import-not-found,unused-ignore]

            data: bytes = brotli.decompress(body)
            return data
    except CassetteError as exc:
        if "expands beyond" in str(exc):
            raise
        return body  # not really compressed (or cut): keep the stored bytes
    except Exception:  # not really compressed, or no decoder: keep the stored bytes
        return body
    return body


def is_sse(interaction: Interaction, body: bytes | None = None) -> bool:
    """A server-sent event stream, by ``Content-Type``, or by its first line when the
    recorder stripped the headers."""
    content_type = interaction.response.content_type
    if "text/event-stream" in content_type:
        data = body if body is not None else decoded_body(interaction.response)
        return data.lstrip()[:1] not in (b"{", b"[")  # a JSON error sent as SSE (Gemini)
    if content_type and "json" in content_type:
        return False
    data = body if body is not None else decoded_body(interaction.response)
    return _SSE_START.match(data) is not None


def sse_blocks(body: bytes) -> list[bytes]:
    """The body cut after each blank line (LF, CRLF or CR): one piece per event block,
    the separators kept, so the pieces join back to ``body`` exactly."""
    pieces: list[bytes] = []
    start = 0
    for match in _BLOCK_END.finditer(body):
        pieces.append(body[start : match.end()])
        start = match.end()
    if start < len(body):
        pieces.append(body[start:])
    return pieces


def sse_events(body: bytes) -> list[SSEEvent]:
    """The dispatched events of a complete stream (harness's exact decoder)."""
    return decode(body)


def is_ndjson(interaction: Interaction, body: bytes | None = None) -> bool:
    """A newline-delimited JSON stream (Ollama's ``application/x-ndjson``): by
    ``Content-Type``, or, when the recorder kept none that says so, a body of two or more
    lines that are each a JSON object."""
    content_type = interaction.response.content_type
    if "ndjson" in content_type or "jsonl" in content_type:
        return True
    if "text/event-stream" in content_type:
        return False
    data = body if body is not None else decoded_body(interaction.response)
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) < 2 or _SSE_START.match(data) is not None:
        return False
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except (ValueError, RecursionError):
            return False
    return True


def ndjson_lines(body: bytes) -> list[bytes]:
    """The body cut after each line end, the line ends kept (the pieces join back to
    ``body`` exactly)."""
    return body.splitlines(keepends=True)


def ndjson_events(body: bytes) -> list[SSEEvent]:
    """Each non-blank line of an NDJSON body as an event whose data is the line, so that a
    dialect's stream reader reads the lines as it reads SSE data."""
    return [
        SSEEvent(data=line.decode("utf-8", "replace").strip())
        for line in body.splitlines()
        if line.strip()
    ]
