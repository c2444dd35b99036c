"""The AWS event-stream codec: encode -> decode round-trips for any headers, payloads and
chunk boundaries, agrees with botocore's own decoder, and refuses a bad or cut frame with
a message that names the frame."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.dialects.bedrock_converse.eventstream import (
    Decoder,
    EventStreamError,
    Frame,
    decode,
    encode,
    event_frame,
    exception_frame,
)
from harness.dialects.chunking import split_at

_NAMES = st.text(min_size=1, max_size=20).filter(lambda n: len(n.encode()) < 256)
_VALUES = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
)
_FRAMES = st.builds(
    Frame,
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=5, unique_by=lambda h: h[0]).map(tuple),
    payload=st.binary(max_size=300),
)


@st.composite
def _body_and_cuts(draw: st.DrawFn) -> tuple[list[Frame], bytes, list[int]]:
    frames = draw(st.lists(_FRAMES, min_size=1, max_size=6))
    body = b"".join(encode(f) for f in frames)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=12)))
    return frames, body, cuts


@settings(max_examples=60, deadline=None)
@given(_body_and_cuts())
def test_round_trip_with_any_chunk_boundaries(case: tuple[list[Frame], bytes, list[int]]) -> None:
    frames, body, cuts = case
    decoder = Decoder()
    got: list[Frame] = []
    for piece in split_at(body, cuts):
        got += decoder.feed(piece)
    decoder.close()
    assert [(f.headers, f.payload) for f in got] == [(f.headers, f.payload) for f in frames]


@settings(max_examples=40, deadline=None)
@given(_body_and_cuts())
def test_botocore_decodes_what_we_encode(case: tuple[list[Frame], bytes, list[int]]) -> None:
    from botocore.eventstream import EventStreamBuffer

    frames, body, cuts = case
    buffer = EventStreamBuffer()
    got = []
    for piece in split_at(body, cuts):
        buffer.add_data(piece)
        got += [(m.headers, m.payload) for m in buffer]
    assert got == [(dict(f.headers), f.payload) for f in frames]


@settings(max_examples=40, deadline=None)
@given(st.lists(_FRAMES, min_size=1, max_size=4), st.data())
def test_a_flipped_byte_is_refused_clearly(frames: list[Frame], data: st.DataObject) -> None:
    body = bytearray(b"".join(encode(f) for f in frames))
    at = data.draw(st.integers(0, len(body) - 1))
    body[at] ^= data.draw(st.integers(1, 255))
    with pytest.raises(EventStreamError, match=r"event-stream frame \d+ \(at byte \d+\)"):
        decode(bytes(body))


def test_bad_message_crc_names_both_checksums() -> None:
    good = event_frame("messageStart", {"role": "assistant"})
    crc = int.from_bytes(good[-4:], "big")
    bad = good[:-4] + (crc ^ 1).to_bytes(4, "big")
    with pytest.raises(EventStreamError) as caught:
        decode(event_frame("metadata", {}) + bad)
    message = str(caught.value)
    assert "event-stream frame 1" in message
    assert "message CRC mismatch" in message
    assert f"0x{crc ^ 1:08x}" in message and f"0x{crc:08x}" in message


def test_botocore_rejects_the_same_bad_crc() -> None:
    from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

    good = event_frame("messageStart", {"role": "assistant"})
    bad = good[:-4] + bytes(b ^ 0xFF for b in good[-4:])
    buffer = EventStreamBuffer()
    buffer.add_data(bad)
    with pytest.raises(ChecksumMismatch):
        next(iter(buffer))


def test_a_cut_frame_is_refused_at_close() -> None:
    frame = exception_frame("throttlingException", {"message": "slow down"})
    decoder = Decoder()
    assert decoder.feed(frame[:20]) == []
    with pytest.raises(EventStreamError, match="ends inside a frame"):
        decoder.close()


def test_prelude_crc_is_checked_before_the_length_is_trusted() -> None:
    frame = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    frame[0:4] = (10**6).to_bytes(4, "big")  # a length the prelude CRC does not cover
    with pytest.raises(EventStreamError, match="prelude CRC mismatch"):
        Decoder().feed(bytes(frame))


def test_event_and_exception_frames_carry_bedrocks_headers() -> None:
    (event, exception) = decode(
        event_frame("contentBlockDelta", {"delta": {"text": "hé"}})
        + exception_frame("modelStreamErrorException", {"message": "boom"})
    )
    assert event.message_type == "event" and event.event_type == "contentBlockDelta"
    assert event.json() == {"delta": {"text": "hé"}}
    assert exception.message_type == "exception"
    assert exception.event_type == "modelStreamErrorException"
    assert exception.header(":content-type") == "application/json"


def test_crc_is_zlib_crc32() -> None:
    frame = encode([], b"")
    assert len(frame) == 16
    assert int.from_bytes(frame[8:12], "big") == zlib.crc32(frame[:8])
    assert int.from_bytes(frame[12:], "big") == zlib.crc32(frame[:12])


def test_a_repeated_header_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(EventStreamError, match="header ':event-type' twice"):
        decode(encode([(":event-type", "a"), (":event-type", "b")], b""))
