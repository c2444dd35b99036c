"""The scenario's ``expect`` block: what a correct adapter yields on this wire."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from pydantic import JsonValue

from harness.checks import named
from harness.checks.allowed import (
    declared_budget,
    declared_give_up,
    lone_terminator_accepted,
    same_kind,
)
from harness.checks.refusal import explained_text, refusal_findings
from harness.checks.wire import refine, wire_call_ids, wire_names_tool_calls
from harness.drivers.contract import Contract
from harness.scenario.model import (
    NO_FINISH,
    ErrorAttempt,
    ExpectedRequest,
    ReplyAttempt,
    Scenario,
)
from harness.vocab.codes import Code
from harness.vocab.events import ErrorEvent, FinishEvent, RequestRecord, Transcript
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["EXPECTATIONS", "silent_failure_code"]

NON_RETRYABLE = frozenset({"bad_request", "not_found", "auth", "context_window"})


@named("expectations")
def EXPECTATIONS(run: Run) -> list[Finding]:
    """Compare the transcript with ``scenario.expect``; unset fields are not checked."""
    assert run.transcript is not None
    scenario, t = run.scenario, run.transcript
    where = scenario.where()
    terminals = t.terminals()
    last = terminals[-1] if terminals else None
    give_up = scenario.expect.give_up
    if give_up is not None and isinstance(last, ErrorEvent) and same_kind(give_up, last.error):
        return []  # an allowed outcome: the adapter's retry budget ran out
    contract = run.contract
    declared = declared_give_up(scenario, contract)
    if declared is not None and isinstance(last, ErrorEvent):
        kind, most = declared
        if same_kind(kind, last.error) and len(t.requests) <= most:
            return []  # the adapter stops retrying where its contract says it does
    scenario = declared_budget(scenario, contract)
    if lone_terminator_accepted(scenario, contract, t):
        return []  # the contract's end-of-stream rule: an empty reply that finished
    found: list[Finding] = []
    stop_for_calls = not (contract.features.tool_calls_finish or wire_names_tool_calls(run.dialect))
    found += _terminal(scenario, t, where, stop_for_calls=stop_for_calls)
    found += _text(scenario, t, where, reasoning=contract.features.reasoning)
    found += refusal_findings(scenario, t, where)
    found = explained_text(scenario, t, found)
    found += _tool_calls(
        scenario, t, where, ids=contract.features.tool_call_ids and wire_call_ids(run.dialect)
    )
    found += _usage(scenario, t, where) if contract.features.usage else []
    found += _requests(scenario, t, where, contract)
    found += _sent(scenario, t, where)
    # what follows from an unexpected error is settled before the wire option renames it
    # (rootcause reads codes, and the renamed error would leave its consequences behind)
    from harness.checks.rootcause import outcome_consequences

    found = outcome_consequences(found, {f.code for f in found})
    return refine(scenario, found)


def _terminal(
    scenario: Scenario, t: Transcript, where: str, *, stop_for_calls: bool = False
) -> list[Finding]:
    """The last terminal event against ``expect.error`` / ``expect.finish``; with
    ``stop_for_calls`` (a wire that does not name a tool-call finish, and an adapter whose
    contract reports its completion as is) ``stop`` stands for ``tool_calls``."""
    expect = scenario.expect
    terminals = t.terminals()
    last = terminals[-1] if terminals else None
    if expect.error is not None:
        if isinstance(last, ErrorEvent):
            if last.error == expect.error:
                return []
            return [
                Finding(
                    code=Code.ERROR_KIND_MISMATCH,
                    check="expectations",
                    message=f"the adapter raised a {last.error} error where the wire says "
                    f"{expect.error} ({last.type}: {last.message[:120]})",
                    expected=expect.error,
                    actual={"kind": last.error, "type": last.type, "status": last.status},
                    where=where,
                )
            ]
        code = silent_failure_code(scenario)
        ended = "ended normally" if isinstance(last, FinishEvent) else "ended without any event"
        calls = t.tool_calls()
        if calls and code == Code.TRUNCATED_STREAM_ACCEPTED:
            shown = ", ".join(
                f"{c.name}({c.raw if c.raw is not None else json.dumps(c.arguments)})"
                for c in calls
            )
            ended += f", after passing on the cut stream's tool call(s) as complete: {shown}"
        actual = last.model_dump() if last is not None else None
        return [
            Finding(
                code=code,
                check="expectations",
                message=f"expected a {expect.error} error, but the adapter {ended}",
                expected={"error": expect.error},
                actual=actual,
                where=where,
            )
        ]
    if isinstance(last, ErrorEvent):
        replies = scenario.replies()
        incomplete = bool(replies) and replies[-1].outcome == "incomplete"
        return [
            Finding(
                code=Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR
                if incomplete
                else Code.UNEXPECTED_ERROR,
                check="expectations",
                message=f"the adapter raised {last.type} ({last.error}) on a wire that "
                f"ends normally: {last.message[:160]}",
                expected={"finish": expect.finish},
                actual={"kind": last.error, "type": last.type, "status": last.status},
                where=where,
            )
        ]
    if expect.finish == NO_FINISH:
        if isinstance(last, FinishEvent) and last.reason is not None:
            return [
                Finding(
                    code=Code.FINISH_MISMATCH,
                    check="expectations",
                    message=f"finish reason {last.reason!r} (raw {last.raw!r}), but the reply "
                    "carried no finish reason: reporting one claims an ending the server "
                    "never stated",
                    expected=NO_FINISH,
                    actual=last.reason,
                    where=where,
                )
            ]
        return []  # no reason reported; a reply with no terminal event is invariant:terminal's
    if (
        expect.finish is not None
        and isinstance(last, FinishEvent)
        and last.reason != expect.finish
        and not (stop_for_calls and (expect.finish, last.reason) == ("tool_calls", "stop"))
    ):
        return [
            Finding(
                code=Code.FINISH_MISMATCH,
                check="expectations",
                message=f"finish reason {last.reason!r} (raw {last.raw!r}), "
                f"expected {expect.finish!r}",
                expected=expect.finish,
                actual=last.reason,
                where=where,
            )
        ]
    return []


def silent_failure_code(scenario: Scenario) -> str:
    """The code for an adapter that reports success where the wire says it failed."""
    replies = scenario.replies()
    last: ReplyAttempt | None = replies[-1] if replies else None
    if last is not None and last.fault is not None:
        fault = last.fault
        if fault.empty or fault.terminator_only:
            return Code.EMPTY_STREAM_ACCEPTED
        if fault.truncate_after is not None or fault.cut_after is not None:
            return Code.TRUNCATED_STREAM_ACCEPTED
        if fault.error_payload is not None:
            return Code.STREAM_ERROR_SWALLOWED
        if fault.malformed_at is not None:
            return Code.MALFORMED_EVENT_ACCEPTED
        if fault.stall_after is not None:
            return Code.STALL_NOT_DETECTED
    if last is not None and last.outcome == "failed":
        return Code.FAILED_RUN_REPORTED_AS_SUCCESS
    if last is not None and last.outcome == "incomplete":
        return Code.INCOMPLETE_REPORTED_AS_SUCCESS
    return Code.ERROR_SWALLOWED


def _text(
    scenario: Scenario, t: Transcript, where: str, *, reasoning: bool = True
) -> list[Finding]:
    found: list[Finding] = []
    for field, expected, actual in (
        ("text", scenario.expect.text, t.text()),
        ("reasoning", scenario.expect.reasoning if reasoning else None, t.reasoning()),
    ):
        if expected is None or actual == expected:
            continue
        repeated = bool(expected) and len(actual) > len(expected) and actual.endswith(expected)
        at = next(
            (i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
            min(len(actual), len(expected)),
        )
        found.append(
            Finding(
                code=_text_code(scenario, field, expected, actual, repeated),
                check="expectations",
                message=f"{field} differs from what the server sent, first at character {at}"
                + (" (output of an earlier attempt is repeated)" if repeated else ""),
                expected=expected,
                actual=actual,
                where=f"{where} · character {at}",
            )
        )
    return found


_LINE_SEPARATORS = ("\u2028", "\u2029", "\x85")


def _text_code(scenario: Scenario, field: str, expected: str, actual: str, repeated: bool) -> str:
    """The most specific code the scenario's wire features explain."""
    if repeated:
        return Code.OUTPUT_REPEATED_AFTER_RETRY
    if field == "reasoning":
        return Code.REASONING_MISMATCH
    if any(not r.wire.data_space for r in scenario.replies()):
        return Code.SSE_DATA_WITHOUT_SPACE_DROPPED
    if any(sep in expected for sep in _LINE_SEPARATORS) and actual != expected:
        return Code.SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR
    return Code.TEXT_MISMATCH


