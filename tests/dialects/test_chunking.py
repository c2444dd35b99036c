"""Chunking: every cut keeps the body, delays follow events, bad offsets fail loudly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.dialects.chunking import chunk_events, cut_offsets, split_at, split_text
from harness.dialects.script import Chunk
from harness.scenario.model import Chunking, EveryN, SplitAt

EVENTS = [b"data: a\n\n", "data: é😀\n\n".encode(), b"data: c\n\n"]
BODY = b"".join(EVENTS)


def test_per_event_is_one_chunk_per_event() -> None:
    chunks = chunk_events(EVENTS, "per_event", event_delay=0.5)
    assert chunks == tuple(Chunk(e, 0.5) for e in EVENTS)


def test_default_is_per_event() -> None:
    assert chunk_events(EVENTS) == tuple(Chunk(e) for e in EVENTS)


def test_whole_sums_the_delays() -> None:
    assert chunk_events(EVENTS, "whole", event_delay=0.25) == (Chunk(BODY, 0.75),)


def test_mid_utf8_cuts_inside_the_first_multibyte_character() -> None:
    chunks = chunk_events(EVENTS, "mid_utf8", event_delay=1.0)
    assert [c.data for c in chunks] == [
        EVENTS[0],
        b"data: \xc3",
        b"\xa9" + "😀\n\n".encode(),
        EVENTS[2],
    ]
    assert [c.delay for c in chunks] == [1.0, 1.0, 0.0, 1.0]
    with pytest.raises(UnicodeDecodeError):
        chunks[1].data.decode()


def test_every_n() -> None:
    chunks = chunk_events(EVENTS, EveryN(every=4))
    assert b"".join(c.data for c in chunks) == BODY
    assert [len(c.data) for c in chunks[:-1]] == [4] * (len(chunks) - 1)
    assert 0 < len(chunks[-1].data) <= 4


def test_split_at_and_delays_follow_event_starts() -> None:
    # Cut at 3 (inside event 0) and 12 (inside event 1, which starts at 9).
    chunks = chunk_events(EVENTS, SplitAt(at=[3, 12]), event_delay=[1.0, 2.0, 4.0])
    assert [c.data for c in chunks] == [BODY[:3], BODY[3:12], BODY[12:]]
    assert [c.delay for c in chunks] == [1.0, 2.0, 4.0]


def test_split_at_edges_and_duplicates_make_no_empty_chunks() -> None:
    chunks = chunk_events(EVENTS, SplitAt(at=[0, 5, 5, len(BODY)]))
    assert [c.data for c in chunks] == [BODY[:5], BODY[5:]]


@pytest.mark.parametrize(
    ("at", "match"),
    [([-1], "outside the body"), ([len(BODY) + 1], "outside the body"), ([5, 3], "sorted")],
)
def test_bad_offsets_are_errors(at: list[int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        chunk_events(EVENTS, SplitAt(at=at))
    with pytest.raises(ValueError, match=match):
        split_at(BODY, at)


def test_split_at_returns_every_piece() -> None:
    assert split_at(b"abcdef", [0, 2, 2, 6]) == [b"", b"ab", b"", b"cdef", b""]
    assert split_at(b"abc", []) == [b"abc"]


def test_empty_body_and_empty_events() -> None:
    assert chunk_events([], "per_event") == ()
    assert chunk_events([b""], "whole") == ()
    assert chunk_events([b"", b"ab", b""], "per_event", event_delay=1.0) == (Chunk(b"ab", 1.0),)


def test_delay_list_must_match() -> None:
    with pytest.raises(ValueError, match="one value per event"):
        chunk_events(EVENTS, event_delay=[1.0])
    with pytest.raises(ValueError, match=">= 0"):
        chunk_events(EVENTS, event_delay=-1.0)


def test_unknown_chunking() -> None:
    with pytest.raises(ValueError, match="chunking must be"):
        cut_offsets(EVENTS, "bytewise")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("abcdefg", 3, ["abc", "de", "fg"]),
        ("ab", 5, ["a", "b"]),
        ("", 3, [""]),
        ("😀é", 2, ["😀", "é"]),
    ],
)
def test_split_text_even(text: str, n: int, expected: list[str]) -> None:
    assert split_text(text, n) == expected


def test_split_text_explicit() -> None:
    assert split_text("abc", ["a", "", "bc"]) == ["a", "", "bc"]
    with pytest.raises(ValueError, match="do not join"):
        split_text("abc", ["a"])
    with pytest.raises(ValueError, match=">= 1"):
        split_text("abc", 0)


_chunkings = st.one_of(
    st.sampled_from(["per_event", "whole", "mid_utf8"]),
    st.builds(EveryN, every=st.integers(1, 50)),
)


@given(
    events=st.lists(st.text(max_size=30).map(str.encode), max_size=8),
    chunking=_chunkings,
    delay=st.floats(0, 10),
)
def test_chunks_rebuild_the_body_and_keep_total_delay(
    events: list[bytes], chunking: Chunking, delay: float
) -> None:
    chunks = chunk_events(events, chunking, event_delay=delay)
    assert b"".join(c.data for c in chunks) == b"".join(events)
    assert all(c.data for c in chunks)
    expected = delay * sum(1 for e in events if e)
    assert sum(c.delay for c in chunks) == pytest.approx(expected)
