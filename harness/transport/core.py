"""The library-neutral replay core: match requests to a Script, log them, stream bodies.

The per-library adapters (``_bind``) only translate ``httpx``/``httpx2`` requests into
:class:`WireRequest` and the result back into responses; every decision is made here, once,
for sync and async alike. Nothing here does I/O: time is the
:class:`~harness.transport.clock.Clock`.

Harness exceptions::

    AssertionError
     ├── ReplayMiss ........... a request the script did not expect next (or one too many)
     ├── ReplayIncomplete ..... scripted exchanges the adapter never requested
     ├── StaleClient .......... a request to the replay of a cell that has ended
     └── EndlessStall ......... the server stalls and the client set no read timeout
    RuntimeError
     └── ClockError ........... (harness.transport.clock) a second clock installed in one thread
    OSError
     └── ConnectionError
          └── NetworkBlocked .. (harness.transport.guard) a real connection attempted during replay

They derive from ``AssertionError`` because each is a conformance failure; adapters often
swallow exceptions raised inside their transport (the OpenAI SDK turns them into a
connection error and retries), so the replay also keeps them in ``misses`` for the runner.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from email.utils import formatdate
from typing import NamedTuple, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio.lowlevel
from pydantic import JsonValue

from harness.dialects.script import Exchange, HttpDate, Script
from harness.transport._pace import idle, loop_state
from harness.transport.clock import Clock
from harness.vocab.errors import HarnessError
from harness.vocab.events import RequestRecord, ResponseRecord
from harness.vocab.secrets import mask_header, mask_headers, mask_json, mask_url

__all__ = [
    "CUT_MESSAGE",
    "RESET_MESSAGE",
    "BodyStream",
    "EndlessStall",
    "Replay",
    "ReplayIncomplete",
    "ReplayMiss",
    "Served",
    "StaleClient",
    "WireErrors",
    "WireRequest",
    "mask_headers",
    "retry_after",
    "stale_request",
]

CUT_MESSAGE = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)
"""What h11 says when a server closes mid-body; adapters match on it, so we say it too."""
RESET_MESSAGE = "Server disconnected without sending a response."
"""What httpx says when the connection drops before the response head."""
TIMEOUT_MESSAGE = "The read operation timed out"


class ReplayMiss(HarnessError, AssertionError):
    """A request that does not match the next scripted exchange, or one after the last."""


class ReplayIncomplete(HarnessError, AssertionError):
    """The run ended with scripted exchanges never requested."""


class StaleClient(HarnessError, AssertionError):
    """A request reached the replay of a run that is over: a client kept from an earlier
    cell (module level, ``lru_cache``) is talking to it instead of the current one."""


class EndlessStall(HarnessError, AssertionError):
    """The script stalls the response and the client has no read timeout: it would hang."""


class WireRequest(NamedTuple):
    """What an adapter tells the core about a request, in plain Python types.

    This and the next two are tuples, built for every request: a frozen dataclass costs
    several times more to build (``RecordedChunk`` made the same choice)."""

    method: str
    url: str
    headers: Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]]
    """As sent: text, or the HTTP library's latin-1 bytes (decoded only when logged)."""
    body: bytes
    read_timeout: float | None
    """The client's read timeout in seconds (httpx: ``extensions["timeout"]["read"]``)."""


class WireErrors(NamedTuple):
    """The HTTP library's own exception constructors, so clients see what a real server gives."""

    cut: Callable[[str], BaseException]
    timeout: Callable[[str], BaseException]