def _tool_calls(scenario: Scenario, t: Transcript, where: str, *, ids: bool) -> list[Finding]:
    """The calls the scenario expects, in order; their ids only when the wire carries ids
    and the adapter passes them on (its contract's ``tool_call_ids``)."""
    expected = scenario.expect.tool_calls
    if expected is None:
        return []
    actual = t.tool_calls()
    found: list[Finding] = []
    for i, want in enumerate(expected):
        if i >= len(actual):
            found.append(
                Finding(
                    code=Code.TOOL_CALL_DROPPED,
                    check="expectations",
                    message=f"tool call {i} ({want.name}) sent by the server never reached "
                    f"the caller ({len(actual)} of {len(expected)} calls came through)",
                    expected=want.model_dump(exclude_none=True),
                    actual=None,
                    where=f"{where} · tool call {i}",
                )
            )
            continue
        got = actual[i]
        if got.raw is not None:
            continue  # unparseable arguments: the tool-call invariant names it precisely
        problems = []
        if got.name != want.name:
            problems.append("name")
        if got.arguments != want.arguments:
            problems.append("arguments")
        if ids and want.id is not None and got.id != want.id:
            problems.append("id")
        if problems:
            found.append(
                Finding(
                    code=Code.TOOL_CALL_MISMATCH,
                    check="expectations",
                    message=f"tool call {i} differs in {', '.join(problems)}",
                    expected=want.model_dump(exclude_none=True),
                    actual=got.model_dump(exclude={"kind"}),
                    where=f"{where} · tool call {i}",
                )
            )
    for i in range(len(expected), len(actual)):
        found.append(
            Finding(
                code=Code.TOOL_CALL_EXTRA,
                check="expectations",
                message=f"the adapter yielded tool call {i} ({actual[i].name}) that the "
                "server never sent",
                expected=None,
                actual=actual[i].model_dump(exclude={"kind"}),
                where=f"{where} · tool call {i}",
            )
        )
    return found


