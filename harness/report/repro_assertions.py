"""What a standalone reproducer asserts for each finding code: one table, code -> the
condition a correct adapter meets, written on the reproducer's plain ``out`` (text, tool
calls, the library's finish value, usage, the error raised; see
:mod:`harness.drivers.recipe`), so every driver's reproducer says the same thing for the
same finding. The assertion's message is the finding's own message; the line above it
cites the protocol fact from the finding's catalogue entry.

A code that has no entry here (or whose finding lacks what the condition needs) is not
asserted; ``harness repro`` says so instead of writing a reproducer that cannot fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from harness.checks.catalogue import CATALOGUE, Entry
from harness.drivers.classify import kind_signs
from harness.drivers.recipe import Recipe
from harness.run.setup_errors import NO_READ_TIMEOUT
from harness.vocab.codes import Code
from harness.vocab.findings import Finding
from harness.vocab.kinds import NO_FINISH

if TYPE_CHECKING:
    from harness.scenario.model import ErrorKind

__all__ = [
    "ASSERTIONS",
    "STALL_ENTRY",
    "assertion_lines",
    "condition",
    "entry_for",
    "protocol_fact",
]

Condition = Callable[[Finding, Recipe], str | None]
"""The Python condition on ``out`` (and ``SLEPT``) a correct adapter meets, or None when
this finding does not carry what it needs."""


def _raises(finding: Finding, recipe: Recipe) -> str:
    return 'out["error"] is not None'


def _terminal(finding: Finding, recipe: Recipe) -> str:
    return 'out["error"] is not None or out["finish"] is not None'


def _typed_error(finding: Finding, recipe: Recipe) -> str:
    raw = '("httpx", "httpcore")'  # the HTTP client's own errors (httpx2's too)
    return f'out["error"] is not None and not qualname(out["error"]).startswith({raw})'


def _max_wait(finding: Finding, recipe: Recipe) -> str | None:
    cap = _get(finding.expected, "max_wait_s")
    return f"max(SLEPT, default=0.0) <= {float(cap)!r}" if isinstance(cap, int | float) else None


def _text(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    if isinstance(want, Mapping) and set(want) == {"finish"}:  # it raised (a wire option's
        return _returns(finding, recipe)  # unexpected-error, harness.checks.wire.refine)
    return f'out["text"] == {want!r}' if isinstance(want, str) else None


def _refusal(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    return f'out["refusal"] == {want!r}' if isinstance(want, str) else None


def _usage(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    if not isinstance(want, Mapping):
        return None
    shown = {k: v for k, v in want.items() if k in ("input", "output") and v is not None}
    if not shown:
        return None
    keys = tuple(shown)
    return f'{{k: (out["usage"] or {{}}).get(k) for k in {keys!r}}} == {shown!r}'


def _finish(finding: Finding, recipe: Recipe) -> str | None:
    """The library's finish values that mean the expected reason; no reason expected
    (``none``): the library reports none."""
    want = finding.expected
    if want == NO_FINISH:
        return 'out["finish"] is None'
    raws = tuple(
        raw
        for raw, reason in recipe.finish.items()
        if reason == want or (isinstance(reason, tuple) and want in reason)
    )
    return f'out["finish"] in {raws!r}' if isinstance(want, str) and raws else None


def _call_arrived(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    name, arguments = _get(want, "name"), _get(want, "arguments")
    if not isinstance(name, str) or not isinstance(arguments, Mapping):
        return None
    return (
        f'any(c["name"] == {name!r} and parsed(c["arguments"]) == {dict(arguments)!r} '
        'for c in out["tool_calls"])'
    )


def _finish_or_call(finding: Finding, recipe: Recipe) -> str | None:
    """Findings whose expected value is a finish reason or a tool call, by its shape."""
    return _finish(finding, recipe) or _call_arrived(finding, recipe)


def _args_object(finding: Finding, recipe: Recipe) -> str:
    return 'all(isinstance(parsed(c["arguments"]), dict) for c in out["tool_calls"])'


def _args_whole(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    if not isinstance(want, str):
        return None
    return f'out["error"] is not None or any(c["arguments"] == {want!r} for c in out["tool_calls"])'


def _error_type(finding: Finding, recipe: Recipe) -> str | None:
    want = finding.expected
    if not isinstance(want, list) or not all(isinstance(w, str) for w in want):
        return None
    return f'qualname(out["error"]) in {tuple(want)!r}'


STALL_ENTRY = Entry(
    code=Code.ADAPTER_HUNG,
    severity="error",
    check="budget",
    title="A server that stops sending hangs the call forever: the client sets no read timeout",
    why="A client with no read timeout waits forever for a server (or a proxy) that stopped "
    "sending mid-reply; with one, the wait ends in a timeout error the caller can handle "
    "(retry, fall back, report).",
    advice="Give the HTTP client a finite read timeout by default (and pass the caller's "
    "timeout through as is), so a stalled stream ends in the library's timeout error.",
)
"""The catalogue's ``adapter-hung`` entry for the hang a reproducer shows: a stalled server
and a client with no read timeout (the catalogue's speaks of harness's budgets)."""


def entry_for(finding: Finding) -> Entry | None:
    """The catalogue entry a reproducer and its report state for ``finding``."""
    if finding.code == Code.ADAPTER_HUNG and finding.expected == NO_READ_TIMEOUT:
        return STALL_ENTRY
    return CATALOGUE.get(finding.code)


def _read_timeout(finding: Finding, recipe: Recipe) -> str | None:
    """A hang on a stalled server: no stalled reply found the client without a read
    timeout (the file's Server notes each that did; other hangs are not reproduced)."""
    return 'not out["hung"]' if finding.expected == NO_READ_TIMEOUT else None


def _error_kind(finding: Finding, recipe: Recipe) -> str | None:
    """The error, or one it wraps, names the expected kind as harness reads kinds
    (:func:`harness.drivers.classify.error_kind`): by a class name, an HTTP status or the
    provider's error code/type."""
    want = finding.expected
    if not isinstance(want, str):
        return None
    names, statuses, codes = kind_signs(cast("ErrorKind", want))
    signs = []
    if names:
        signs.append(f"not class_names(out['error']).isdisjoint({tuple(sorted(names))!r})")
    if statuses or codes:
        tests = []
        if statuses:
            low, high = min(statuses), max(statuses)
            shown = (
                f"range({low}, {high + 1})"
                if len(statuses) > 3 and len(statuses) == high - low + 1
                else repr(tuple(sorted(statuses)))
            )
            tests.append(f"getattr(e, 'status_code', getattr(e, 'status', None)) in {shown}")
        if codes:
            shown = repr(tuple(sorted(codes)))
            tests.append(f"getattr(e, 'code', None) in {shown}")
            tests.append(f"getattr(e, 'type', None) in {shown}")
        signs.append(f"any({' or '.join(tests)} for e in causes(out['error']))")
    if not signs:
        return None
    return f'out["error"] is not None and ({" or ".join(signs)})'


def _declared_type(finding: Finding, recipe: Recipe) -> str | None:
    """The error is an instance of a type the adapter declares (subclasses match)."""
    want = finding.expected
    if not isinstance(want, list) or not want or not all(isinstance(w, str) for w in want):
        return None
    return (
        f'out["error"] is not None and any(f"{{c.__module__}}.{{c.__qualname__}}" in '
        f'{tuple(want)!r} for c in type(out["error"]).__mro__)'
    )


def _args_joined(finding: Finding, recipe: Recipe) -> str | None:
    """Some call's arguments are the fragments the server sent for it, joined and parsed."""
    want = finding.expected
    if not isinstance(want, Mapping):
        return None
    return f'any(parsed(c["arguments"]) == {dict(want)!r} for c in out["tool_calls"])'


def _slept_enough(finding: Finding, recipe: Recipe) -> str | None:
    """The library's waits (``SLEPT``, each a call of its sleep between attempts): one at
    least the Retry-After asked (the invariant's per-attempt ``wait_s``), or in all at least
    what the scenario's retries ask (the expectation's ``min_wait_s``)."""
    wait, total = _get(finding.expected, "wait_s"), _get(finding.expected, "min_wait_s")
    if isinstance(wait, int | float):
        return f"max(SLEPT, default=0.0) >= {float(wait) - 1e-3!r}"
    if isinstance(total, int | float):
        return f"sum(SLEPT) >= {float(total) - 1e-3!r}"
    return None


def _requests_within(finding: Finding, recipe: Recipe) -> str | None:
    """The requests that reached the server, served or refused past the script's end."""
    want = finding.expected
    allowed = _get(want, "requests") if isinstance(want, Mapping) else want
    if not isinstance(allowed, int) or isinstance(allowed, bool):
        return None
    return f'out["requests"] + out["refused"] <= {allowed!r}'


def _returns(finding: Finding, recipe: Recipe) -> str:
    return 'out["error"] is None'


def _no_empty_piece(finding: Finding, recipe: Recipe) -> str | None:
    return '"" not in out["pieces"]' if recipe.pieces else None


ASSERTIONS: dict[Code, Condition] = {
    Code.TRUNCATED_STREAM_ACCEPTED: _raises,
    Code.EMPTY_STREAM_ACCEPTED: _raises,
    Code.STREAM_ERROR_SWALLOWED: _raises,
    Code.MALFORMED_EVENT_ACCEPTED: _raises,
    Code.ERROR_SWALLOWED: _raises,
    Code.NO_TERMINAL_EVENT: _terminal,
    Code.TRANSPORT_ERROR_LEAKED: _typed_error,
    Code.RETRY_WAIT_UNBOUNDED: _max_wait,
    Code.TEXT_MISMATCH: _text,
    Code.SSE_DATA_WITHOUT_SPACE_DROPPED: _text,
    Code.SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR: _text,
    Code.SSE_MULTILINE_DATA_MISHANDLED: _text,
    Code.SSE_EXTRA_FIELDS_MISHANDLED: _text,
    Code.SSE_UNKNOWN_EVENT_MISHANDLED: _text,
    Code.SSE_COMMENT_MISHANDLED: _text,
    Code.SSE_BOM_MISHANDLED: _text,
    Code.SSE_LINE_ENDING_MISHANDLED: _text,
    Code.SSE_CRLF_SPLIT_MISHANDLED: _text,
    Code.CHAT_ROLE_ONLY_CHUNK_MISHANDLED: _text,
    Code.CHAT_EMPTY_DELTA_MISHANDLED: _text,
    Code.PING_EVENT_MISHANDLED: _text,
    Code.REFUSAL_DROPPED: _refusal,
    Code.REFUSAL_AS_TEXT: _refusal,
    Code.REFUSAL_MISMATCH: _refusal,
    Code.USAGE_WRONG: _usage,
    Code.USAGE_MISSING: _usage,
    Code.FINISH_MISMATCH: _finish,
    Code.CHAT_FUNCTION_CALL_MISHANDLED: _finish_or_call,
    Code.TOOL_CALL_INDEX_REUSED_MISHANDLED: _call_arrived,
    Code.TOOL_CALL_DROPPED: _call_arrived,
    Code.TOOL_ARGS_INVALID: _args_object,
    Code.TOOL_ARGS_FRAGMENT_LOST: _args_whole,
    Code.THROTTLING_TYPE_MISMATCH: _error_type,
    Code.ADAPTER_HUNG: _read_timeout,
    Code.ERROR_KIND_MISMATCH: _error_kind,
    Code.ERROR_TYPE_UNDECLARED: _declared_type,
    Code.TOOL_ARGS_NOT_JOINED: _args_joined,
    Code.RETRY_AFTER_IGNORED: _slept_enough,
    Code.EXTRA_REQUESTS: _requests_within,
    Code.UNEXPECTED_ERROR: _returns,
    Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR: _returns,
    Code.FAILED_RUN_REPORTED_AS_SUCCESS: _raises,
    Code.TOOL_ARGS_DONE_IGNORED: _finish_or_call,
    Code.EMPTY_TEXT_EVENT: _no_empty_piece,
}
"""Finding code -> the condition a correct adapter meets, on the reproducer's ``out``."""


def condition(finding: Finding, recipe: Recipe) -> str | None:
    """The condition asserted for ``finding``, or None when it cannot be asserted."""
    try:
        make = ASSERTIONS.get(Code(finding.code))
    except ValueError:  # not one of harness's codes (a user's check)
        return None
    return make(finding, recipe) if make is not None else None


def protocol_fact(finding: Finding) -> str:
    """The first sentence of the catalogue's "why it is wrong" for the finding's code."""
    entry = entry_for(finding)
    if entry is None:
        return finding.message
    why = entry.why
    cut = why.find(". ")
    return why if cut < 0 else why[: cut + 1]


def assertion_lines(finding: Finding, recipe: Recipe) -> list[str] | None:
    """``# <the protocol fact>`` then ``assert <condition>, <the finding's message>``."""
    cond = condition(finding, recipe)
    if cond is None:
        return None
    source = "The adapter's own contract" if finding.breaks == "contract" else "Protocol"
    return [f"# {source}: {protocol_fact(finding)}", f"assert {cond}, {finding.message!r}"]


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None