class Served(NamedTuple):
    """The response head and its body stream, ready for an adapter to wrap."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: BodyStream


def _record(request: WireRequest, path: str, at: float, index: int | None) -> RequestRecord:
    """The log entry of one request: parsed, and masked by the secret policy
    (:mod:`harness.vocab.secrets`) in URL, headers and body."""
    return RequestRecord(
        method=request.method.upper(),
        url=mask_url(request.url),
        path=path,
        headers=dict(itertools.starmap(_logged_header, request.headers)),
        body=mask_json(_parse_body(request.body)),
        at=at,
        exchange=index,
    )


@functools.lru_cache(maxsize=4096)
def _logged_header(name: str | bytes, value: str | bytes) -> tuple[str, str]:
    """One header as logged: text, the name lower-cased, secrets masked (a client sends
    the same headers with every request: each pair as sent is decoded and masked once)."""
    text = _latin1(name)
    return text.lower(), mask_header(text, _latin1(value))  # as mask_headers has each pair


def _latin1(text: str | bytes) -> str:
    return text.decode("latin-1") if isinstance(text, bytes) else text


def _parse_body(body: bytes) -> JsonValue:
    if not body:
        return None
    try:
        parsed: JsonValue = json.loads(body)
    except (ValueError, RecursionError):
        return body.decode("utf-8", errors="replace")
    return parsed


@functools.lru_cache(maxsize=1024)
def _split_path(path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A scripted path may carry its own query (cassettes do): it becomes required params."""
    path, _, query = path.partition("?")
    return "/" + path.lstrip("/"), tuple(parse_qsl(query, keep_blank_values=True))


def _mismatches(
    exchange: Exchange, method: str, path: str, query: list[tuple[str, str]]
) -> list[str]:
    """Which matchers fail, each with what was expected and what came."""
    failed: list[str] = []
    if method.upper() != exchange.method.upper():
        failed.append(f"method: expected {exchange.method.upper()}, got {method.upper()}")
    want_path, path_query = _split_path(exchange.path)
    if path != want_path and not path.endswith(want_path):
        failed.append(f"path: expected {want_path!r} (or a path ending with it), got {path!r}")
    for key, value in (*path_query, *exchange.query):
        if (key, value) not in query:
            got = [v for k, v in query if k == key]
            failed.append(f"query: expected {key}={value!r}, got {got or 'nothing'}")
    return failed


