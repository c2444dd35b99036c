"""Invariants every transcript must satisfy, whatever the scenario expects (DESIGN.md).

1. exactly one terminal event, and it is last;
3. tool-call arguments are JSON objects, ids non-empty and unique;
4. usage reported at most once, non-negative, equal to what the server sent;
6. after a Retry-After, the next request comes no sooner than it says;
7. non-retryable errors are not retried; retries back off and stop;
8. errors surface as the adapter's typed errors, never a raw transport exception.
Plus: every request matched the script, every stream was closed, no task was left running.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.checks import Check, named
from harness.checks.wire import WIRE_INVARIANTS as WIRE
from harness.checks.wire import wire_call_ids
from harness.dialects.script import Exchange
from harness.drivers.contract import PROTOCOL_FINAL, PROTOCOL_RETRYABLE
from harness.scenario.model import ToolCallPart
from harness.transport.core import retry_after
from harness.vocab.codes import Code
from harness.vocab.events import ErrorEvent, FinishEvent, RequestRecord, ToolCallEvent
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["INVARIANTS", "RetryPolicy", "retry_after_seconds"]


@dataclass(frozen=True)
class RetryPolicy:
    """The protocol's retry policy, the defaults of :class:`harness.drivers.contract.RetryRules`
    (kept for callers of earlier versions; a driver overrides it with its contract).

    ``min_backoff``: a retry after a 429/5xx without Retry-After must wait at least this long.
    ``max_attempts``: more requests than this for one call is a retry storm.
    """

    min_backoff: float = 0.1
    max_attempts: int = 12


POLICY = RetryPolicy()
_RETRYABLE_STATUSES = PROTOCOL_RETRYABLE


@named("invariant:terminal")
def terminal(run: Run) -> list[Finding]:
    """Exactly one terminal event (finish or error), and it is the last event."""
    assert run.transcript is not None
    events = run.transcript.events
    where = run.scenario.where()
    ends = [i for i, e in enumerate(events) if isinstance(e, FinishEvent | ErrorEvent)]
    if not ends:
        return [
            Finding(
                code=Code.NO_TERMINAL_EVENT,
                check="invariant:terminal",
                message="the adapter's output ended with neither a finish nor an error: "
                "the caller cannot tell a complete reply from a cut one",
                expected="one finish or error event, last",
                actual=[e.kind for e in events[-5:]],
                where=f"{where} · after event {len(events) - 1}",
            )
        ]
    found = []
    if len(ends) > 1:
        found.append(
            Finding(
                code=Code.MULTIPLE_TERMINAL_EVENTS,
                check="invariant:terminal",
                message=f"{len(ends)} terminal events; exactly one is allowed",
                expected=1,
                actual=[events[i].kind for i in ends],
                where=f"{where} · events {ends}",
            )
        )
    if ends[-1] != len(events) - 1:
        found.append(
            Finding(
                code=Code.EVENTS_AFTER_TERMINAL,
                check="invariant:terminal",
                message="events came after the terminal event",
                expected="terminal event last",
                actual=[e.kind for e in events[ends[-1] :]],
                where=f"{where} · event {ends[-1]}",
            )
        )
    return found


@named("invariant:tool-calls")
def tool_calls(run: Run) -> list[Finding]:
    """Arguments are JSON objects; ids are non-empty and unique."""
    assert run.transcript is not None
    where = run.scenario.where()
    sent = _sent_argument_texts(run)
    found: list[Finding] = []
    seen: set[str] = set()
    # a legacy function_call has no id on the wire (its result is answered by name)
    legacy = any(r.wire.legacy_function_call for r in run.scenario.replies())
    # nor do the calls of a wire without call ids (Gemini, Ollama: a result names its tool)
    legacy = legacy or not wire_call_ids(run.dialect)
    for i, call in enumerate(run.transcript.tool_calls()):
        at = f"{where} · tool call {i}"
        if call.raw is not None or not isinstance(call.arguments, dict):
            found.append(_bad_arguments(call, sent.get(call.name, []), at))
        if not call.id and not legacy and run.contract.features.tool_call_ids:
            found.append(
                Finding(
                    code=Code.TOOL_CALL_ID_MISSING,
                    check="invariant:tool-calls",
                    message=f"tool call {i} ({call.name}) has no id: a tool result cannot "
                    "be matched to it",
                    expected="a non-empty id",
                    actual=call.id,
                    where=at,
                )
            )
        elif call.id in seen:
            found.append(
                Finding(
                    code=Code.TOOL_CALL_ID_DUPLICATE,
                    check="invariant:tool-calls",
                    message=f"tool call id {call.id!r} is used twice",
                    expected="unique ids",
                    actual=call.id,
                    where=at,
                )
            )
        elif call.id:
            seen.add(call.id)
    return found


def _sent_argument_texts(run: Run) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for reply in run.scenario.replies():
        for part in reply.parts:
            if isinstance(part, ToolCallPart):
                call = part.tool_call
                texts.setdefault(call.name, []).append(call.argument_text())
    return texts


def _bad_arguments(call: ToolCallEvent, sent: list[str], where: str) -> Finding:
    raw = call.raw if call.raw is not None else json.dumps(call.arguments)
    lost = any(_is_lossy_copy(raw, text) for text in sent if _parses(text))
    if lost:
        return Finding(
            code=Code.TOOL_ARGS_FRAGMENT_LOST,
            check="invariant:tool-calls",
            message=f"the arguments of {call.name} are missing pieces the server sent: "
            "a streamed fragment was dropped",
            expected=next(t for t in sent if _is_lossy_copy(raw, t)),
            actual=raw,
            where=where,
        )
    return Finding(
        code=Code.TOOL_ARGS_INVALID,
        check="invariant:tool-calls",
        message=f"the arguments of {call.name} are not a JSON object",
        expected="a JSON object",
        actual=raw,
        where=where,
    )


def _parses(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _is_lossy_copy(raw: str, sent: str) -> bool:
    """``raw`` is ``sent`` with characters missing (in order): fragments were dropped."""
    if len(raw) >= len(sent):
        return False
    chars = iter(sent)
    return all(c in chars for c in raw)


@named("invariant:usage")
def usage(run: Run) -> list[Finding]:
    """Usage is reported at most once, non-negative, and equal to what the server sent."""
    assert run.transcript is not None
    where = run.scenario.where()
    usages = run.transcript.usages()
    found: list[Finding] = []
    if len(usages) > 1:
        found.append(
            Finding(
                code=Code.USAGE_REPEATED,
                check="invariant:usage",
                message=f"usage was reported {len(usages)} times; a caller summing it "
                "would over-count",
                expected=1,
                actual=[u.model_dump(exclude={"kind"}, exclude_none=True) for u in usages],
                where=where,
            )
        )
    for u in usages:
        if any(v is not None and v < 0 for v in (u.input, u.output)):
            found.append(
                Finding(
                    code=Code.USAGE_NEGATIVE,
                    check="invariant:usage",
                    message="usage has a negative token count",
                    expected=">= 0",
                    actual=u.model_dump(exclude={"kind"}),
                    where=where,
                )
            )
    replies = run.scenario.replies()
    # a faulted stream may end before the usage chunk: then the server sent none
    sent = replies[-1].usage if replies and replies[-1].fault is None else None
    if usages and sent is not None and run.scenario.expect.usage is None:
        got = usages[-1]
        if (got.input, got.output) != (sent.input, sent.output):
            found.append(
                Finding(
                    code=Code.USAGE_WRONG,
                    check="invariant:usage",
                    message="reported usage differs from what the server sent",
                    expected={"input": sent.input, "output": sent.output},
                    actual={"input": got.input, "output": got.output},
                    where=where,
                )
            )
    return found


def retry_after_seconds(exchange: Exchange) -> float | None:
    """The wait an exchange's Retry-After / Retry-After-Ms headers ask for, in seconds
    (retry-after-ms wins when both are sent, as in the OpenAI and Anthropic SDKs)."""
    return retry_after(exchange)


def _served(run: Run) -> Iterator[tuple[int, RequestRecord, Exchange | None]]:
    assert run.transcript is not None and run.script is not None
    for i, req in enumerate(run.transcript.requests):
        ex = run.script.exchanges[req.exchange] if req.exchange is not None else None
        yield i, req, ex


@named("invariant:retries")
def retries(run: Run) -> list[Finding]:
    """Retry-After honoured (up to the contract's cap); final errors not retried; retries
    back off (at least the contract's minimum) and stop (within its attempts)."""
    assert run.transcript is not None
    where = run.scenario.where()
    rules = run.contract.retry
    reqs = run.transcript.requests
    found: list[Finding] = []
    served = list(_served(run))
    for i, req, ex in served[:-1]:
        if ex is None:
            continue
        wait = reqs[i + 1].at - req.at
        at = f"{where} · attempt {i + 1} -> {i + 2}"
        asked = retry_after_seconds(ex)
        retryable = ex.status in rules.statuses
        cap = rules.retry_after_cap
        due = asked if asked is None or cap is None else min(asked, cap)
        if due is not None and retryable and wait + 1e-3 < due:
            capped = f" (the adapter's cap: {cap:g} s)" if due != asked else ""
            found.append(
                Finding(
                    code=Code.RETRY_AFTER_IGNORED,
                    check="invariant:retries",
                    message=f"after HTTP {ex.status} with Retry-After {asked:g} s{capped} the "
                    f"next request came {wait:.3f} s later",
                    expected={"wait_s": due},
                    actual={"wait_s": round(wait, 3)},
                    where=at,
                    breaks="contract" if due != asked else "protocol",
                )
            )
        elif asked is None and retryable and wait < rules.min_backoff:
            found.append(
                Finding(
                    code=Code.RETRY_WITHOUT_BACKOFF,
                    check="invariant:retries",
                    message=f"after HTTP {ex.status} the adapter retried after {wait:.3f} s; "
                    f"the policy asks for at least {rules.min_backoff:g} s of backoff",
                    expected={"wait_s": rules.min_backoff},
                    actual={"wait_s": round(wait, 3)},
                    where=at,
                    breaks="protocol" if rules.min_backoff <= POLICY.min_backoff else "contract",
                )
            )
        prev = served[i - 1][2] if i > 0 else None
        twice_401 = ex.status == 401 and prev is not None and prev.status == 401
        declared_final = ex.status in rules.final_statuses or (
            ex.status in _RETRYABLE_STATUSES and ex.status not in rules.statuses
        )
        # OpenAI's x-should-retry overrides the status either way (both SDKs honour it)
        should = next((v for k, v in ex.headers if k.lower() == "x-should-retry"), None)
        final = declared_final or twice_401
        if (final and should != "true") or (should == "false" and ex.status >= 400):
            by_protocol = ex.status in PROTOCOL_FINAL or twice_401 or should == "false"
            found.append(
                Finding(
                    code=Code.NON_RETRYABLE_RETRIED,
                    check="invariant:retries",
                    message=f"HTTP {ex.status} is final"
                    + ("" if by_protocol else " by the adapter's contract")
                    + f", yet the adapter sent request {i + 2}",
                    expected="no further request",
                    actual={"status": ex.status, "next_request_after_s": round(wait, 3)},
                    where=at,
                    breaks="protocol" if by_protocol else "contract",
                )
            )
    # attempts: the first request plus every request that follows an error answer (polls of
    # a run and the steps of a multi-request flow are not retries); a request the replay
    # refused is not an answer of the server's, so it does not inflate the count
    attempts = 1 + sum(1 for _, _, ex in served[:-1] if ex is not None and ex.status >= 400)
    if attempts > rules.max_attempts:
        found.append(
            Finding(
                code=Code.RETRY_STORM,
                check="invariant:retries",
                message=f"{attempts} attempts for one call; the "
                + ("policy" if rules.max_attempts >= POLICY.max_attempts else "contract")
                + f" allows {rules.max_attempts}",
                expected={"max_attempts": rules.max_attempts},
                actual={"attempts": attempts, "requests": len(reqs)},
                where=where,
                breaks="protocol" if rules.max_attempts >= POLICY.max_attempts else "contract",
            )
        )
    return found


@named("invariant:typed-errors")
def typed_errors(run: Run) -> list[Finding]:
    """Errors surface as the adapter's own exceptions, never a raw transport one."""
    assert run.transcript is not None
    return [
        Finding(
            code=Code.TRANSPORT_ERROR_LEAKED,
            check="invariant:typed-errors",
            message=f"a raw {e.type} escaped the adapter; callers cannot catch it by the "
            "adapter's error types",
            expected="the adapter's typed error",
            actual={"type": e.type, "message": e.message[:200]},
            where=run.scenario.where(),
        )
        for e in run.transcript.events
        if isinstance(e, ErrorEvent) and e.leaked
    ]


@named("invariant:replay")
def replay(run: Run) -> list[Finding]:
    """Every request matched the script; every response stream was closed; no task left."""
    assert run.transcript is not None
    where = run.scenario.where()
    found = [
        Finding(
            code=Code.REQUEST_MISMATCH,
            check="invariant:replay",
            message=miss.splitlines()[0],
            expected=None,
            actual=miss,
            where=where,
        )
        for miss in run.misses
    ]
    if run.unclosed_streams:
        found.append(
            Finding(
                code=Code.STREAM_NOT_CLOSED,
                check="invariant:replay",
                message=f"{run.unclosed_streams} response stream(s) were neither read to the "
                "end nor closed: the connection leaks",
                expected=0,
                actual=run.unclosed_streams,
                where=where,
                severity="warning",
            )
        )
    if run.leaked_tasks:
        found.append(
            Finding(
                code=Code.TASK_LEAKED,
                check="invariant:replay",
                message=f"{len(run.leaked_tasks)} asyncio task(s) the adapter started were "
                "still running when its call returned; they outlive the call on the "
                "caller's event loop",
                expected=[],
                actual=run.leaked_tasks,
                where=where,
                severity="warning",
            )
        )
    return found


INVARIANTS: list[Check] = [terminal, tool_calls, usage, retries, typed_errors, replay, *WIRE]
