"""What a correct adapter does when things go wrong: the protocol's defaults for HTTP errors
(which statuses are final, which are retried, how long a Retry-After asks to wait, how many
retries a budget allows) and for faults in a reply's stream, as the bundled scenarios state
them; and the ``expect:`` that follows from one plan of faults before one reply.

The fuzzer generates plans (:mod:`harness.fuzz.faults`); the checks use the same defaults to
tell which outcomes a scenario allows (:mod:`harness.checks.allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.scenario.model import (
    Expect,
    ExpectedToolCall,
    ExpectedUsage,
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    StreamFault,
    TextPart,
    ToolCallPart,
)
from harness.vocab.kinds import ErrorKind

__all__ = [
    "ALL_STATUSES",
    "FAULT_ERRORS",
    "FINAL_STATUSES",
    "RETRYABLE_STATUSES",
    "RETRY_BUDGET",
    "WAIT_CAP",
    "Faults",
    "asked_wait",
    "expect_for",
    "status_kind",
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


def expect_for(reply: ReplyAttempt, plan: Faults) -> Expect:
    """What a correct adapter does on this reply after these faults (the protocol default)."""
    final, give_up = plan.http_outcome()
    max_wait = plan.max_wait()
    if final is not None:  # a final error, x-should-retry: false, or the budget spent
        return Expect(
            error=final, give_up=give_up, requests=plan.attempts_used(), max_wait=max_wait
        )
    error = plan.error_kind() or ("server" if reply.outcome == "failed" else None)
    if error is not None:
        return Expect(error=error, give_up=give_up, max_wait=max_wait)
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    reasoning = [p.reasoning for p in reply.parts if isinstance(p, ReasoningPart)]
    # a wait past the cap may be cut to the adapter's own cap: it sets no least wait
    waits = [w for w in (asked_wait(e) for e in plan.errors) if w <= WAIT_CAP]
    return Expect(
        text="".join(p.text for p in reply.parts if isinstance(p, TextPart)),
        reasoning="".join(reasoning) if reasoning else None,
        refusal=reply.refusal.text if reply.refusal is not None else None,
        tool_calls=[
            ExpectedToolCall(
                name=c.name,
                arguments=c.arguments if isinstance(c.arguments, dict) else {},
                id=None if reply.wire.legacy_function_call else c.id,  # no id on that wire
            )
            for c in calls
        ],
        finish=reply.finish,
        usage=(
            ExpectedUsage(input=reply.usage.input, output=reply.usage.output)
            if reply.usage is not None
            else None
        ),
        requests=plan.attempts_used(),
        min_wait=round(sum(waits), 6) if sum(waits) > 0 else None,
        max_wait=max_wait,
        give_up=give_up,
    )