class Replay:
    """Serves a Script strictly in order and logs every request, matched or not.

    A request matches the next exchange when the method is equal (any case), the path is
    equal to ``exchange.path`` or ends with it (so ``https://x.invalid/v1`` as base URL
    plus ``/chat/completions`` matches a scripted ``/chat/completions``), and every
    required query parameter is present with its value (extra ones are fine).
    """

    def __init__(self, script: Script, clock: Clock | None = None, *, repeat_last: int = 0) -> None:
        self.script = script
        self.repeat_last = repeat_last
        """Re-sends the adapter's contract declares after the last reply's failure: once the
        script is served, its last exchange is served again this many times, so a cell
        judges what the adapter finally does rather than the replay running out."""
        self.clock = clock if clock is not None else Clock()
        self._log: list[RequestRecord] = []
        self._unlogged: list[tuple[WireRequest, str, float, int | None]] = []
        self.misses: list[ReplayMiss] = []
        self._next = 0
        self._streams: list[BodyStream] = []
        self.run_name = ""
        """Which run this replay serves (a test's node id, a cell), for stale-client messages."""
        self.retired = False
        """The run this replay served is over: any request now comes from a stale client."""
        self.stale: list[str] = []
        """Requests that reached an earlier run's replay while this one was active."""
        self.foreign_transports: list[str] = []
        """Transports clients were built with while this replay served (not the replay's)."""
        self._timeouts: list[tuple[int, float]] = []
        """(request number, virtual time) of each read timeout before a response head."""

    def __repr__(self) -> str:
        total = len(self.script.exchanges)
        return f"<Replay {self.script.source or 'script'}: {self._next}/{total} served>"

    @property
    def log(self) -> list[RequestRecord]:
        """Every request so far, matched or not, in order: masked, its body parsed.

        Serving keeps only what each record is made from (the request as sent, its time
        and exchange) and the records are built when the log is first read: masking and
        parsing cost more than serving a 225-event stream, and a test that never reads
        the log should not pay for it. The list is the same object on every read.
        """
        if self._unlogged:
            self._log.extend([_record(*entry) for entry in self._unlogged])
            self._unlogged.clear()
        return self._log

    @property
    def remaining(self) -> tuple[Exchange, ...]:
        return self.script.exchanges[self._next :]

    @contextlib.contextmanager
    def active(self) -> Iterator[Self]:
        """The replay of the run in progress; on exit it is retired, so a client that
        outlives the run is told apart from one of the next run (see :class:`StaleClient`)."""
        _active.append(self)
        try:
            yield self
        finally:
            _active.remove(self)
            self.retired = True

    def serve(self, request: WireRequest, errors: WireErrors) -> Served:
        """Match, log, apply the exchange delay and return the response to stream.

        Raises :class:`ReplayMiss` on a mismatch, or the library's read timeout when the
        delay before the response exceeds the client's read timeout.
        """
        if self.retired:
            raise stale_request(self, request)
        parts = urlsplit(request.url)
        path = unquote(parts.path) or "/"
        query = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
        index = self._next
        total = len(self.script.exchanges)
        if total <= index < total + self.repeat_last:
            index = total - 1  # a declared re-send: the last scripted attempt again
        exchange = self.script.exchanges[index] if index < total else None
        failed = (
            _mismatches(exchange, request.method, path, query) if exchange else ["extra request"]
        )
        self._record(request, path, None if failed else index)
        if failed:
            miss = ReplayMiss(self._miss_message(request, path, query, exchange, failed))
            self.misses.append(miss)
            raise miss
        assert exchange is not None
        self._next += 1
        number = len(self._log) + len(self._unlogged) - 1
        try:
            _wait(self.clock, exchange.delay, request.read_timeout, errors)
        except BaseException:
            self._timeouts.append((number, self.clock.elapsed()))
            raise
        if exchange.end == "reset":
            raise errors.cut(RESET_MESSAGE)
        headers = tuple((name, self._render(value)) for name, value in exchange.headers)
        body = BodyStream(self, exchange, index, request.read_timeout, errors)
        body.request, body.head_at = number, self.clock.elapsed()
        self._streams.append(body)
        return Served(exchange.status, headers, body)

    def responses(self) -> list[ResponseRecord]:
        """How each served request was answered so far, in request order (for timelines)."""
        found = [
            ResponseRecord(request=number, status=None, end="timeout", end_at=at)
            for number, at in self._timeouts
        ]
        found += [s.record() for s in self._streams]
        return sorted(found, key=lambda r: r.request)

    async def aserve(self, request: WireRequest, errors: WireErrors) -> Served:
        """:meth:`serve`, then a checkpoint so other tasks see the time that passed (skipped
        when it could change nothing, see :meth:`BodyStream.areads`)."""
        served = self.serve(request, errors)
        if not idle(*loop_state()):
            await anyio.lowlevel.checkpoint()
        return served

    def assert_all_served(self) -> None:
        """Raise the first miss (the adapter may have swallowed it), or unserved exchanges."""
        if self.misses:
            raise self.misses[0]
        if self.remaining:
            listed = "\n".join(
                f"  {self._next + i}: {e.describe()}" for i, e in enumerate(self.remaining)
            )
            raise ReplayIncomplete(
                f"{len(self.remaining)} scripted exchange(s) never requested"
                f"{self._source()}:\n{listed}\n{self._served_lines()}"
            )

    def unclosed_streams(self) -> list[BodyStream]:
        """Response bodies the client neither read to the end nor closed (a leak)."""
        return [s for s in self._streams if not s.done]

    def _render(self, value: str | HttpDate) -> str:
        if isinstance(value, HttpDate):
            # HTTP dates have whole seconds: round up, so the date is never sooner than asked
            return formatdate(math.ceil(self.clock.time() + value.seconds), usegmt=True)
        return value

    def _record(self, request: WireRequest, path: str, index: int | None) -> None:
        self._unlogged.append((request, path, self.clock.elapsed(), index))

    def _source(self) -> str:
        return f" in {self.script.source}" if self.script.source else ""

    def _served_lines(self) -> str:
        served = [r for r in self.log if r.exchange is not None]
        if not served:
            return "Served so far: nothing."
        lines = "\n".join(f"  {r.exchange}: {r.method} {r.url} at {r.at:.3f}s" for r in served)
        return f"Served so far:\n{lines}"

    def _miss_message(
        self,
        request: WireRequest,
        path: str,
        query: list[tuple[str, str]],
        expected: Exchange | None,
        failed: list[str],
    ) -> str:
        came = f"{request.method.upper()} {mask_url(request.url)}"
        if expected is None:
            head = (
                f"Unexpected extra request {came}: all {len(self.script.exchanges)} scripted "
                f"exchange(s){self._source()} were already served."
            )
        else:
            head = (
                f"Request {came} does not match the next scripted exchange "
                f"#{self._next}: {expected.describe()}{self._source()}.\n"
                "Failed matchers:\n" + "\n".join(f"  {f}" for f in failed)
            )
        scored = [
            (len(_mismatches(e, request.method, path, query)), i, e)
            for i, e in enumerate(self.script.exchanges)
        ]
        closest = ""
        if scored:
            _, i, e = min(scored, key=lambda t: (t[0], abs(t[1] - self._next)))
            why = _mismatches(e, request.method, path, query)
            status = "served" if i < self._next else "not yet served"
            verdict = "matches" if not why else "fails " + "; ".join(why)
            closest = f"\nClosest scripted exchange: #{i} {e.describe()} ({status}) {verdict}."
        hint = "\nHint: the script is served strictly in order; add or reorder exchanges."
        return f"{head}{closest}\n{self._served_lines()}{hint}"


