"""One root cause per cell: a cascade of findings becomes the one finding that explains it.

When an adapter sends more requests than the script holds, the replay refuses them; the
adapter then raises a connection error, retries it, and ends with an error the scenario did
not expect. Every one of those findings follows from the first refused request, so a cell
reports that request once (``extra-requests``, with the count, the times and the request)
and drops what only follows from the refusal. Identical findings left over collapse into
one with a :attr:`~harness.vocab.findings.Finding.count`; the first finding is the cell's reason.
Codes the adapter's contract accepts (:attr:`harness.drivers.contract.Contract.accepts`) are left
out here, the one place findings are dropped by a declaration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checks import CheckResult
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["EXTRA_REQUEST", "outcome_consequences", "settle"]

EXTRA_REQUEST = "Unexpected extra request"
"""How a :class:`~harness.transport.core.ReplayMiss` past the script's end begins."""

_REFUSAL_CONSEQUENCES = frozenset({"expectations", "invariant:typed-errors", "contract:errors"})
_OUTCOME_CODES = frozenset(
    {
        Code.ERROR_KIND_MISMATCH,
        Code.UNEXPECTED_ERROR,
        Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR,
        Code.EXTRA_REQUESTS,
        Code.RETRY_MISSING,
        Code.USAGE_MISSING,
    }
)
"""Expectation findings about how the call ended and how many requests it took: after a
refusal, the refusal decided them."""
_EXPLAIN_EXTRA = frozenset({Code.NON_RETRYABLE_RETRIED, Code.RETRY_STORM})
_KIND_CODES = frozenset({Code.ERROR_KIND_MISMATCH})
_TEXT_CODES = frozenset(
    {
        Code.TEXT_MISMATCH,
        Code.SSE_DATA_WITHOUT_SPACE_DROPPED,
        Code.SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR,
    }
)
"""Checks whose findings only judge the outcome, which a refusal decides when the adapter's
last request was refused."""


def settle(run: Run, results: list[CheckResult]) -> list[CheckResult]:
    """``results`` with refusal cascades cut to their root and duplicates counted."""
    codes = {f.code for r in results for f in r.findings}
    # a retry of a final status, or past the attempts, is why requests ran past the script
    explained = bool(codes & _EXPLAIN_EXTRA)
    root = None if explained else _refusal_root(run)
    refused_last = _ended_on_refusal(run)
    # the declared type check names the exception exactly; its kind follows from the type
    typed = any(r.name == "contract:errors" and r.findings for r in results)
    kept: list[CheckResult] = []
    for result in results:
        findings = list(result.findings)
        if result.name == "invariant:replay" and (root is not None or explained):
            findings = [f for f in findings if not _is_extra(f)]
            findings = ([root] if root is not None else []) + findings
        if refused_last and result.name in _REFUSAL_CONSEQUENCES:
            # the error the adapter ended with is the refusal's; what it did not pass on of
            # a script it was served in full is still its own loss
            keep = result.name == "expectations" and _served_all(run)
            findings = [f for f in findings if keep and f.code not in _OUTCOME_CODES]
        if typed and result.name == "expectations":
            findings = [f for f in findings if f.code not in _KIND_CODES]
        if result.name == "expectations":
            findings = outcome_consequences(findings, codes)
        # codes the contract accepts (listed with its deviations; never data loss)
        findings = [f for f in findings if f.code not in run.contract.accepts]
        kept.append(CheckResult(result.name, findings))
    return _collapse(kept)


