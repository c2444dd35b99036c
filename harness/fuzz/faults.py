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
from functools import cache
from typing import Any

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from harness.fuzz.values import Draw, _check_bool, _check_int, _ints, _named
from harness.scenario.model import HttpErrorReply, StreamFault
from harness.scenario.outcome import (
    ALL_STATUSES,
    FAULT_ERRORS,
    FINAL_STATUSES,
    RETRY_BUDGET,
    RETRYABLE_STATUSES,
    WAIT_CAP,
    Faults,
)

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
_SERVER_ERROR: dict[str, JsonValue] = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "code": "server_error",
    }
}


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
    errors: tuple[HttpErrorReply, ...] = ()
    if count:  # the status and headers are drawn only for errors that are sent
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
