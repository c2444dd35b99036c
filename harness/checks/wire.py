"""Wire checks: the invariants of issue 16 and the codes that name a wire option.

- ``invariant:empty-text``: no empty text event reaches the caller (a ``content: ""`` or
  ``content: null`` delta is framing, not text);
- ``invariant:tool-args``: each tool call's arguments are exactly the concatenation of the
  fragments the server sent for that call id (no piece lost, none borrowed from another call);
- ``invariant:max-wait``: no wait between two requests of one call beyond
  ``expect.max_wait`` (a Retry-After beyond any sane cap is given up on, not slept through).

Usage reported at most once and equal to the last value sent, and unique tool-call ids, are
checked by :mod:`harness.checks.invariants` (``usage-repeated``, ``usage-wrong``,
``tool-call-id-duplicate``); the wire options exercise them.

:func:`refine` gives the expectations check the most specific code when the scenario's only
unusual feature is one wire option: the adapter that fails only when that option is on
mishandles exactly that option.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.checks import Check, named
from harness.dialects.chunking import split_text
from harness.scenario.model import ErrorAttempt, ReplyAttempt, Scenario, TextPart, ToolCallPart
from harness.vocab.codes import Code
from harness.vocab.events import TextEvent
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = [
    "WIRE_INVARIANTS",
    "option_code",
    "overlong_wait",
    "refine",
    "wait_limit",
    "wire_call_ids",
]


def wire_call_ids(dialect: str) -> bool:
    """Whether dialect ``dialect``'s wire gives every tool call an id (its ``call_ids``,
    True unless it says otherwise; an unknown name is judged as a wire with ids). On a
    wire without them (Gemini, Ollama) no check asks for the scenario's ids or any id."""
    return _wire_fact(dialect, "call_ids")


def wire_names_tool_calls(dialect: str) -> bool:
    """Whether dialect ``dialect``'s wire ends a reply of tool calls with a finish of its own
    (OpenAI chat's ``tool_calls``, Anthropic's ``tool_use``): its ``finish_names_tool_calls``,
    True unless it says otherwise. Where it does not (a Responses status ``completed``,
    Gemini's ``STOP``), an adapter may report that completion as ``stop``, if its contract
    says so (``Features.tool_calls_finish``)."""
    return _wire_fact(dialect, "finish_names_tool_calls")


def _wire_fact(dialect: str, name: str) -> bool:
    """A yes/no fact a dialect states about its wire (True when it states none, or for an
    unknown dialect: the wire is then judged by the common case)."""
    from harness.dialects import DialectError, get_dialect

    try:
        return bool(getattr(get_dialect(dialect), name, True))
    except DialectError:
        return True


OPTION_CODES: dict[str, str] = {
    "multiline_data": Code.SSE_MULTILINE_DATA_MISHANDLED,
    "extra_fields": Code.SSE_EXTRA_FIELDS_MISHANDLED,
    "unknown_events": Code.SSE_UNKNOWN_EVENT_MISHANDLED,
    "comment_in_event": Code.SSE_COMMENT_MISHANDLED,
    "keepalive_every": Code.SSE_COMMENT_MISHANDLED,
    "bom": Code.SSE_BOM_MISHANDLED,
    "unterminated_tail": Code.SSE_UNTERMINATED_EVENT_DISPATCHED,
    "line_ending": Code.SSE_LINE_ENDING_MISHANDLED,
    "crlf_split": Code.SSE_CRLF_SPLIT_MISHANDLED,
    "tool_index_zero": Code.TOOL_CALL_INDEX_REUSED_MISHANDLED,
    "role_only_first": Code.CHAT_ROLE_ONLY_CHUNK_MISHANDLED,
    "empty_deltas": Code.CHAT_EMPTY_DELTA_MISHANDLED,
    "pings": Code.PING_EVENT_MISHANDLED,
    "args_without_deltas": Code.TOOL_ARGS_DONE_IGNORED,
    "legacy_function_call": Code.CHAT_FUNCTION_CALL_MISHANDLED,
    "choices": Code.CHAT_CHOICES_INTERLEAVED,
}
"""The code for an adapter that fails only because this wire option is on."""

_REFINED = frozenset(
    {
        Code.TEXT_MISMATCH,
        Code.UNEXPECTED_ERROR,
        Code.TOOL_CALL_DROPPED,
        Code.TOOL_CALL_MISMATCH,
        Code.TOOL_CALL_EXTRA,
        Code.FINISH_MISMATCH,
    }
)
"""Codes that say *what* came out wrong; a single wire option says *why*. Usage is left
out: an adapter that drops usage on every stream drops it on these too (one root cause,
one code), and no framing option moves usage on its own."""


def _options(reply: ReplyAttempt) -> list[str]:
    wire = reply.wire
    on = [name for name in OPTION_CODES if getattr(wire, name, None) is True]
    if wire.keepalive_every:
        on.append("keepalive_every")
    if wire.choices > 1:
        on.append("choices")
    if wire.line_ending != "lf":
        on.append("line_ending")
    if wire.chunking == "crlf_split":
        on = [o for o in on if o != "line_ending"] + ["crlf_split"]
    return on


def option_code(scenario: Scenario) -> str | None:
    """The code of the scenario's one wire option, or None (none, or several)."""
    options = {o for reply in scenario.replies() for o in _options(reply)}
    if len(options) != 1:
        return None
    codes = {OPTION_CODES[o] for o in options}
    return codes.pop() if len(codes) == 1 else None