_active: list[Replay] = []
"""Replays whose run is in progress (innermost last)."""


def stale_request(replay: Replay, request: WireRequest, origin: str = "") -> StaleClient:
    """The error for ``request`` reaching ``replay`` after its run: logged on the run in
    progress (its setup error), naming where the client was built when that is known."""
    message = (
        f"{request.method.upper()} {mask_url(request.url)} reached the replay of a "
        f"run that is over{replay._source()}: the client was built before this run"
    )
    if origin:
        message += f" ({origin})"
    if _active:
        _active[-1].stale.append(message)
    return StaleClient(message)


def _wait(clock: Clock, seconds: float, read_timeout: float | None, errors: WireErrors) -> None:
    """Let ``seconds`` pass before the next bytes, unless the client's read timeout is shorter."""
    if read_timeout is not None and seconds > read_timeout:
        clock.advance(read_timeout)
        raise errors.timeout(TIMEOUT_MESSAGE)
    clock.advance(seconds)


class BodyStream:
    """One response body, one scripted chunk per read; ends as the exchange says.

    Iterable both sync and async (the same step either way). ``done`` becomes true when
    the client read to the end (or hit the scripted error) or closed the response.
    """

    __slots__ = (
        *("_chunks", "_clock", "_errors", "_position", "_read_timeout"),
        *("closed", "done", "exchange", "index"),
        *("end_at", "ending", "head_at", "pauses", "request"),
    )

    def __init__(
        self,
        replay: Replay,
        exchange: Exchange,
        index: int,
        read_timeout: float | None,
        errors: WireErrors,
    ) -> None:
        self.exchange = exchange
        self.index = index
        self.done = False
        self.closed = False
        self._clock = replay.clock
        self._read_timeout = read_timeout
        self._errors = errors
        self._position = 0
        self._chunks = exchange.chunks
        self.request = index
        """Which request (in the log) this answers; set by :meth:`Replay.serve`."""
        self.head_at: float | None = None
        self.ending: str = "open"
        self.end_at: float | None = None
        self.pauses: list[tuple[float, float]] = []

    def __repr__(self) -> str:
        total = len(self.exchange.chunks)
        state = "closed" if self.closed else "done" if self.done else "open"
        where = f"{self._position}/{total} chunks"
        return f"<BodyStream #{self.index} {self.exchange.describe()}: {where}, {state}>"

    def close(self) -> None:
        if not self.done:
            self._ended("closed")
        self.closed = self.done = True

    def record(self) -> ResponseRecord:
        """This response on the virtual clock: head, pauses and how (and when) it ended."""
        return ResponseRecord(
            request=self.request,
            status=self.exchange.status,
            retry_after=retry_after(self.exchange),
            head_at=self.head_at,
            end=self.ending,  # type: ignore[arg-type]
            end_at=self.end_at,
            chunks=self._position,
            pauses=self.pauses,
        )

    def _ended(self, how: str) -> None:
        self.ending, self.end_at = how, self._clock.elapsed()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        data = self._step()
        if data is None:
            raise StopIteration
        return data

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        data = self._step()
        await anyio.lowlevel.checkpoint()
        if data is None:
            raise StopAsyncIteration
        return data

    async def areads(self) -> AsyncIterator[bytes]:
        """The reads as an async generator: what the httpx/httpx2 streams iterate.

        The same steps and checkpoints as ``__anext__``, without a coroutine per chunk, and a
        checkpoint (a turn of the event loop: one per chunk tripled a replay's cost) is
        skipped where it could change nothing: no callback ready and no timer pending, so
        no other task could run and no cancellation or timeout arrive. Ready callbacks are
        checked before every chunk (the reader's own code may schedule some); while any
        timer is pending, every chunk takes the exact path (``_step``, then ``idle``).
        """
        loop, ready, timers = loop_state()
        while True:
            start = self._position
            for position, chunk in enumerate(() if timers else self._chunks[start:], start + 1):
                if chunk.delay or self.closed or ready:  # inline: this runs once per chunk
                    break
                self._position = position
                yield chunk.data
            data = self._step()
            if not idle(loop, ready, timers):
                await anyio.lowlevel.checkpoint()
            if data is None:
                return
            yield data

    def _step(self) -> bytes | None:
        """The next chunk after its delay, None at a clean end, or the scripted failure."""
        if self.closed:
            return None
        chunks = self.exchange.chunks
        if self._position < len(chunks):
            chunk = chunks[self._position]
            self._position += 1
            if chunk.delay:
                self.pauses.append((self._clock.elapsed(), chunk.delay))
            try:
                _wait(self._clock, chunk.delay, self._read_timeout, self._errors)
            except BaseException:
                self.done = True
                self._ended("timeout")
                raise
            return chunk.data
        self.done = True
        if self.exchange.end == "cut":
            self._ended("cut")
            raise self._errors.cut(CUT_MESSAGE)
        if self.exchange.end == "stall":
            if self._read_timeout is None:
                self._ended("stall")
                raise EndlessStall(
                    f"request {self.request + 1}, {self.exchange.describe()}, stalls after its "
                    "last chunk and the client set no read timeout: a real client would hang "
                    "forever"
                )
            self._clock.advance(self._read_timeout)
            self._ended("stall")
            raise self._errors.timeout(TIMEOUT_MESSAGE)
        self._ended("complete")
        return None


def retry_after(exchange: Exchange) -> float | None:
    """The wait a response asks for, in seconds, from its scripted ``Retry-After`` /
    ``retry-after-ms`` headers (None when neither is readable): retry-after-ms before
    Retry-After, as OpenAI documents them and the OpenAI and Anthropic SDKs read them; the
    request log, the timeline and the retry checks all read them this one way. AWS spells
    the milliseconds ``x-amz-retry-after`` (botocore ``retries/standard.py``), read as
    retry-after-ms."""
    millis = ("retry-after-ms", "x-amz-retry-after")
    headers = tuple(sorted(exchange.headers, key=lambda h: h[0].lower() not in millis))
    for name, value in headers:
        key = name.lower()
        if key not in ("retry-after", *millis):
            continue
        if isinstance(value, HttpDate):
            return value.seconds
        try:
            seconds = float(value)
        except ValueError:
            continue
        return seconds / 1000 if key in millis else seconds
    return None
