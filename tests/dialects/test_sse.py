"""The SSE codec: exact encoding, and decoding to the letter of the WHATWG rules whatever
the chunk boundaries."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.dialects.chunking import split_at
from harness.dialects.sse import SSEDecoder, SSEEvent, decode, encode_comment, encode_event


def feed_all(chunks: list[bytes]) -> tuple[list[SSEEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events, decoder


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


STREAM = (
    b"\xef\xbb\xbf: hello\n"
    b"event: first\nid: 7\nretry: 1500\ndata: h\xc3\xa9llo\ndata:w\xe2\x80\xa8rld\n\n"
    b'data: {"x": "\xc2\x85\xe2\x80\xa9\xf0\x9f\x98\x80"}\r\n\r\n'
    b"data\rdata:  two spaces\r\r"
    b"id: bad\x00id\ndata: after\n\n"
)
EXPECTED = [
    SSEEvent(event="first", data="héllo\nw\u2028rld", id="7", retry=1500),
    SSEEvent(data='{"x": "\x85\u2029😀"}', id="7"),
    SSEEvent(data="\n two spaces", id="7"),
    SSEEvent(data="after", id="7"),
]


# --------------------------------------------------------------------------- encoder


def test_encode_exact_bytes() -> None:
    ev = SSEEvent(event="delta", data="a\nb", id="1", retry=10)
    assert encode_event(ev) == b"event: delta\nid: 1\nretry: 10\ndata: a\ndata: b\n\n"
    assert encode_event(SSEEvent(data="x"), line_ending="crlf", data_space=False) == (
        b"data:x\r\n\r\n"
    )
    assert encode_event(SSEEvent(data="é"), line_ending="cr") == "data: é\r\r".encode()
    assert encode_comment("keep-alive") == b": keep-alive\n\n"
    assert encode_comment("a\n", line_ending="crlf") == b": a\r\n:\r\n\r\n"


def test_encode_keeps_a_leading_space_without_data_space() -> None:
    raw = encode_event(SSEEvent(data=" x"), data_space=False)
    assert raw == b"data:  x\n\n"
    assert decode(raw) == [SSEEvent(data=" x")]


@pytest.mark.parametrize(
    ("event", "match"),
    [
        (SSEEvent(data="a\rb"), "CR"),
        (SSEEvent(event="a\nb"), "event names"),
        (SSEEvent(id="a\x00"), "NUL"),
        (SSEEvent(retry=-1), "retry"),
    ],
)
def test_encode_rejects_what_cannot_round_trip(event: SSEEvent, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode_event(event)


def test_encode_rejects_unknown_line_ending() -> None:
    with pytest.raises(ValueError, match="line_ending"):
        encode_event(SSEEvent(data="x"), line_ending="crcr")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- decoder


def test_decode_reference_stream() -> None:
    assert decode(STREAM) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_every_chunk_size_gives_the_same_events(size: int) -> None:
    events, decoder = feed_all(pieces(STREAM, size))
    assert events == EXPECTED
    assert not decoder.truncated


def test_mid_utf8_chunks() -> None:
    raw = "data: ab😀ü€\n\n".encode()
    lead = raw.index(b"\xf0")
    for cut in range(lead, lead + 4):
        assert feed_all([raw[:cut], raw[cut:]])[0] == [SSEEvent(data="ab😀ü€")]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_line_endings(eol: bytes) -> None:
    raw = b"event: e" + eol + b"data: 1" + eol + b"data: 2" + eol + eol + b"data: 3" + eol + eol
    expected = [SSEEvent(event="e", data="1\n2"), SSEEvent(data="3")]
    assert decode(raw) == expected
    assert feed_all(pieces(raw, 1))[0] == expected


def test_cr_at_chunk_end_then_lf() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == [SSEEvent(data="a")]
    # The LF after this CR belongs to it: it is not a second (blank) line.
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\r\n") == [SSEEvent(data="b")]


def test_cr_then_cr_is_two_line_ends() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [SSEEvent(data="a")]


def test_bom_only_at_start_and_split() -> None:
    assert feed_all([b"\xef", b"\xbb", b"\xbfdata: x\n\n"])[0] == [SSEEvent(data="x")]
    # A second BOM is data (U+FEFF is part of the field name, so the line is ignored).
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [SSEEvent(data="y")]
    assert decode(b"data: \xef\xbb\xbfx\n\n") == [SSEEvent(data="\ufeffx")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    assert decode(b": c\n:\nfoo: bar\ndata: x\n: more\n\n") == [SSEEvent(data="x")]


def test_field_without_colon() -> None:
    assert decode(b"data\n\n") == [SSEEvent(data="")]
    assert decode(b"data\ndata\n\n") == [SSEEvent(data="\n")]
    assert decode(b"event\ndata: x\n\n") == [SSEEvent(event="", data="x")]


def test_data_space_is_optional_and_only_one_is_removed() -> None:
    assert decode(b"data:x\n\ndata: x\n\ndata:  x\n\n") == [
        SSEEvent(data="x"),
        SSEEvent(data="x"),
        SSEEvent(data=" x"),
    ]


def test_no_data_no_dispatch_and_event_type_resets() -> None:
    assert decode(b"event: a\n\ndata: x\n\n") == [SSEEvent(data="x")]
    assert decode(b"\n\n\ndata: x\n\n\n\n") == [SSEEvent(data="x")]


def test_event_none_when_absent_not_message() -> None:
    assert decode(b"data: x\n\n")[0].event is None
    assert decode(b"event: message\ndata: x\n\n")[0].event == "message"


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_unicode_separators_are_data(sep: str) -> None:
    raw = f"data: a{sep}b\n\n".encode()
    assert decode(raw) == [SSEEvent(data=f"a{sep}b")]
    assert feed_all(pieces(raw, 1))[0] == [SSEEvent(data=f"a{sep}b")]


def test_id_persists_and_nul_is_ignored() -> None:
    raw = b"id: 1\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\nid\ndata: d\n\n"
    assert [e.id for e in decode(raw)] == ["1", "1", "1", ""]


def test_retry_digits_only() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: 100\ndata: a\n\nretry: 1x\ndata: b\n\nretry: -5\n\n")
    events += decoder.feed(b"retry:\nretry: 2.5\nretry: \xef\xbc\x91\ndata: c\n\n")
    assert [e.retry for e in events] == [100, None, None]
    assert decoder.retry == 100
    assert decoder.feed(b"retry:250\n\n") == []
    assert decoder.retry == 250


def test_unterminated_last_event_is_not_dispatched() -> None:
    for tail in (b"data: b", b"data: b\n", b"data: b\r\n", b"event: x\n"):
        events, decoder = feed_all([b"data: a\n\n", tail])
        assert events == [SSEEvent(data="a")], tail
        assert decoder.truncated, tail
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: b")
    assert decoder.pending
    assert decoder.close(dispatch_partial=True) == [SSEEvent(data="b")]
    assert decoder.truncated


def test_clean_end_is_not_truncated() -> None:
    events, decoder = feed_all([b"data: a\n\n: bye\n"])
    assert events == [SSEEvent(data="a")]
    assert not decoder.pending
    assert not decoder.truncated


def test_feed_after_close_is_an_error() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(ValueError, match="after close"):
        decoder.feed(b"data: x\n\n")


def test_invalid_utf8_is_replaced() -> None:
    assert decode(b"data: a\xffb\xc3\n\n") == [SSEEvent(data="a\ufffdb\ufffd")]
    # Split inside an invalid sequence: same result.
    raw = b"data: a\xe2\x82\n\n"
    assert feed_all(pieces(raw, 1))[0] == decode(raw) == [SSEEvent(data="a\ufffd")]


# --------------------------------------------------------------------------- properties

_text = st.text(st.characters(exclude_characters="\r\x00", codec="utf-8"), max_size=20)
_name = st.text(st.characters(exclude_characters="\r\n\x00", codec="utf-8"), max_size=8)
_events = st.lists(
    st.builds(
        SSEEvent,
        event=st.none() | _name,
        data=_text,
        id=st.none() | _name,
        retry=st.none() | st.integers(0, 10**6),
    ),
    max_size=6,
)


def _expected(events: list[SSEEvent]) -> list[SSEEvent]:
    """What a decoder dispatches: the id persists until changed (the spec's last event ID)."""
    out, last_id = [], None
    for ev in events:
        last_id = ev.id if ev.id is not None else last_id
        out.append(SSEEvent(ev.event, ev.data, last_id, ev.retry))
    return out


@given(
    events=_events,
    line_ending=st.sampled_from(["lf", "crlf", "cr"]),
    data_space=st.booleans(),
    keepalive=st.booleans(),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_any_split_decodes_to_the_same_events(
    events: list[SSEEvent],
    line_ending: str,
    data_space: bool,
    keepalive: bool,
    cuts: list[int],
) -> None:
    parts = []
    for ev in events:
        parts.append(encode_event(ev, line_ending=line_ending, data_space=data_space))  # type: ignore[arg-type]
        if keepalive:
            parts.append(encode_comment("keep-alive", line_ending=line_ending))  # type: ignore[arg-type]
    body = b"".join(parts)
    offsets = sorted({c % (len(body) + 1) for c in cuts})
    decoded, decoder = feed_all(split_at(body, offsets))
    assert decoded == _expected(events)
    assert decoded == decode(body)
    assert not decoder.truncated


def _reference(stream: bytes) -> list[SSEEvent]:
    """The spec's algorithm written plainly: decode everything, split lines, interpret."""
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    *lines, _unterminated = re.split(r"\r\n|\r|\n", stream.decode("utf-8", "replace"))
    out: list[SSEEvent] = []
    data, event, last_id, retry = "", None, None, None
    for line in lines:
        if line == "":
            if data:
                out.append(SSEEvent(event, data[:-1], last_id, retry))
            data, event, retry = "", None, None
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data += value + "\n"
            elif name == "event":
                event = value
            elif name == "id" and "\0" not in value:
                last_id = value
            elif name == "retry" and re.fullmatch(r"[0-9]+", value):
                retry = int(value)
    return out


_tokens = st.sampled_from(
    [
        b"data",
        b"event",
        b"id",
        b"retry",
        b":",
        b" ",
        b"\r",
        b"\n",
        b"\r\n",
        b"\n\n",
        b"x",
        b"7",
        b"\x00",
        b"\xc3",
        b"\xa9",
        b"\xe2\x80\xa8",
        b"\xef\xbb\xbf",
        b"data: ",
        b"\xff",
    ]
)


@given(
    stream=st.lists(_tokens, max_size=40).map(b"".join),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_arbitrary_streams_match_the_reference(stream: bytes, cuts: list[int]) -> None:
    offsets = sorted({c % (len(stream) + 1) for c in cuts})
    assert feed_all(split_at(stream, offsets))[0] == _reference(stream)
