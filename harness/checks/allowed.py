"""Outcomes other than the scenario's ``expect`` that are also correct, and why.

The protocol leaves adapters choices, and an adapter's contract (:mod:`harness.drivers.contract`)
declares its own: it may give up with its retry budget spent (``give_up``), stop at the
first status it does not retry or when its declared attempts run out, read a lone
terminator as an empty reply, or retry further than the protocol's default budget of two
retries when it declares more attempts. The expectations check asks here before judging.
"""

from __future__ import annotations

from harness.drivers.contract import PROTOCOL_RETRYABLE, Contract, kind_of_status, leading_errors
from harness.scenario.model import ErrorAttempt, ErrorKind, ReplyWrapper, Scenario
from harness.vocab.events import FinishEvent, Transcript

__all__ = ["declared_budget", "declared_give_up", "lone_terminator_accepted", "same_kind"]


def declared_give_up(scenario: Scenario, contract: Contract) -> tuple[ErrorKind, int] | None:
    """The error and most requests of an adapter that stops where its contract says: at the
    first leading HTTP error it does not retry, or when its attempts run out."""
    statuses = leading_errors(scenario)
    rules = contract.retry
    for i, status in enumerate(statuses):
        not_retried = status in PROTOCOL_RETRYABLE and status not in rules.statuses
        if i + 1 >= rules.max_attempts or not_retried:
            return kind_of_status(status), i + 1
    return None


def same_kind(wanted: ErrorKind, actual: ErrorKind) -> bool:
    """An ``unknown`` wanted kind is a status with no kind of its own (a 409): whatever kind
    the adapter gives the error it raises there is its choice, not a mismatch."""
    return wanted in ("unknown", actual)


def declared_budget(scenario: Scenario, contract: Contract) -> Scenario:
    """``scenario`` judged by a retry budget the contract declares larger than the protocol
    default: where the expectation is giving up because the default budget ran out, an
    adapter whose declared attempts reach the scripted reply must yield that reply.

    Only an explicitly declared ``max_attempts`` counts (the default is a storm limit, not a
    budget), and only leading errors the adapter retries: statuses the contract retries, or
    any the server marks ``x-should-retry: true``, never one marked ``false``. A Retry-After
    beyond the contract's cap does not stop it: the contract waits up to its cap and retries
    (giving up instead stays correct: ``give_up``)."""
    expect, rules = scenario.expect, contract.retry
    if "max_attempts" not in rules.model_fields_set or expect.error is None:
        return scenario
    errors = []
    for attempt in scenario.attempts:
        if not isinstance(attempt, ErrorAttempt):
            break
        errors.append(attempt.error)
    rest = scenario.attempts[len(errors) :]
    if (
        expect.give_up != expect.error
        or expect.requests != len(errors)
        or len(errors) + 1 > rules.max_attempts
        or not rest
        or not isinstance(rest[0], ReplyWrapper)
    ):
        return scenario
    for error in errors:
        should = next((v for k, v in error.headers.items() if k.lower() == "x-should-retry"), None)
        if not (should == "true" or (should is None and error.status in rules.statuses)):
            return scenario
    from harness.scenario.outcome import Faults, expect_for

    reply = rest[0].reply
    plan = Faults(errors=tuple(errors), stream=reply.fault, budget=rules.max_attempts - 1)
    return scenario.model_copy(update={"expect": expect_for(reply, plan)})


def lone_terminator_accepted(scenario: Scenario, contract: Contract, t: Transcript) -> bool:
    replies = scenario.replies()
    fault = replies[-1].fault if replies else None
    if fault is None or not fault.terminator_only:
        return False
    if contract.stream_end.lone_terminator != "empty-stop":
        return False
    terminals = t.terminals()
    last = terminals[-1] if terminals else None
    return (
        isinstance(last, FinishEvent)
        and last.reason == "stop"
        and not t.text()
        and not t.tool_calls()
    )