def refine(scenario: Scenario, found: list[Finding]) -> list[Finding]:
    """Rename generic expectation codes to the one wire option the scenario sets."""
    code = option_code(scenario)
    if code is None:
        return found
    return [f.model_copy(update={"code": code}) if f.code in _REFINED else f for f in found]


@named("invariant:empty-text")
def empty_text(run: Run) -> list[Finding]:
    """No empty text event reaches the caller of a stream whose server sent no empty text."""
    assert run.transcript is not None
    if not run.scenario.request.stream or _sends_empty_text(run.scenario):
        return []
    empties = [i for i, e in enumerate(run.transcript.events) if isinstance(e, TextEvent)]
    empties = [i for i in empties if not run.transcript.events[i].text]  # type: ignore[union-attr]
    if not empties:
        return []
    return [
        Finding(
            code=Code.EMPTY_TEXT_EVENT,
            check="invariant:empty-text",
            message=f'{len(empties)} empty text event(s) reached the caller: a content "" or '
            "null delta is framing, and callers that render or count deltas misbehave",
            expected="no empty text events",
            actual={"events": empties[:10]},
            where=f"{run.scenario.where()} · event {empties[0]}",
        )
    ]


def _sends_empty_text(scenario: Scenario) -> bool:
    for reply in scenario.replies():
        for part in reply.parts:
            if isinstance(part, TextPart) and "" in split_text(part.text, part.deltas):
                return True
    return False


@named("invariant:tool-args")
def tool_args(run: Run) -> list[Finding]:
    """A call's parsed arguments equal the parsed concatenation of that call's fragments."""
    assert run.transcript is not None
    replies = run.scenario.replies()
    if not replies or replies[-1].fault is not None:
        return []
    sent = {
        p.tool_call.id: p.tool_call.argument_text()
        for p in replies[-1].parts
        if isinstance(p, ToolCallPart) and p.tool_call.id
    }
    found = []
    for i, call in enumerate(run.transcript.tool_calls()):
        text = sent.get(call.id or "")
        if text is None or call.raw is not None:
            continue  # unmatched ids and unparseable arguments have their own codes
        want = json.loads(text) if text.strip() else {}
        if call.arguments != want:
            found.append(
                Finding(
                    code=Code.TOOL_ARGS_NOT_JOINED,
                    check="invariant:tool-args",
                    message=f"the arguments of call {call.id} ({call.name}) are not the "
                    "concatenation of the fragments the server sent for that call",
                    expected=want,
                    actual=call.arguments,
                    where=f"{run.scenario.where()} · tool call {i}",
                )
            )
    return found


@named("invariant:max-wait")
def max_wait(run: Run) -> list[Finding]:
    """No wait between two requests of one call longer than ``expect.max_wait`` (or than the
    Retry-After cap the adapter's contract declares, up to what the server asked)."""
    assert run.transcript is not None
    cap = wait_limit(run)
    if cap is None:
        return []
    waits = run.transcript.waits()
    over = [(i, w) for i, w in enumerate(waits) if w > cap + 1e-3]
    if not over:
        return []
    i, wait = over[0]
    return [_unbounded(run, cap, wait, i, slept=True)]


def wait_limit(run: Run) -> float | None:
    """The longest wait between two requests the scenario allows: its ``max_wait``, or the
    contract's declared Retry-After cap where the server asked for longer (a declared cap is
    the adapter's documented choice, shown with its deviations; it never allows waiting
    longer than the server asked)."""
    limit = run.scenario.expect.max_wait
    declared = run.contract.retry.retry_after_cap
    if limit is None or declared is None:
        return limit
    asked = max((a.error.retry_after or 0.0 for a in _errors(run.scenario)), default=0.0)
    return max(limit, min(declared, asked))


def overlong_wait(run: Run, wake_at: float | None) -> Finding | None:
    """``retry-wait-unbounded`` for an adapter the cell's virtual budget ended in the middle
    of one sleep past the scenario's limit (a Retry-After of a day, honoured): that sleep is
    the root cause, the hang only its consequence. None when it was not such a sleep."""
    cap = wait_limit(run)
    t = run.transcript
    if cap is None or wake_at is None or t is None or not t.requests:
        return None
    wait = round(wake_at - t.requests[-1].at, 6)
    if wait <= cap + 1e-3:
        return None
    return _unbounded(run, cap, wait, len(t.requests) - 1, slept=False)


def _unbounded(run: Run, cap: float, wait: float, i: int, *, slept: bool) -> Finding:
    did = "slept" if slept else "went to sleep for"
    return Finding(
        code=Code.RETRY_WAIT_UNBOUNDED,
        check="invariant:max-wait",
        message=f"the adapter {did} {wait:g} s before request {i + 2}; past {cap:g} s it "
        "should give up with its typed error (and say why) rather than hang the caller",
        expected={"max_wait_s": cap},
        actual={"wait_s": wait},
        where=f"{run.scenario.where()} · attempt {i + 1} -> {i + 2}",
    )


def _errors(scenario: Scenario) -> list[ErrorAttempt]:
    return [a for a in scenario.attempts if isinstance(a, ErrorAttempt)]


WIRE_INVARIANTS: list[Check] = [empty_text, tool_args, max_wait]
