"""What every dialect does the same way, written once: one exchange per attempt, SSE
framing, stream faults, the ``scenario.dialects`` gate, ids hashed from the scenario, and
the error headers (``Retry-After`` in its three forms).

A dialect supplies how one error attempt and one reply attempt look on its wire; this
module walks the attempts in order and frames a stream's events (keep-alive comments,
line endings, the space after ``data:``, chunking) as the scenario's ``wire`` says.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import JsonValue

from harness.dialects.base import BY_MARKER, BY_PATH
from harness.dialects.chunking import chunk_events
from harness.dialects.framing import frame_events
from harness.dialects.recent import Recent
from harness.dialects.script import Chunk, Exchange, HttpDate, Script
from harness.dialects.sse import SSEEvent
from harness.scenario.model import (
    NO_FINISH,
    DisconnectAttempt,
    ErrorAttempt,
    HttpErrorReply,
    RawAttempt,
    ReplyAttempt,
    ReplyWrapper,
    Scenario,
    StreamFault,
    Wire,
)

__all__ = [
    "ALPHABET",
    "DONE",
    "AttemptIds",
    "End",
    "WireDialect",
    "alnum",
    "apply_data_fault",
    "apply_fault",
    "compact_json",
    "compile_attempts",
    "digest",
    "disconnect_exchange",
    "encode_data_stream",
    "encode_named_events",
    "encode_stream",
    "error_headers",
    "header_number",
    "limited_to",
    "raw_exchange",
    "refuse_unsupported",
]

DONE = "[DONE]"
"""The terminator of data-only streams (OpenAI chat, the gateway)."""

End = Literal["close", "cut", "stall", "reset"]
"""How a scripted body ends (see :class:`harness.dialects.script.Exchange`)."""

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""Letters and digits: the alphabet of the providers' id bodies."""

E = TypeVar("E")


def limited_to(name: str, scenario: Scenario) -> str | None:
    """Why dialect ``name`` does not play the scenario because ``scenario.dialects`` leaves
    it out (None: the scenario does not limit it away)."""
    if scenario.dialects is not None and name not in scenario.dialects:
        return f"scenario is limited to dialects {scenario.dialects}"
    return None


class WireDialect:
    """What every dialect class says the same way: its ``name``, a repr, the
    ``scenario.dialects`` gate before the wire's own :meth:`wire_support`, one exchange per
    attempt (:meth:`compile`), and recognition by endpoint (a path ending in one of
    ``paths``: :data:`BY_PATH`) or body marker (one of ``markers`` in the head:
    ``marker_score``). A wire with other rules overrides :meth:`recognise`."""

    name: str
    paths: ClassVar[tuple[str, ...]] = ()
    markers: ClassVar[tuple[bytes, ...]] = ()
    marker_score: ClassVar[int] = BY_MARKER
    no_finish: ClassVar[bool] = False
    """The wire can say a reply carries no finish reason (a nullable reason field)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def supports(self, scenario: Scenario) -> str | None:
        """None if the dialect can express the scenario, else the feature it lacks.

        The answer for the same scenario object is reused (:data:`_ANSWERS`): a fuzzed
        example is asked about while drawn, compiled, re-cut and run."""
        return _ANSWERS.compute(self, scenario, lambda: self._supports(scenario))

    def _supports(self, scenario: Scenario) -> str | None:
        return (
            limited_to(self.name, scenario)
            or self.finish_support(scenario)
            or self.wire_support(scenario)
        )

    def finish_support(self, scenario: Scenario) -> str | None:
        """Why a reply without a finish reason cannot be said here (None: it can, or no
        reply lacks one): on most wires the reason, or the event that ends the reply, is
        structural, so leaving it out would be a broken wire, not a missing reason."""
        if self.no_finish or all(r.finish != NO_FINISH for r in scenario.replies()):
            return None
        return (
            f"{self.name} always says why a reply ended: a reply without a finish reason "
            "cannot be said"
        )

    def wire_support(self, scenario: Scenario) -> str | None:
        """:meth:`supports` once the scenario's ``dialects`` admit this one: None (the wire
        can say everything a scenario says) unless a wire overrides it."""
        return None

    def require_support(self, scenario: Scenario) -> None:
        """Refuse (``ValueError``) a scenario the dialect does not support."""
        refuse_unsupported(self.name, scenario, self.supports(scenario))

    def compile(
        self,
        scenario: Scenario,
        error_exchange: Callable[[Scenario, int, HttpErrorReply], Exchange],
        reply_exchange: Callable[[Scenario, int, ReplyAttempt], Exchange],
    ) -> Script:
        """:func:`compile_attempts` for this dialect, refused unless it supports the scenario."""
        return compile_attempts(
            self.name, scenario, self.supports(scenario), error_exchange, reply_exchange
        )

    def recognise(self, path: str, head: bytes) -> int:
        """:data:`BY_PATH` for a path ending in one of ``paths``, ``marker_score`` for a
        head holding one of ``markers``, else 0."""
        if path.endswith(self.paths):
            return BY_PATH
        return self.marker_score if any(marker in head for marker in self.markers) else 0


_ANSWERS: Recent[str | None] = Recent(16)
"""The last few answers of :meth:`WireDialect.supports`, by dialect and scenario (the
answer depends on nothing else: scenarios are frozen models)."""


def refuse_unsupported(name: str, scenario: Scenario, reason: str | None) -> None:
    """The ``ValueError`` synthesizing a scenario dialect ``name`` cannot express raises
    (``reason`` from ``supports``; None: nothing to refuse)."""
    if reason is not None:
        raise ValueError(f"{scenario.where()}: cannot synthesize for {name}: {reason}")


def digest(*parts: object) -> str:
    """The SHA-256 hex digest of the parts joined by ``:``: ids hashed from a scenario, so
    the same scenario always gives the same bytes."""
    return _sha256(":".join(map(str, parts)))


@functools.lru_cache(maxsize=4096)
def _sha256(text: str) -> str:
    """Scenario ids repeat (every fuzzed example is ``fuzz-example``), and so do their
    attempts' ids: each is hashed once per process."""
    return hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def alnum(seed: str, length: int) -> str:
    """A deterministic id body of ``length`` letters and digits, hashed from ``seed``."""
    number = int(digest(seed), 16)
    out = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        out.append(ALPHABET[index])
    return "".join(out)