def outcome_consequences(findings: list[Finding], codes: set[str]) -> list[Finding]:
    """Expectation findings that follow from another one in the cell.

    - a final error retried until the server answered: "ended normally" is the retry's doing;
    - a transient error not retried: the error raised on a wire that recovers is that one;
      but an adapter that crashed on the error answer (what it raised carries no HTTP
      status: a ValueError reading Retry-After) did not give up, it crashed, and the crash
      is the one finding;
    - an adapter that raised on a wire that ends normally: the text it did not yield (what it
      yielded is a prefix) and the usage it never reached follow from the error, unless an
      SSE framing code names why the text went missing, which then is the cause.
    """
    if Code.NON_RETRYABLE_RETRIED in codes:
        findings = [f for f in findings if f.code != Code.ERROR_SWALLOWED]
    if Code.UNEXPECTED_ERROR not in codes:
        return findings
    if Code.RETRY_MISSING in codes:
        raised = [f for f in findings if f.code == Code.UNEXPECTED_ERROR]
        if any(_status(f) is None for f in raised):
            # it crashed on the error answer (no HTTP status on what it raised): the crash
            # is the cause, the retry it never made follows from it
            findings = [f for f in findings if f.code != Code.RETRY_MISSING]
        else:  # it raised the HTTP error it gave up on: one cause
            findings = [f for f in findings if f.code != Code.UNEXPECTED_ERROR]
    cut = [f for f in findings if f.code in _TEXT_CODES and _is_prefix(f.actual, f.expected)]
    if any(f.code.startswith("sse-") for f in cut):
        return [f for f in findings if f.code not in (Code.UNEXPECTED_ERROR, Code.USAGE_MISSING)]
    dropped = {id(f) for f in cut if f.code == Code.TEXT_MISMATCH}
    return [f for f in findings if id(f) not in dropped and f.code != Code.USAGE_MISSING]


def _status(f: Finding) -> object:
    return f.actual.get("status") if isinstance(f.actual, dict) else None


def _is_prefix(actual: object, expected: object) -> bool:
    return isinstance(actual, str) and isinstance(expected, str) and expected.startswith(actual)


def _served_all(run: Run) -> bool:
    if run.transcript is None or run.script is None:
        return False
    served = {r.exchange for r in run.transcript.requests if r.exchange is not None}
    return served >= set(range(len(run.script.exchanges)))


def _is_extra(f: Finding) -> bool:
    return f.code == Code.REQUEST_MISMATCH and f.message.startswith(EXTRA_REQUEST)


def _refusal_root(run: Run) -> Finding | None:
    """One finding for every request past the script's end, or None if there were none."""
    extras = [m for m in run.misses if m.startswith(EXTRA_REQUEST)]
    if not extras or run.transcript is None or run.script is None:
        return None
    refused = [r for r in run.transcript.requests if r.exchange is None]
    times = [round(r.at, 3) for r in refused][: len(extras)]
    allowed = len(run.script.exchanges) + run.contract.repeats(run.scenario)
    first = extras[0].splitlines()[0]
    return Finding(
        code=Code.EXTRA_REQUESTS,
        check="invariant:replay",
        message=f"the adapter sent {len(extras)} request(s) beyond the {allowed} the script "
        f"and its contract allow, the first at {times[0] if times else 0:.3f} s; what it "
        "raised after the replay refused them is not reported separately",
        expected={"requests": allowed},
        actual={"extra": len(extras), "at_s": times, "first": first},
        where=run.scenario.where(),
    )


def _ended_on_refusal(run: Run) -> bool:
    """The adapter's last request was refused and it then ended with an error: its outcome
    is the replay's refusal, not what the server scripted."""
    t = run.transcript
    if t is None or not t.requests or t.requests[-1].exchange is not None or not run.misses:
        return False
    terminals = t.terminals()
    return bool(terminals) and terminals[-1].kind == "error"


def _collapse(results: list[CheckResult]) -> list[CheckResult]:
    """Findings with the same code (and severity) become one, counted: the first an
    invariant reported, else the first."""
    first: dict[tuple[str, str], Finding] = {}
    counts: dict[tuple[str, str], int] = {}
    for result in results:
        for f in result.findings:
            key = (f.code, f.severity)
            # an invariant names the exact attempt or event; the expectation the whole run
            if key not in first or (first[key].check == "expectations" != f.check):
                first[key] = f
            counts[key] = counts.get(key, 0) + f.count
    out: list[CheckResult] = []
    for result in results:
        findings = []
        for f in result.findings:
            key = (f.code, f.severity)
            if first.get(key) is f:
                n = counts[key]
                findings.append(f if n == f.count else f.model_copy(update={"count": n}))
        out.append(CheckResult(result.name, findings))
    return out
