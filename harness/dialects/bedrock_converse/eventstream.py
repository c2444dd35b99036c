"""The AWS event stream (``application/vnd.amazon.eventstream``): an exact encoder and an
incremental decoder, written here so a bad frame can be both sent and named.

Every message is one frame:

- a 12-byte prelude: the total length (4 bytes, big endian), the headers' length (4
  bytes) and the CRC32 of those 8 bytes;
- the headers: each a name (1-byte length, UTF-8), a type byte and a value (type 7, a
  string with a 2-byte length, is what Bedrock sends: ``:event-type``, ``:content-type``,
  ``:message-type`` ``event`` or ``exception``, ``:exception-type``);
- the payload (JSON for Bedrock);
- the CRC32 of everything before it.

Spec: https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html (the
event-stream encoding section) and botocore's decoder (``botocore/eventstream.py``), which
``tests/dialects/test_eventstream.py`` checks this one against. The decoder takes the body
in any cuts (:class:`Decoder`), and refuses a frame whose length or CRC is wrong with an
:class:`EventStreamError` that says which frame, where, and what was expected.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "PRELUDE",
    "Decoder",
    "EventStreamError",
    "Frame",
    "HeaderValue",
    "decode",
    "encode",
    "event_frame",
    "exception_frame",
]

CONTENT_TYPE = "application/vnd.amazon.eventstream"
PRELUDE = 12
"""Bytes before the headers: total length, headers length, prelude CRC."""
_TRAILER = 4
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 24 * 1024 * 1024
"""botocore's limits (``botocore/eventstream.py`` ``_MAX_HEADERS_LENGTH``/``_PAYLOAD``)."""

HeaderValue = str | bytes | bool | int
"""A header's value as decoded: strings (type 7), byte arrays (6), booleans (0, 1),
integers (2-5, and timestamps, 8, in milliseconds); UUIDs (9) decode to their 16 bytes."""

_INT_TYPES = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}


class EventStreamError(ValueError):
    """A body that is not a valid AWS event stream: which frame, at which byte, and why."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One event-stream message: its headers in order and its payload."""

    headers: tuple[tuple[str, HeaderValue], ...] = ()
    payload: bytes = b""
    offset: int = field(default=0, compare=False)
    """Where the frame starts in the body (set by the decoder, for messages)."""

    def header(self, name: str) -> HeaderValue | None:
        return next((value for key, value in self.headers if key == name), None)

    @property
    def message_type(self) -> str:
        """``event``, ``exception`` or ``error`` (``:message-type``); ``event`` if absent."""
        value = self.header(":message-type")
        return value if isinstance(value, str) else "event"

    @property
    def event_type(self) -> str | None:
        """``:event-type`` for an event, ``:exception-type`` for an exception,
        ``:error-code`` for an error."""
        name = {"exception": ":exception-type", "error": ":error-code"}.get(
            self.message_type, ":event-type"
        )
        value = self.header(name)
        return value if isinstance(value, str) else None

    def json(self) -> Any:
        """The payload as JSON (None when it is empty or not JSON)."""
        try:
            return json.loads(self.payload) if self.payload else None
        except ValueError:
            return None


# --------------------------------------------------------------------------- encode


def _header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"header name {name!r} must be 1..255 bytes of UTF-8")
    head = bytes([len(raw_name)]) + raw_name
    if isinstance(value, bool):
        return head + bytes([0 if value else 1])
    if isinstance(value, int):
        return head + b"\x04" + struct.pack(">i", value)
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if len(raw) > 0xFFFF:
        raise ValueError(f"header {name!r}: value of {len(raw)} bytes (at most 65535)")
    kind = 7 if isinstance(value, str) else 6
    return head + bytes([kind]) + struct.pack(">H", len(raw)) + raw