def _usage(scenario: Scenario, t: Transcript, where: str) -> list[Finding]:
    want = scenario.expect.usage
    if want is None:
        return []
    usages = t.usages()
    if not usages:
        return [
            Finding(
                code=Code.USAGE_MISSING,
                check="expectations",
                message="the server reported token usage; the adapter passed none on",
                expected=want.model_dump(),
                actual=None,
                where=where,
            )
        ]
    got = usages[-1]
    if (got.input, got.output) != (want.input, want.output):
        return [
            Finding(
                code=Code.USAGE_WRONG,
                check="expectations",
                message="reported usage differs from what the server sent",
                expected=want.model_dump(),
                actual={"input": got.input, "output": got.output},
                where=where,
            )
        ]
    return []


def _requests(
    scenario: Scenario, t: Transcript, where: str, contract: Contract | None = None
) -> list[Finding]:
    expect = scenario.expect
    contract = contract or Contract()
    found: list[Finding] = []
    n = len(t.requests)
    resent = contract.repeats(scenario)  # re-sends the contract declares: served again
    if expect.requests is not None and not expect.requests <= n <= expect.requests + resent:
        if n > expect.requests and expect.error in NON_RETRYABLE:
            code, why = Code.NON_RETRYABLE_RETRIED, f"a {expect.error} error is final"
        elif n > expect.requests:
            code, why = Code.EXTRA_REQUESTS, "more requests than the wire calls for"
        else:
            code, why = Code.RETRY_MISSING, "the adapter gave up before the server recovered"
        found.append(
            Finding(
                code=code,
                check="expectations",
                message=f"{n} request(s) reached the server, expected {expect.requests}: {why}",
                expected=expect.requests,
                actual=n,
                where=where,
            )
        )
    min_wait = expect.min_wait
    cap = contract.retry.retry_after_cap
    if min_wait is not None and cap is not None:
        capped = sum(min(a.error.retry_after or 0.0, cap) for a in _leading(scenario))
        min_wait = min(min_wait, capped)
    if min_wait is not None and n >= 2:
        waited = t.requests[-1].at - t.requests[0].at
        if waited + 1e-3 < min_wait:
            found.append(
                Finding(
                    code=Code.RETRY_AFTER_IGNORED,
                    check="expectations",
                    message=f"the adapter waited {waited:.3f} s in all between its first and "
                    f"last request; the server asked for at least {min_wait:g} s"
                    + ("" if min_wait == expect.min_wait else " (within the adapter's cap)"),
                    expected={"min_wait_s": min_wait},
                    actual={"waited_s": round(waited, 3), "waits_s": t.waits()},
                    where=where,
                )
            )
    return found


