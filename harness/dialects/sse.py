"""Server-sent events: an exact encoder and an incremental decoder that follows the WHATWG
event-stream interpretation rules to the letter.

The dialects write their streams with the encoder, and the checks read streams back with the
decoder, so both must be exact: a decoder that is kinder than the spec (dispatching an
unterminated last event, splitting lines on U+2028 as ``str.splitlines`` and httpx's
``aiter_lines`` do) would hide exactly the adapter bugs the harness is looking for.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

Two deliberate choices:

* ``SSEEvent.event`` stays ``None`` when the block had no ``event:`` field; the spec's
  ``"message"`` default is a browser-API detail, and keeping ``None`` lets callers tell an
  explicit ``event: message`` from none at all.
* ``SSEEvent.id`` is the *last event ID* as the spec defines it: it persists from one event to
  the next until another ``id:`` field changes it. ``SSEEvent.retry`` is the ``retry:`` value
  given inside that event's block (None if none); the decoder's ``retry`` attribute holds the
  latest reconnection time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

__all__ = [
    "LineEnding",
    "SSEDecoder",
    "SSEEvent",
    "decode",
    "encode_comment",
    "encode_event",
]

LineEnding = Literal["lf", "crlf", "cr"]

_EOL: dict[str, str] = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event (or one event to encode)."""

    event: str | None = None
    data: str = ""
    id: str | None = None
    retry: int | None = None


# Building a frozen slotted dataclass through its __init__ costs four object.__setattr__
# calls; the decoder's hot loop sets the slots directly instead (about twice as fast).
_new = object.__new__
_SETTERS = tuple(
    cast(Any, SSEEvent.__dict__[name]).__set__ for name in ("event", "data", "id", "retry")
)
_set_event, _set_data, _set_id, _set_retry = _SETTERS


def _make(event: str | None, data: str, id: str | None, retry: int | None) -> SSEEvent:
    ev: SSEEvent = _new(SSEEvent)
    _set_event(ev, event)
    _set_data(ev, data)
    _set_id(ev, id)
    _set_retry(ev, retry)
    return ev


# --------------------------------------------------------------------------- encoder


def _eol(line_ending: str) -> str:
    try:
        return _EOL[line_ending]
    except KeyError:
        raise ValueError(
            f"line_ending must be one of 'lf', 'crlf', 'cr' (got {line_ending!r})"
        ) from None


def _field(name: str, value: str, data_space: bool) -> str:
    # A value that starts with a space needs the separating space even when data_space is
    # False: the decoder strips exactly one leading space, so this keeps encoding exact.
    if data_space or value[:1] == " ":
        return f"{name}: {value}"
    return f"{name}:{value}"


def _no_line_breaks(what: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"SSE {what} cannot contain CR or LF (got {value!r})")


def encode_event(ev: SSEEvent, *, line_ending: LineEnding = "lf", data_space: bool = True) -> bytes:
    """The exact UTF-8 bytes of one event, ending with the blank line that dispatches it.

    Multi-line data becomes one ``data:`` line per line, so ``decode(encode_event(ev))``
    gives ``ev`` back. A CR in the data cannot survive the trip (the decoder reads it as a
    line break and joins with LF), so it is rejected rather than silently changed.
    """
    eol = _eol(line_ending)
    lines: list[str] = []
    if ev.event is not None:
        _no_line_breaks("event names", ev.event)
        lines.append(_field("event", ev.event, data_space))
    if ev.id is not None:
        _no_line_breaks("ids", ev.id)
        if "\0" in ev.id:
            raise ValueError(f"an SSE id containing NUL is ignored by decoders (got {ev.id!r})")
        lines.append(_field("id", ev.id, data_space))
    if ev.retry is not None:
        if ev.retry < 0:
            raise ValueError(f"SSE retry must be >= 0 milliseconds (got {ev.retry})")
        lines.append(_field("retry", str(ev.retry), data_space))
    if "\r" in ev.data:
        raise ValueError(
            f"SSE data cannot carry a CR (decoders read it as a line break); got {ev.data!r}"
        )
    lines.extend(_field("data", line, data_space) for line in ev.data.split("\n"))
    return (eol.join(lines) + eol + eol).encode("utf-8")


