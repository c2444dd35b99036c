"""Chunking: where a response body is cut into the reads a client receives.

Dialects encode a reply as a list of per-event byte strings; ``chunk_events`` cuts them into
``Chunk`` values per the scenario's ``Chunking``. Adapters must give the same result for any
cut (invariant 5), so the cuts that break naive parsers matter most: inside a multi-byte
UTF-8 character, between the CR and LF of a line end, at arbitrary byte offsets.

Delays stay tied to events, not chunks: a chunk waits for the sum of the delays of the events
that start inside it, so every chunking of the same events takes the same virtual time.

``split_text`` cuts a text into the deltas a dialect streams (``TextPart.deltas`` etc.).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import accumulate, pairwise

from harness.dialects.script import Chunk
from harness.scenario.model import Chunking, EveryN, SplitAt

__all__ = ["chunk_events", "cut_offsets", "split_at", "split_text"]

_UTF8_LEAD = re.compile(rb"[\xc0-\xff]")
"""The first byte of a multi-byte UTF-8 character."""
_CRLF = re.compile(rb"\r\n")


def split_at(data: bytes, offsets: Iterable[int]) -> list[bytes]:
    """Cut ``data`` at the given byte offsets: ``len(offsets) + 1`` pieces, some perhaps empty.

    Offsets must be sorted (non-decreasing) and within ``0..len(data)``; anything else is a
    ValueError that names the offending offset, since a silently re-sorted or clamped list
    would make a shrunk fuzzing example impossible to reproduce.
    """
    cuts = list(offsets)
    _check_offsets(cuts, len(data))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


def _check_offsets(cuts: Sequence[int], size: int) -> None:
    previous = 0
    for i, at in enumerate(cuts):
        if not 0 <= at <= size:
            raise ValueError(
                f"split offset {at} (index {i}) is outside the body, which has {size} bytes; "
                f"offsets must be within 0..{size}"
            )
        if at < previous:
            raise ValueError(
                f"split offsets must be sorted: {at} (index {i}) comes after {previous}; "
                f"got {list(cuts)!r}"
            )
        previous = at


def cut_offsets(events: Sequence[bytes], chunking: Chunking) -> list[int]:
    """The byte offsets in the joined body where chunks start (0 first, strictly rising).

    ``mid_utf8`` cuts each event right after the lead byte of its first multi-byte
    character, so that character arrives in two reads; an event without one stays whole.
    ``crlf_split`` cuts each event between the CR and the LF of every CRLF in it.
    """
    starts = [0, *accumulate(len(e) for e in events)][:-1]
    size = sum(len(e) for e in events)
    cuts: Iterable[int]
    if chunking == "per_event":
        cuts = starts
    elif chunking == "whole":
        cuts = [0]
    elif chunking == "mid_utf8":
        cuts = []
        for start, event in zip(starts, events, strict=True):
            cuts.append(start)
            lead = _UTF8_LEAD.search(event)
            if lead is not None:
                cuts.append(start + lead.start() + 1)
    elif chunking == "crlf_split":
        cuts = list(starts)
        for start, event in zip(starts, events, strict=True):
            cuts += [start + m.start() + 1 for m in _CRLF.finditer(event)]
    elif isinstance(chunking, EveryN):
        cuts = range(0, size, chunking.every)
    elif isinstance(chunking, SplitAt):
        _check_offsets(chunking.at, size)
        cuts = [0, *chunking.at]
    else:
        raise ValueError(
            "chunking must be 'per_event', 'whole', 'mid_utf8', 'crlf_split', EveryN or SplitAt "
            f"(got {chunking!r})"
        )
    return sorted({c for c in cuts if c < size})


def chunk_events(
    events: Sequence[bytes],
    chunking: Chunking = "per_event",
    *,
    event_delay: float | Sequence[float] = 0.0,
) -> tuple[Chunk, ...]:
    """Cut the encoded events of one body into chunks.

    ``event_delay`` is the virtual wait before each event: one value for all, or one per
    event. A chunk's delay is the sum of the delays of the events that start in it. Empty
    events take no bytes and start no chunk, so their delay is dropped; chunks are never
    empty.
    """
    if isinstance(event_delay, int | float):
        delays = [float(event_delay)] * len(events)
    else:
        delays = [float(d) for d in event_delay]
        if len(delays) != len(events):
            raise ValueError(
                f"event_delay needs one value per event: {len(events)} events, {len(delays)} delays"
            )
    if any(d < 0 for d in delays):
        raise ValueError(f"event delays must be >= 0 (got {delays!r})")
    body = b"".join(events)
    cuts = cut_offsets(events, chunking)
    if not cuts:
        return ()
    # Assign each event's delay to the chunk its first byte falls in.
    chunk_delay = [0.0] * len(cuts)
    chunk = 0
    start = 0
    for event, delay in zip(events, delays, strict=True):
        if event:
            while chunk + 1 < len(cuts) and cuts[chunk + 1] <= start:
                chunk += 1
            chunk_delay[chunk] += delay
        start += len(event)
    bounds = [*cuts, len(body)]
    return tuple(Chunk(body[a:b], chunk_delay[i]) for i, (a, b) in enumerate(pairwise(bounds)))


def split_text(text: str, pieces: int | Sequence[str]) -> list[str]:
    """The deltas a text is streamed as: N even pieces by characters, or the given pieces.

    N larger than the text is capped at one character per piece (no empty deltas); an empty
    text is one empty piece. Explicit pieces must join to the text.
    """
    if not isinstance(pieces, int):
        if "".join(pieces) != text:
            raise ValueError(f"the pieces {list(pieces)!r} do not join to {text!r}")
        return list(pieces)
    if pieces < 1:
        raise ValueError(f"the number of pieces must be >= 1 (got {pieces})")
    n = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), n)
    out: list[str] = []
    at = 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(text[at : at + step])
        at += step
    return out
