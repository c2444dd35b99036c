"""Fault sequences for generated scenarios: HTTP errors with each Retry-After form before the
reply, and one fault in the reply's stream, with the error a correct adapter raises.

Re-exported by :mod:`harness.checks.strategies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from harness.checks._values import Draw, _check_bool, _check_int, _ints, _named
from harness.scenario import ErrorKind, HttpError, StreamFault

__all__ = ["FAULT_ERRORS", "Faults", "faults", "http_errors", "stream_faults"]

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
_STATUS_KIND: dict[int, ErrorKind] = {429: "rate_limit"}

# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Faults:
    """What goes wrong in one generated scenario: HTTP errors before the reply (all of one
    status, so a correct adapter's give-up error has one kind), a fault in the reply's
    stream, and keep-alive comments between its events."""

    errors: tuple[HttpError, ...] = ()
    stream: StreamFault | None = None
    keepalive_every: int = 0

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
        if not self.errors:
            return None
        return _STATUS_KIND.get(self.errors[0].status, "server")


def http_errors(
    *, statuses: Sequence[int] = (429, 503), max_retry_after: int = 30
) -> st.SearchStrategy[HttpError]:
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
def _errors(status: int, max_retry_after: int) -> st.SearchStrategy[HttpError]:
    return st.one_of(
        st.just(HttpError(status=status)),
        st.integers(0, max_retry_after).map(
            lambda s: HttpError(status=status, retry_after=s, retry_after_form="seconds")
        ),
        st.integers(0, max_retry_after * 1000).map(
            lambda ms: HttpError(status=status, retry_after=ms / 1000, retry_after_form="ms")
        ),
        st.integers(1, max(1, max_retry_after)).map(
            lambda s: HttpError(status=status, retry_after=s, retry_after_form="http_date")
        ),
    )


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
    statuses: Sequence[int] = (429, 503),
    max_errors: int = 3,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
) -> st.SearchStrategy[Faults]:
    """A fault sequence: up to ``max_errors`` HTTP errors of one status (each Retry-After form
    mixed), then perhaps a cut, truncated, malformed, empty, stalled or error-ending stream
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
    statuses: tuple[int, ...] = (429, 503),
    max_errors: int = 3,
    stream: bool = True,
    max_index: int = 8,
    max_retry_after: int = 30,
) -> Faults:
    count = draw(_ints(0, 2 * max_errors))
    count = max(0, count - max_errors)  # most draws have no error; shrinks to none
    status = draw(_sampled(statuses))
    errors = tuple(draw(_error_lists(status, max_retry_after, count)))
    fault = None
    if stream and draw(_ints(0, 3)) == 3:
        fault = draw(_stream_fault_strategy(max_index))
    keepalive = draw(_KEEPALIVES) if stream else 0
    return Faults(errors=errors, stream=fault, keepalive_every=keepalive)


_KEEPALIVES = st.sampled_from([0, 0, 0, 1, 3])


@cache
def _sampled(options: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.sampled_from(options)


@cache
def _error_lists(
    status: int, max_retry_after: int, count: int
) -> st.SearchStrategy[list[HttpError]]:
    return st.lists(_errors(status, max_retry_after), min_size=count, max_size=count)


_faults = _named("faults", _draw_faults)