class AttemptIds:
    """Ids of one attempt, hashed from the scenario id and the attempt number (``seed``):
    the same scenario always gets the same ids. ``request`` is the ``req_`` id OpenAI-style
    servers answer with; a wire adds its own ids in a subclass."""

    def __init__(self, scenario: Scenario, attempt: int) -> None:
        self.seed = f"{scenario.id}:{attempt}"
        self.request = "req_" + digest("request", self.seed)[:32]

    def call(self, index: int) -> str:
        """A tool-call id in OpenAI's form (``call_`` and 24 letters or digits)."""
        return "call_" + alnum(f"{self.seed}:call:{index}", 24)

    def hashed(self, kind: str, length: int, *more: object) -> str:
        """``length`` hex digits hashed from ``kind``, the seed and ``more``: an id body."""
        return digest(kind, self.seed, *more)[:length]


def compact_json(value: object) -> str:
    """JSON as the providers stream it: no spaces, UTF-8 kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def header_number(value: float) -> str:
    """``2`` for 2.0, ``1.5`` for 1.5: how a header spells a number."""
    value = round(float(value), 6)
    return str(int(value)) if value.is_integer() else repr(value)


def error_headers(
    error: HttpErrorReply, base: dict[str, str | HttpDate]
) -> dict[str, str | HttpDate]:
    """``base`` (the wire's own headers), then the scenario's ``error.headers`` (lower
    case), then ``Retry-After`` in the form the scenario asks: whole or fractional
    ``seconds``, OpenAI's ``retry-after-ms``, or an HTTP date rendered at serve time."""
    headers = dict(base)
    for name, value in error.headers.items():
        headers[name.lower()] = value
    if error.retry_after is not None:
        if error.retry_after_form == "seconds":
            headers["retry-after"] = header_number(error.retry_after)
        elif error.retry_after_form == "ms":
            headers["retry-after-ms"] = header_number(error.retry_after * 1000)
        else:
            headers["retry-after"] = HttpDate(error.retry_after)
    return headers


def compile_attempts(
    name: str,
    scenario: Scenario,
    reason: str | None,
    error_exchange: Callable[[Scenario, int, HttpErrorReply], Exchange],
    reply_exchange: Callable[[Scenario, int, ReplyAttempt], Exchange],
) -> Script:
    """One exchange per attempt, in order; ``reason`` (from ``supports``) refuses early."""
    refuse_unsupported(name, scenario, reason)
    exchanges = []
    for n, attempt in enumerate(scenario.attempts):
        if isinstance(attempt, ErrorAttempt):
            exchanges.append(error_exchange(scenario, n, attempt.error))
        elif isinstance(attempt, DisconnectAttempt):
            exchanges.append(
                disconnect_exchange(error_exchange(scenario, n, HttpErrorReply(status=503)))
            )
        elif isinstance(attempt, RawAttempt):
            exchanges.append(
                raw_exchange(error_exchange(scenario, n, HttpErrorReply(status=500)), attempt)
            )
        else:
            assert isinstance(attempt, ReplyWrapper)
            exchanges.append(reply_exchange(scenario, n, attempt.reply))
    return Script(
        exchanges=tuple(exchanges),
        source=scenario.where(),
        notes={"dialect": name, "scenario": scenario.id},
    )


def raw_exchange(like: Exchange, attempt: RawAttempt) -> Exchange:
    """The request ``like`` answers, answered with the raw reply's status, headers and
    bytes, unchanged."""
    n = like.label.split(":")[0]
    raw = attempt.raw
    body = raw.body.encode("utf-8")
    return replace(
        like,
        status=raw.status,
        headers=tuple(raw.headers.items()),
        chunks=(Chunk(body),) if body else (),
        end="close",
        label=f"{n}: raw {raw.status}",
    )


def disconnect_exchange(like: Exchange) -> Exchange:
    """The request ``like`` answers, answered by a connection dropped before any byte."""
    n = like.label.split(":")[0]
    return replace(like, status=200, headers=(), chunks=(), end="reset", label=f"{n}: disconnect")


def encode_stream(events: Sequence[SSEEvent], wire: Wire) -> tuple[Chunk, ...]:
    """SSE-encode the events as the wire's framing options say (keep-alive comments
    between events, never after the last; see :mod:`harness.dialects.framing`), then
    chunk."""
    encoded, delays = frame_events(events, wire)
    return chunk_events(encoded, wire.chunking, event_delay=delays)


def apply_fault(
    fault: StreamFault | None,
    content: list[E],
    tail: list[E],
    *,
    terminator: E | None,
    error_event: Callable[[dict[str, Any]], E],
    last: str,
) -> tuple[list[E], End, int | None]:
    """Apply a stream fault to ``content`` (the events before the end) and ``tail`` (the
    events that end the stream): the events left, how the body ends, and which event to
    break (``malformed_at``; the caller cuts it, once it is encoded). ``terminator`` is
    what ``terminator_only`` sends (None: the wire has none), ``error_event`` renders an
    in-stream error payload as this wire sends it, ``last`` names the last event for the
    message of a ``malformed_at`` past the end."""
    events = content + tail
    if fault is None:
        return events, "close", None
    if fault.empty:
        return [], "close", None
    if fault.terminator_only and terminator is not None:
        return [terminator], "close", None
    if fault.cut_after is not None:
        return events[: fault.cut_after], "cut", None
    if fault.stall_after is not None:
        return events[: fault.stall_after], "stall", None
    if fault.truncate_after is not None:
        # A clean end with no terminal event: at most the content events.
        return content[: fault.truncate_after], "close", None
    if fault.error_payload is not None:
        return [*content, error_event(fault.error_payload)], "close", None
    if fault.malformed_at is not None:
        at = fault.malformed_at
        if at >= len(events):
            raise ValueError(
                f"malformed_at={at} is past the end of the stream, which has {len(events)} {last}"
            )
        return events, "close", at
    return events, "close", None


def apply_data_fault(
    fault: StreamFault | None,
    content: list[str],
    tail: list[str],
    error_data: Callable[[dict[str, JsonValue]], str],
) -> tuple[list[str], End]:
    """:func:`apply_fault` for a data-only stream: ``content`` (the deltas) and ``tail``
    (finish, usage, ``[DONE]``). Faults count data events from 0, ``[DONE]`` included; a
    malformed event is cut in half."""
    events, end, malformed = apply_fault(
        fault,
        content,
        tail,
        terminator=DONE,
        error_event=error_data,
        last=f"data events (0..{len(content) + len(tail) - 1}, [DONE] last)",
    )
    if malformed is not None:
        events[malformed] = events[malformed][: len(events[malformed]) // 2]
    return events, end


def encode_data_stream(events: Sequence[str], wire: Wire) -> tuple[Chunk, ...]:
    """:func:`encode_stream` for data-only events (OpenAI chat, the gateway)."""
    return encode_stream([SSEEvent(data=data) for data in events], wire)


def encode_named_events(
    events: Sequence[tuple[str, dict[str, Any]]],
    malformed: int | None,
    wire: Wire,
    *,
    numbered: bool = False,
) -> tuple[Chunk, ...]:
    """:func:`encode_stream` for named events (Responses, Anthropic): each ``(name, fields)``
    is ``event: name`` with data ``{"type": name, **fields}`` (``numbered``: with the
    ``sequence_number`` counting from 0 that Responses sends); the event at ``malformed``
    is cut in half."""
    sse: list[SSEEvent] = []
    for i, (name, fields) in enumerate(events):
        head: dict[str, Any] = {"type": name, "sequence_number": i} if numbered else {"type": name}
        data = compact_json({**head, **fields})
        if i == malformed:
            data = data[: len(data) // 2]
        sse.append(SSEEvent(event=name, data=data))
    return encode_stream(sse, wire)