def _leading(scenario: Scenario) -> list[ErrorAttempt]:
    out = []
    for attempt in scenario.attempts:
        if not isinstance(attempt, ErrorAttempt):
            break
        out.append(attempt)
    return out


def _sent(scenario: Scenario, t: Transcript, where: str) -> list[Finding]:
    """Each request carries what the protocol flow requires (path, query, auth, body)."""
    wanted = scenario.expect.sent or []
    found: list[Finding] = []
    for i, want in enumerate(wanted):
        at = f"{where} · request {i + 1}"
        if i >= len(t.requests):
            found.append(
                Finding(
                    code=Code.REQUEST_MISMATCH,
                    check="expectations",
                    message=f"request {i + 1} never came: the adapter sent {len(t.requests)}",
                    expected=want.model_dump(exclude_defaults=True),
                    actual=None,
                    where=at,
                )
            )
            continue
        problems = _request_problems(want, t.requests[i])
        if problems:
            req = t.requests[i]
            found.append(
                Finding(
                    code=Code.REQUEST_MISMATCH,
                    check="expectations",
                    message=f"request {i + 1} ({req.method} {req.path}): " + "; ".join(problems),
                    expected=want.model_dump(exclude_defaults=True),
                    actual={"method": req.method, "url": req.url, "body": req.body},
                    where=at,
                )
            )
    return found


def _request_problems(want: ExpectedRequest, req: RequestRecord) -> list[str]:
    problems: list[str] = []
    if want.method is not None and want.method.upper() != req.method.upper():
        problems.append(f"method {req.method}, expected {want.method}")
    if want.path is not None and not (req.path == want.path or req.path.endswith(want.path)):
        problems.append(f"path {req.path}, expected {want.path}")
    query = dict(parse_qsl(urlsplit(req.url).query, keep_blank_values=True))
    for name, value in want.query.items():
        if query.get(name) != value:
            problems.append(f"query {name}={query.get(name)!r}, expected {value!r}")
    for name in want.headers:
        if name.lower() not in req.headers:
            problems.append(f"header {name} missing")
    if want.bearer is not None:
        has = req.headers.get("authorization", "").lower().startswith("bearer ")
        if has != want.bearer:
            problems.append("no Bearer authorization" if want.bearer else "unexpected Bearer")
    if want.body:
        problems += [f"body{p}" for p in _subset_problems(want.body, req.body, "")]
    return problems


def _subset_problems(want: JsonValue, got: JsonValue, path: str) -> list[str]:
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path or '/'} is {type(got).__name__}, expected an object"]
        out: list[str] = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{path}/{key} missing")
            else:
                out += _subset_problems(value, got[key], f"{path}/{key}")
        return out
    return [] if want == got else [f"{path} = {got!r}, expected {want!r}"]
