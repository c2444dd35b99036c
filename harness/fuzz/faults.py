"""Fault sequences for generated scenarios: HTTP errors of every status the protocols use,
with every Retry-After form (seconds, ms, date, both, 0, a past date, negative, garbage,
beyond any cap) and x-should-retry, a connection dropped before the first byte, retry runs
up to one past the retry budget, and one fault in the reply's stream; with what a correct
adapter does about each (the protocol default, as the bundled scenarios state it).

Re-exported by :mod:`harness.fuzz.strategies`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from harness.fuzz.values import Draw, _check_bool, _check_int, _ints, _named
from harness.scenario.model import ErrorKind, HttpErrorReply, StreamFault

__all__ = [
    "ALL_STATUSES",
    "FAULT_ERRORS",
    "FINAL_STATUSES",
    "HEADER_FORMS",
    "RETRYABLE_STATUSES",
    "RETRY_BUDGET",
    "WAIT_CAP",
    "Faults",
    "faults",
    "http_errors",
    "stream_faults",
]

RETRYABLE_STATUSES = (429, 503, 408, 409, 500, 502, 504, 529)
"""Retried by the OpenAI and Anthropic SDKs (409 is an adapter's choice: not retrying it and
raising at once is also correct, see ``give_up``)."""
FINAL_STATUSES = (400, 401, 403, 404, 413, 422)
"""Never retried (unless the server says ``x-should-retry: true``)."""
ALL_STATUSES = RETRYABLE_STATUSES + FINAL_STATUSES
RETRY_BUDGET = 2
"""Retries the OpenAI and Anthropic SDKs make by default: the protocol default budget."""
WAIT_CAP = 120.0
"""Longest wait a correct adapter takes (the OpenAI SDK honours Retry-After up to here); past
it, a correct adapter gives up at once or waits no more than its own cap and retries, as
``retry-after-huge`` states: either is correct, so a huge wait neither ends the retries
nor sets a least wait."""
HEADER_FORMS = (
    "none",
    "seconds",
    "ms",
    "http_date",
    "both",
    "zero",
    "past",
    "negative",
    "garbage",
    "huge",
    "should_retry_false",
    "should_retry_true",
)
"""The Retry-After / x-should-retry forms an error may carry."""
_SLACK = 10.0
"""Seconds a correct adapter may wait beyond what the server asked (its own backoff)."""

FAULT_ERRORS: dict[str, ErrorKind] = {
    "cut_after": "protocol",
    "truncate_after": "protocol",
    "malformed_at": "protocol",
    "empty": "protocol",
    "terminator_only": "protocol",
    "error_payload": "server",
    "stall_after": "timeout",
}
"""The error a correct adapter raises for each stream fault (as the bundled scenarios say)."""

_SERVER_ERROR: dict[str, JsonValue] = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "code": "server_error",
    }
}
_STATUS_KIND: dict[int, ErrorKind] = {
    429: "rate_limit",
    408: "timeout",
    400: "bad_request",
    409: "unknown",  # a conflict: no kind of its own (harness.drivers.classify)
    413: "bad_request",
    422: "bad_request",
    401: "auth",
    403: "auth",
    404: "not_found",
}


def status_kind(status: int) -> ErrorKind:
    """The error kind a correct adapter raises for an HTTP status."""
    return _STATUS_KIND.get(status, "server")


def _header(error: HttpErrorReply, name: str) -> str | None:
    return next((v for k, v in error.headers.items() if k.lower() == name), None)


def asked_wait(error: HttpErrorReply) -> float:
    """The wait a correct adapter honours for this error: retry-after-ms before Retry-After;
    0 for a past, negative or unreadable one."""
    if error.retry_after is None:
        return 0.0
    return max(0.0, error.retry_after)


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Faults:
    """What goes wrong in one generated scenario: HTTP errors before the reply (all of one
    status, so a correct adapter's give-up error has one kind), a fault in the reply's
    stream, and keep-alive comments between its events."""

    errors: tuple[HttpErrorReply, ...] = ()
    stream: StreamFault | None = None
    keepalive_every: int = 0
    disconnect: bool = False
    """A connection dropped before the first byte comes before the reply (no HTTP errors)."""
    budget: int = RETRY_BUDGET

    def attempts_used(self) -> int:
        """Requests a correct adapter sends before the outcome (the reply, or giving up)."""
        if self.disconnect:
            return 2
        for i, error in enumerate(self.errors):
            if self._stops(error) or i >= self.budget:  # final, or the retries are spent
                return i + 1
        return len(self.errors) + 1

    def _stops(self, error: HttpErrorReply) -> bool:
        should = _header(error, "x-should-retry")
        if should is not None:
            return should == "false"
        return error.status in FINAL_STATUSES

    def http_outcome(self) -> tuple[ErrorKind | None, ErrorKind | None]:
        """(the error a correct adapter must end with, the error it may give up with)."""
        if self.disconnect:
            return None, "protocol"
        if not self.errors:
            return None, None
        kind = status_kind(self.errors[0].status)
        for error in self.errors:
            should = _header(error, "x-should-retry")
            if should == "false" or (error.status in FINAL_STATUSES and should is None):
                return kind, kind  # final: stop here
        if len(self.errors) > self.budget:
            return kind, kind  # one past the budget: the retries are spent
        return None, kind

    def max_wait(self) -> float | None:
        """The longest wait between two requests a correct adapter takes, or None when no
        error asks for one (plain backoff is the retry invariants' business)."""
        if not self.errors:
            return None
        asked = [asked_wait(e) for e in self.errors]
        if any(a > WAIT_CAP for a in asked):
            return WAIT_CAP
        if all(e.retry_after is None and not e.headers for e in self.errors):
            return None
        return max(asked) + _SLACK

    def error_kind(self) -> ErrorKind | None:
        """The error a correct adapter ends with because of the stream fault."""
        if self.stream is None:
            return None
        for name, kind in FAULT_ERRORS.items():
            value = getattr(self.stream, name)
            if value is not None and value is not False:  # cut_after=0 is a fault too
                return kind
        return None

    def give_up_kind(self) -> ErrorKind | None:
        """The error an adapter may raise when its retry budget runs out first."""
        return self.http_outcome()[1]


def http_errors(
    *, statuses: Sequence[int] = (429, 503), max_retry_after: int = 30
) -> st.SearchStrategy[HttpErrorReply]:
    """A retryable HTTP error with no Retry-After, or one in each form: whole seconds,
    ``retry-after-ms``, or an HTTP date. Waits stay within ``max_retry_after`` seconds, under
    the caps adapters declare (the OpenAI SDK ignores more than 60 s)."""
    _check_statuses(statuses)
    _check_int("max_retry_after", max_retry_after, 0)
    return st.sampled_from(list(statuses)).flatmap(lambda s: _errors(s, max_retry_after))


def _check_statuses(statuses: Sequence[int]) -> None:
    if not statuses:
        raise InvalidArgument("statuses must not be empty")
    for status in statuses:
        _check_int("status", status, 400, 599)


@cache
def _errors(status: int, max_retry_after: int) -> st.SearchStrategy[HttpErrorReply]:
    """Every header form; a final status only plain or with ``x-should-retry: true``."""
    if status in FINAL_STATUSES:
        return st.sampled_from(
            [HttpErrorReply(status=status), HttpErrorReply(status=status, headers=_SHOULD_TRUE)]
        )
    top = max(1, max_retry_after)
    plain = st.just(HttpErrorReply(status=status))
    return st.one_of(
        plain,
        plain,  # no header at all: the adapter's own backoff is what is checked
        st.integers(0, max_retry_after).map(
            lambda s: HttpErrorReply(status=status, retry_after=s, retry_after_form="seconds")
        ),
        st.integers(0, max_retry_after * 1000).map(
            lambda ms: HttpErrorReply(status=status, retry_after=ms / 1000, retry_after_form="ms")
        ),
        st.integers(1, top).map(
            lambda s: HttpErrorReply(status=status, retry_after=s, retry_after_form="http_date")
        ),
        st.integers(0, top * 1000).map(  # both headers: the ms one wins
            lambda ms: HttpErrorReply(
                status=status,
                retry_after=ms / 1000,
                retry_after_form="ms",
                headers={"retry-after": str(math.ceil(ms / 1000) + 30)},
            )
        ),
        st.just(HttpErrorReply(status=status, retry_after=0)),
        st.integers(20, 110).map(  # a date in the past (clock skew): no wait
            lambda s: HttpErrorReply(status=status, retry_after=-s, retry_after_form="http_date")
        ),
        st.integers(1, 60).map(lambda s: HttpErrorReply(status=status, retry_after=-s)),
        st.sampled_from(["soon", "1.5s", "tomorrow", ""]).map(
            lambda v: HttpErrorReply(status=status, headers={"retry-after": v})
        ),
        st.integers(int(WAIT_CAP) + 1, 86_400 * 7).map(
            lambda s: HttpErrorReply(status=status, retry_after=s)
        ),
        st.sampled_from([_SHOULD_FALSE, _SHOULD_TRUE]).map(
            lambda h: HttpErrorReply(status=status, headers=h)
        ),
    )


_SHOULD_TRUE = {"x-should-retry": "true"}
_SHOULD_FALSE = {"x-should-retry": "false"}


def stream_faults(*, max_index: int = 8) -> st.SearchStrategy[StreamFault]:
    """One fault of a 200 stream. Event indexes stay within ``max_index``: pass the reply's
    number of pieces so a cut or truncation always falls before the finish in any dialect."""
    _check_int("max_index", max_index, 0)
    return _stream_fault_strategy(max_index)


@cache
def _stream_fault_strategy(max_index: int) -> st.SearchStrategy[StreamFault]:
    index = st.integers(0, max_index)
    return st.one_of(
        index.map(lambda n: StreamFault(cut_after=n)),
        index.map(lambda n: StreamFault(truncate_after=n)),
        index.map(lambda n: StreamFault(malformed_at=n)),
        st.just(StreamFault(empty=True)),
        st.just(StreamFault(terminator_only=True)),
        st.just(StreamFault(error_payload=_SERVER_ERROR)),
        index.map(lambda n: StreamFault(stall_after=n)),
    )


def faults(
    *,
    statuses: Sequence[int] = ALL_STATUSES,
    max_errors: int = RETRY_BUDGET + 1,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
) -> st.SearchStrategy[Faults]:
    """A fault sequence: up to ``max_errors`` HTTP errors of one status (each header form
    mixed; a final status once), or a connection dropped before the first byte, then
    perhaps a cut, truncated, malformed, empty, stalled or error-ending stream
    (``stream=False`` for non-streamed requests), perhaps keep-alive comments. Most draws
    have no fault at all, so the happy path stays well covered."""
    _check_statuses(statuses)
    _check_int("max_errors", max_errors, 0)
    _check_bool("stream", stream)
    _check_int("max_index", max_index, 0)
    _check_int("max_retry_after", max_retry_after, 0)
    return _faults(
        statuses=tuple(statuses),
        max_errors=max_errors,
        stream=stream,
        max_index=max_index,
        max_retry_after=max_retry_after,
    )


def _draw_faults(
    draw: Draw[Any],
    *,
    statuses: tuple[int, ...] = ALL_STATUSES,
    max_errors: int = RETRY_BUDGET + 1,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
    disconnects: bool = True,
) -> Faults:
    # three draws in seven have no error (it shrinks to none); two in seven spend the
    # default retry budget and one more
    count = min(max_errors, max(0, draw(_ints(0, 2 * max_errors)) - max_errors + 1))
    status = draw(_sampled(statuses))
    if status in FINAL_STATUSES:
        count = min(count, 1)  # nothing after a final error is ever requested
    errors = tuple(draw(_error_lists(status, max_retry_after, count)))
    disconnect = disconnects and not errors and draw(_ints(0, 7)) == 7
    fault = None
    if stream and draw(_ints(0, 3)) == 3:
        fault = draw(_stream_fault_strategy(max_index))
    keepalive = draw(_KEEPALIVES) if stream else 0
    return Faults(errors=errors, stream=fault, keepalive_every=keepalive, disconnect=disconnect)


_KEEPALIVES = st.sampled_from([0, 0, 0, 1, 3])


@cache
def _sampled(options: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.sampled_from(options)


@cache
def _error_lists(
    status: int, max_retry_after: int, count: int
) -> st.SearchStrategy[list[HttpErrorReply]]:
    return st.lists(_errors(status, max_retry_after), min_size=count, max_size=count)


_faults = _named("faults", _draw_faults)