def encode_comment(text: str, *, line_ending: LineEnding = "lf") -> bytes:
    """A comment block such as ``: keep-alive``, followed by a blank line.

    The blank line makes it a self-contained unit that can sit between any two events: with
    no data pending it dispatches nothing.
    """
    eol = _eol(line_ending)
    if "\r" in text:
        raise ValueError(f"an SSE comment cannot contain CR (got {text!r})")
    body = eol.join(f": {line}" if line else ":" for line in text.split("\n"))
    return (body + eol + eol).encode("utf-8")


# --------------------------------------------------------------------------- decoder


class SSEDecoder:
    """Incremental decoder: feed it bytes as they arrive, get the events they complete.

    Work is done on whole lines: the bytes are cut on CR/LF first (no UTF-8 multi-byte
    sequence contains 0x0A or 0x0D, so this never cuts a character), then all complete lines
    of a chunk are decoded in one go with ``errors="replace"`` (U+FFFD, as the spec's UTF-8
    decode does). Only LF, CR and CRLF end lines; U+2028, U+2029 and U+0085 are data.
    """

    __slots__ = (
        "_clean",
        "_closed",
        "_data",
        "_event",
        "_last_id",
        "_partial",
        "_retry_in_block",
        "_skip_lf",
        "_slow",
        "_started",
        "retry",
        "truncated",
    )

    def __init__(self) -> None:
        self._partial: list[bytes] = []  # bytes of an unterminated line (never CR or LF)
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
        self._started = False  # the BOM check at stream start is done
        self._closed = False
        self._slow = True  # any of the three above needs attention in feed()
        self._data: list[str] = []  # data lines of the event being read
        self._event: str | None = None
        self._retry_in_block: int | None = None
        self._clean = True  # none of the three above holds anything
        self._last_id: str | None = None
        self.retry: int | None = None
        """The latest reconnection time (ms) a ``retry:`` field set."""
        self.truncated = False
        """Set by ``close()`` when the stream ended inside an event (nothing dispatched)."""

    @property
    def pending(self) -> bool:
        """True while an event is started but not dispatched, or a line is unterminated."""
        return bool(self._partial) or not self._clean

    @property
    def last_event_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume the next bytes of the stream; return the events they complete."""
        if self._slow:
            chunk = self._prelude(chunk)
        if not chunk:
            return []
        if chunk[-1] == 0x0A and not self._partial:
            if (
                self._clean
                and chunk[:6] == b"data: "
                and chunk.find(b"\n") == len(chunk) - 2
                and chunk.find(b"\r") < 0
            ):
                # The hottest case: exactly one event of one "data: " line per chunk.
                data = chunk[6:-2].decode("utf-8", "replace")
                ev: SSEEvent = _new(SSEEvent)
                _set_event(ev, None)
                _set_data(ev, data)
                _set_id(ev, self._last_id)
                _set_retry(ev, None)
                return [ev]
            # The common case: the chunk ends at a line end (a whole event, or many).
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                text = chunk.decode("utf-8", "replace")
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            return self._text(text)
        if chunk.find(b"\r") < 0:  # bytes.find is faster than ``in`` here
            end = chunk.rfind(b"\n")
            if end < 0:
                self._partial.append(chunk)
                return []
            complete = chunk if end == len(chunk) - 1 else chunk[: end + 1]
        else:
            end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            if end == len(chunk) - 1 and chunk[end] == 0x0D:
                # Maybe the CR of a CRLF whose LF starts the next chunk.
                self._skip_lf = self._slow = True
            complete = chunk[: end + 1].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._partial:
            self._partial.append(complete)
            complete = b"".join(self._partial)
            self._partial = []
        if end + 1 < len(chunk):
            self._partial.append(chunk[end + 1 :])
        return self._text(complete.decode("utf-8", "replace"))

    def _prelude(self, chunk: bytes) -> bytes:
        """The rare cases: after close, the BOM at stream start, a CRLF split after its CR."""
        if self._closed:
            raise ValueError("SSEDecoder.feed() after close()")
        if not self._started and chunk:
            head = b"".join(self._partial) + chunk
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._partial = [head]  # could still become a BOM: wait for more bytes
                return b""
            self._started = True
            self._partial = []
            chunk = head[len(_BOM) :] if head.startswith(_BOM) else head
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        self._slow = self._skip_lf or not self._started
        return chunk

    def close(self, *, dispatch_partial: bool = False) -> list[SSEEvent]:
        """End of stream. Per the spec an unterminated last event is discarded (``truncated``
        says whether there was one); ``dispatch_partial=True`` emulates lenient clients
        that dispatch it anyway, processing an unterminated last line first."""
        if self._closed:
            return []
        self.truncated = self.pending
        events: list[SSEEvent] = []
        if dispatch_partial:
            line = b"".join(self._partial).decode("utf-8", "replace")
            if self._started and line:
                self._partial = []
                events = self._text(line + "\n")
            events.extend(self._text("\n"))
        self._closed = self._slow = self._clean = True
        self._partial, self._data, self._event, self._retry_in_block = [], [], None, None
        return events

    def _text(self, text: str) -> list[SSEEvent]:
        """Process complete LF-terminated lines. The hot path: the text is cut into blocks on
        blank lines, and a block that is a single ``data: `` line becomes an event at once."""
        out: list[SSEEvent] = []
        append = out.append
        new, set_event, set_data, set_id, set_retry = _new, *_SETTERS
        last_id = self._last_id
        if self._clean and text.startswith("data: ") and text.endswith("\n\n"):
            # Fastest: only single-line "data: " blocks (a part with a LF is anything else).
            for data in text[6:-2].split("\n\ndata: "):
                if "\n" in data:
                    out = []
                    append = out.append
                    break
                ev = new(SSEEvent)
                set_event(ev, None)
                set_data(ev, data)
                set_id(ev, last_id)
                set_retry(ev, None)
                append(ev)
            else:
                return out
        blocks = text.split("\n\n")
        tail = blocks.pop()  # lines after the last blank line: their event is not complete
        for block in blocks:
            if block[:6] == "data: " and "\n" not in block and self._clean:
                ev = new(SSEEvent)
                set_event(ev, None)
                set_data(ev, block[6:])
                set_id(ev, last_id)
                set_retry(ev, None)
                append(ev)
            else:
                out.extend(self._lines(block.split("\n")))
                out.extend(self._lines([""]))
                last_id = self._last_id
        if tail:
            out.extend(self._lines(tail[:-1].split("\n")))
        return out

    def _lines(self, lines: list[str]) -> list[SSEEvent]:
        """Process lines one by one, exactly as the spec words it; a blank line dispatches."""
        out: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    out.append(
                        _make(
                            self._event, "\n".join(self._data), self._last_id, self._retry_in_block
                        )
                    )
                    self._data = []
                self._event = self._retry_in_block = None
                continue
            colon = line.find(":")
            if colon == 0:
                continue  # a comment
            if colon < 0:
                name, value = line, ""
            else:
                name, value = line[:colon], line[colon + 1 :]
                if value[:1] == " ":
                    value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self.retry = self._retry_in_block = int(value)
        self._clean = not self._data and self._event is None and self._retry_in_block is None
        return out


def decode(data: bytes) -> list[SSEEvent]:
    """All events of a complete stream (an unterminated last event is not dispatched)."""
    decoder = SSEDecoder()
    events = decoder.feed(data)
    events.extend(decoder.close())
    return events