def encode(frame: Frame | Iterable[tuple[str, HeaderValue]], payload: bytes = b"") -> bytes:
    """One frame's bytes: a :class:`Frame`, or headers and a payload."""
    if isinstance(frame, Frame):
        headers, payload = frame.headers, frame.payload
    else:
        headers = tuple(frame)
    raw_headers = b"".join(_header(name, value) for name, value in headers)
    total = PRELUDE + len(raw_headers) + len(payload) + _TRAILER
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _json(payload: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_frame(event_type: str, payload: Mapping[str, Any] | bytes) -> bytes:
    """An ``event`` message as Bedrock sends one: ``:event-type``, JSON content, the payload."""
    headers = (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
    return encode(headers, _json(payload))


def exception_frame(exception_type: str, payload: Mapping[str, Any] | bytes) -> bytes:
    """An ``exception`` message (``:exception-type``, e.g. ``throttlingException``)."""
    headers = (
        (":exception-type", exception_type),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    )
    return encode(headers, _json(payload))


# --------------------------------------------------------------------------- decode


class Decoder:
    """Frames from a body fed in any cuts: :meth:`feed` returns the frames completed so far,
    :meth:`close` refuses a body that ends inside a frame."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0  # where the buffer starts in the body
        self._count = 0

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= PRELUDE:
            total = self._prelude()
            if len(self._buffer) < total:
                break
            frames.append(self._frame(bytes(self._buffer[:total])))
            del self._buffer[:total]
            self._offset += total
            self._count += 1
        return frames

    def close(self) -> None:
        if self._buffer:
            raise EventStreamError(
                f"{self._where()}: the body ends inside a frame ({len(self._buffer)} bytes "
                f"of it arrived{self._expected()})"
            )

    def _where(self) -> str:
        return f"event-stream frame {self._count} (at byte {self._offset})"

    def _expected(self) -> str:
        if len(self._buffer) < PRELUDE:
            return ", fewer than the 12-byte prelude"
        return f", the prelude says {self._prelude()}"

    def _prelude(self) -> int:
        total, headers = struct.unpack_from(">II", self._buffer)
        (crc,) = struct.unpack_from(">I", self._buffer, 8)
        computed = zlib.crc32(self._buffer[:8])
        if crc != computed:
            raise EventStreamError(
                f"{self._where()}: prelude CRC mismatch: the frame says 0x{crc:08x}, "
                f"its first 8 bytes give 0x{computed:08x} (a corrupted or misaligned frame)"
            )
        if headers > _MAX_HEADERS:
            raise EventStreamError(
                f"{self._where()}: headers length {headers} exceeds {_MAX_HEADERS}"
            )
        payload = total - PRELUDE - headers - _TRAILER
        if payload < 0 or payload > _MAX_PAYLOAD:
            raise EventStreamError(
                f"{self._where()}: total length {total} with headers length {headers} "
                f"leaves a payload of {payload} bytes (0..{_MAX_PAYLOAD})"
            )
        return int(total)

    def _frame(self, raw: bytes) -> Frame:
        (crc,) = struct.unpack_from(">I", raw, len(raw) - _TRAILER)
        computed = zlib.crc32(raw[:-_TRAILER])
        if crc != computed:
            raise EventStreamError(
                f"{self._where()}: message CRC mismatch: the frame says 0x{crc:08x}, "
                f"its {len(raw) - _TRAILER} bytes give 0x{computed:08x} (corrupted in transit)"
            )
        (length,) = struct.unpack_from(">I", raw, 4)
        headers = _headers(raw[PRELUDE : PRELUDE + length], self._where())
        return Frame(headers, raw[PRELUDE + length : -_TRAILER], offset=self._offset)


def _headers(raw: bytes, where: str) -> tuple[tuple[str, HeaderValue], ...]:
    out: list[tuple[str, HeaderValue]] = []
    at = 0
    try:
        while at < len(raw):
            size = raw[at]
            name = raw[at + 1 : at + 1 + size].decode("utf-8")
            at += 1 + size
            kind = raw[at]
            at += 1
            value: HeaderValue
            if kind in (0, 1):
                value = kind == 0
            elif kind in _INT_TYPES:
                fmt = _INT_TYPES[kind]
                (value,) = struct.unpack_from(fmt, raw, at)
                at += struct.calcsize(fmt)
            elif kind in (6, 7):
                (n,) = struct.unpack_from(">H", raw, at)
                data = raw[at + 2 : at + 2 + n]
                if len(data) != n:
                    raise IndexError(name)
                value = data.decode("utf-8") if kind == 7 else data
                at += 2 + n
            elif kind == 9:
                value = raw[at : at + 16]
                at += 16
            else:
                raise EventStreamError(f"{where}: header {name!r} has unknown type {kind}")
            if any(key == name for key, _ in out):
                raise EventStreamError(f"{where}: header {name!r} twice (botocore refuses it)")
            out.append((name, value))
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise EventStreamError(f"{where}: headers cut or garbled at byte {at} ({exc})") from None
    if at != len(raw):
        raise EventStreamError(f"{where}: headers overrun their declared length")
    return tuple(out)


def decode(body: bytes) -> list[Frame]:
    """Every frame of a complete body; :class:`EventStreamError` on a bad or cut frame."""
    decoder = Decoder()
    frames = decoder.feed(body)
    decoder.close()
    return frames
