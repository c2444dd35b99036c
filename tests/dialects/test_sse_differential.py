"""harness's SSE decoder against httpx-sse, on event contents (event, data, id, retry), over
the WHATWG edge cases, however the bytes are split.

httpx-sse is read the way a client reads it: an ``httpx.Response`` streamed chunk by chunk
through ``EventSource.iter_sse``. Where httpx-sse departs from the spec
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
the differential test states the spec and :data:`DEVIATIONS` documents what httpx-sse does
instead (so the table fails, and can be folded back, the day httpx-sse changes):

1. It keeps a leading BOM (httpx's UTF-8 decoder leaves U+FEFF in the text), so the first
   field is named ``\\ufeffdata`` and ignored; the spec strips one BOM at stream start.
2. It dispatches a block that has no ``data:`` line (only ``event:``, ``id:`` or ``retry:``),
   and, once an ``id:`` was seen, every further blank line; the spec dispatches only when
   the data buffer is not empty.
3. It reads ``retry:`` with ``int()``, which also takes spaces, signs, underscores and
   non-ASCII digits; the spec only ASCII digits.

The spec's defaults are applied to harness's events before comparing: no ``event:`` field
means type ``message``, and the last event ID starts as the empty string.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.dialects.sse import SSEDecoder

pytest.importorskip("httpx_sse")
from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
from httpx_sse._decoders import SSELineDecoder

BOM = b"\xef\xbb\xbf"
Event = tuple[str, str, str, int | None]
"""(event type, data, last event id, retry) as the spec dispatches them."""


def harness_events(chunks: Sequence[bytes]) -> list[Event]:
    decoder = SSEDecoder()
    events = [e for chunk in chunks for e in decoder.feed(chunk)]
    events += decoder.close()
    return [(e.event or "message", e.data, e.id or "", e.retry) for e in events]


def httpx_sse_events(chunks: Sequence[bytes], *, spec: bool = True) -> list[Event]:
    """What httpx-sse's ``EventSource.iter_sse`` yields for the stream: httpx's own text
    decoding (``Response.iter_text``), then httpx-sse's line and event decoders, as
    ``iter_sse`` chains them. ``spec=True`` corrects deviations 1 and 2: the BOM is
    stripped first, and dispatches of blocks without a ``data`` line are dropped."""
    if spec and b"".join(chunks).startswith(BOM):
        joined = b"".join(chunks)[len(BOM) :]
        chunks = _split(joined, _cuts(chunks, len(BOM)))
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=iter(list(chunks))
    )
    lines, decoder = SSELineDecoder(), HttpxSSEDecoder()
    out: list[Event] = []
    has_data = False
    for line in _lines(response, lines):
        if not line.startswith(":") and line.partition(":")[0] == "data":
            has_data = True
        event = decoder.decode(line)
        if event is not None and (has_data or not spec):
            out.append((event.event, event.data, event.id, event.retry))
        if not line:
            has_data = False
    return out


def _lines(response: httpx.Response, decoder: SSELineDecoder) -> Iterator[str]:
    for text in response.iter_text():
        yield from decoder.decode(text)
    yield from decoder.flush()


def _cuts(chunks: Sequence[bytes], drop: int) -> list[int]:
    """The split points of ``chunks`` once ``drop`` leading bytes are gone."""
    cuts, at = [], 0
    for chunk in chunks[:-1]:
        at += len(chunk)
        cuts.append(at - drop)
    return cuts


def _split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


# --------------------------------------------------------------------------- the edge cases

CASES: list[tuple[str, bytes, list[Event]]] = [
    ("lf", b"data: a\n\ndata: b\n\n", [("message", "a", "", None), ("message", "b", "", None)]),
    ("crlf", b"event: x\r\ndata: a\r\n\r\n", [("x", "a", "", None)]),
    ("cr only", b"data: a\rid: 7\r\rdata: b\r\r", [("message", "a", "7", None),
                                                    ("message", "b", "7", None)]),
    ("mixed endings", b"data: a\r\ndata: b\rdata: c\n\r\n", [("message", "a\nb\nc", "", None)]),
    ("bom", BOM + b"data: a\n\n", [("message", "a", "", None)]),
    ("multi-line data", b"data: {\ndata:  \"k\": 1\ndata: }\n\n",
     [("message", '{\n "k": 1\n}', "", None)]),
    ("empty data lines", b"data\ndata:\n\n", [("message", "\n", "", None)]),
    ("id with NUL is ignored", b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
     [("message", "a", "1", None), ("message", "b", "1", None)]),
    ("id persists, empty id resets", b"id: 9\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
     [("message", "a", "9", None), ("message", "b", "9", None), ("message", "c", "", None)]),
    ("retry valid", b"retry: 2500\ndata: a\n\ndata: b\n\n",
     [("message", "a", "", 2500), ("message", "b", "", None)]),
    ("retry invalid", b"retry: 2.5\ndata: a\n\nretry: soon\ndata: b\n\nretry\ndata: c\n\n",
     [("message", "a", "", None), ("message", "b", "", None), ("message", "c", "", None)]),
    ("fields without colon", b"data\nevent\n\n", [("message", "", "", None)]),
    ("unknown fields", b"foo: bar\ndata: a\nDATA: b\n\n", [("message", "a", "", None)]),
    ("comments", b": keep-alive\ndata: a\n: inside\ndata: b\n\n:\n\n",
     [("message", "a\nb", "", None)]),
    ("one space only", b"data:  two\nevent:x\n\n", [("x", " two", "", None)]),
    ("unterminated last event", b"data: a\n\ndata: b\n", [("message", "a", "", None)]),
    ("unterminated last line", b"data: a\n\ndata: b", [("message", "a", "", None)]),
    ("unicode line separators are data", "data: a\u2028b\x85c\n\n".encode(),
     [("message", "a\u2028b\x85c", "", None)]),
    ("invalid utf-8 is replaced", b"data: a\xffb\n\n", [("message", "a\ufffdb", "", None)]),
    ("multi-byte split anywhere", "data: é😀\n\n".encode(), [("message", "é😀", "", None)]),
]  # fmt: skip


def _every_split(stream: bytes) -> Iterator[list[bytes]]:
    yield [stream]
    yield [stream[i : i + 1] for i in range(len(stream))]  # one byte per read
    for cut in range(1, len(stream)):
        yield [stream[:cut], stream[cut:]]


@pytest.mark.parametrize(("stream", "spec"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_spec_edge_cases_however_split(stream: bytes, spec: list[Event]) -> None:
    for chunks in _every_split(stream):
        assert harness_events(chunks) == spec, chunks
        assert httpx_sse_events(chunks) == spec, chunks


# --------------------------------------------------------------------------- differential

_TEXT = st.text(
    st.sampled_from(["a", "b", " ", ":", "\x00", "\u2028", "\x85", "é", "😀", "\ufeff"]),
    max_size=4,
)
_VALUE = st.lists(
    st.one_of(_TEXT.map(str.encode), st.sampled_from([b"\xff", b"\xe2\x82", b"\xf0\x9f"])),
    max_size=3,
).map(b"".join)
_RETRY = st.one_of(
    st.integers(0, 10**6).map(str),
    st.sampled_from(["", "abc", "1.5", "x1", "10a", "1 0"]),  # int() refuses these too
).map(str.encode)


@st.composite
def _stream_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["data", "data", "blank", "blank", "field", "retry", "comment"]))
    if kind == "blank":
        return b""
    if kind == "data":
        return b"data" + draw(st.sampled_from([b":", b": "])) + draw(_VALUE)
    if kind == "comment":
        return b":" + draw(_VALUE)
    if kind == "retry":  # ``:`` or ``: `` only: a value starting with a space is deviation 3
        return b"retry" + draw(st.sampled_from([b":", b": "])) + draw(_RETRY)
    name = draw(st.sampled_from([b"data", b"data", b"event", b"id", b"foo", b"Data", b"dat"]))
    separator = draw(st.sampled_from([b"", b":", b": ", b":  "]))
    return name if not separator else name + separator + draw(_VALUE)


@st.composite
def _streams(draw: st.DrawFn) -> list[bytes]:
    lines = draw(st.lists(_stream_lines(), max_size=12))
    endings = draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=len(lines),
                            max_size=len(lines)))  # fmt: skip
    stream = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    if draw(st.booleans()):
        stream = BOM + stream
    if draw(st.booleans()):
        stream += draw(_stream_lines())  # an unterminated last line
    cuts = draw(st.lists(st.integers(1, max(1, len(stream) - 1)), max_size=8))
    return _split(stream, cuts)


@settings(max_examples=400, deadline=None)
@given(_streams())
def test_harness_and_httpx_sse_dispatch_the_same_events(chunks: list[bytes]) -> None:
    assert harness_events(chunks) == httpx_sse_events(chunks)


@given(_streams())
@settings(deadline=None)
def test_how_a_stream_is_split_never_changes_the_events(chunks: list[bytes]) -> None:
    assert harness_events(chunks) == harness_events([b"".join(chunks)])


# --------------------------------------------------------------------------- deviations

DEVIATIONS: list[tuple[str, bytes, list[Event], list[Event]]] = [
    # (what, stream, the spec's events (harness's), httpx-sse's events)
    ("1: BOM kept", BOM + b"data: a\n\n", [("message", "a", "", None)], []),
    ("2: block without data", b"event: x\nid: 1\n\n", [], [("x", "", "1", None)]),
    ("2: blank lines after an id", b"id: 1\ndata: a\n\n\n",
     [("message", "a", "1", None)], [("message", "a", "1", None), ("message", "", "1", None)]),
    ("2: retry alone", b"retry: 10\n\n", [], [("message", "", "", 10)]),
    ("3: retry with a space", b"retry:  10\ndata: a\n\n",
     [("message", "a", "", None)], [("message", "a", "", 10)]),
    ("3: retry with a sign", b"retry: +10\ndata: a\n\n",
     [("message", "a", "", None)], [("message", "a", "", 10)]),
    ("3: retry with an underscore", b"retry: 1_000\ndata: a\n\n",
     [("message", "a", "", None)], [("message", "a", "", 1000)]),
    ("3: retry in Arabic-Indic digits", "retry: ١٢\ndata: a\n\n".encode(),
     [("message", "a", "", None)], [("message", "a", "", 12)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stream", "spec", "theirs"), [d[1:] for d in DEVIATIONS], ids=[d[0] for d in DEVIATIONS]
)
def test_where_httpx_sse_departs_from_the_spec(
    stream: bytes, spec: list[Event], theirs: list[Event]
) -> None:
    assert harness_events([stream]) == spec
    assert httpx_sse_events([stream], spec=False) == theirs
