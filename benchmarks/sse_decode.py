"""SSE decoding throughput: harness's decoder against httpx-sse and a naive byte splitter.

The stream is the benchmark chat completion repeated to 10 MB, fed two ways: one chunk
per event (what a replay serves) and 64 KiB reads (what a socket gives a busy client).

- harness: ``harness.dialects.sse.SSEDecoder.feed`` on the bytes, then ``close``.
- httpx-sse: exactly what ``EventSource.aiter_sse`` does after httpx hands it text: an
  incremental UTF-8 decoder (httpx's ``aiter_text``), ``SSELineDecoder``, then
  ``SSEDecoder.decode`` per line. The httpx response machinery is left out, so this is
  httpx-sse's own cost only.
- naive: ``buffer.split(b"\\n\\n")`` and strip ``data: `` (what hand-written clients do; wrong
  on CRLF, CR, comments, multi-line data and ``event:`` fields).

Every decoder must find the same number of events, or the row says so.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable, Sequence

from benchmarks import Row, median, spread, verdict
from benchmarks.stream import events

__all__ = ["DECODERS", "measure", "run", "stream"]

SIZE = 10_000_000
READ = 64 * 1024
GOAL = 2.0


def stream(size: int = SIZE) -> list[bytes]:
    """The benchmark events, repeated until ``size`` bytes."""
    out: list[bytes] = []
    total = 0
    source = events()
    while total < size:
        for event in source:
            out.append(event)
            total += len(event)
    return out


def reads(chunks: Sequence[bytes], size: int) -> list[bytes]:
    body = b"".join(chunks)
    return [body[i : i + size] for i in range(0, len(body), size)]


def harness_decode(chunks: Sequence[bytes]) -> int:
    from harness.dialects.sse import SSEDecoder

    decoder = SSEDecoder()
    n = 0
    for chunk in chunks:
        n += len(decoder.feed(chunk))
    return n + len(decoder.close())


def httpx_sse_decode(chunks: Sequence[bytes]) -> int:
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = SSEDecoder()
    n = 0
    for chunk in chunks:
        for line in lines.decode(text.decode(chunk)):
            if decoder.decode(line.rstrip("\n")) is not None:
                n += 1
    for line in lines.flush():
        if decoder.decode(line.rstrip("\n")) is not None:
            n += 1
    return n


def naive_decode(chunks: Sequence[bytes]) -> int:
    buffer = b""
    n = 0
    for chunk in chunks:
        buffer += chunk
        *blocks, buffer = buffer.split(b"\n\n")
        for block in blocks:
            if block.startswith(b"data: "):
                block[6:].decode("utf-8")
                n += 1
    return n


DECODERS: dict[str, Callable[[Sequence[bytes]], int]] = {
    "harness SSEDecoder": harness_decode,
    "httpx-sse": httpx_sse_decode,
    "naive byte splitter": naive_decode,
}


def measure(*, repeats: int, size: int = SIZE) -> dict[str, dict[str, tuple[list[float], int]]]:
    """Per chunking, per decoder: MB/s (CPU time) of each round, and the events found.

    A round decodes the stream once with every decoder, one after the other, so a ratio
    taken within a round compares decoders that ran under the same load.
    """
    per_event = stream(size)
    total = sum(len(c) for c in per_event)
    feeds = {"per event": per_event, "64 KiB reads": reads(per_event, READ)}
    results: dict[str, dict[str, tuple[list[float], int]]] = {}
    for label, chunks in feeds.items():
        found = {name: decode(chunks) for name, decode in DECODERS.items()}  # warm, and count
        rates: dict[str, list[float]] = {name: [] for name in DECODERS}
        for _ in range(repeats):
            for name, decode in DECODERS.items():
                started = time.thread_time()
                decode(chunks)
                rates[name].append(total / (time.thread_time() - started) / 1e6)
        results[label] = {name: (rates[name], found[name]) for name in DECODERS}
    return results


def run(quick: bool) -> list[Row]:
    size = 1_000_000 if quick else SIZE
    results = measure(repeats=2 if quick else 7, size=size)
    rows: list[Row] = []
    for label, by_decoder in results.items():
        base, expected = by_decoder["httpx-sse"]
        for name, (rates, found) in by_decoder.items():
            ratios = [rate / b for rate, b in zip(rates, base, strict=True)]
            goal = result = ""
            if name == "harness SSEDecoder":
                goal = f">= {GOAL:.0f}x httpx-sse (median)"
                result = verdict(median(ratios) >= GOAL and found == expected)
            note = f"{found} events; min / median / max of {len(rates)} rounds" + (
                "" if found == expected else " (count differs!)"
            )
            rows.append(
                Row(
                    benchmark=f"SSE decode {size / 1e6:.0f} MB, {label}",
                    subject=name,
                    measured=spread(rates, "{:.0f}", " MB/s"),
                    ratio=spread(ratios, "{:.2f}", "x") + " httpx-sse",
                    note=note,
                    goal=goal,
                    result=result,
                )
            )
    return rows
