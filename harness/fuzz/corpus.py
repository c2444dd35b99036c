"""The wire cases of issue 16 as a seed corpus: one small scenario per case, each with the
``expect`` block a correct adapter satisfies, run by ``harness fuzz`` before it generates.

Random generation reaches a case only by chance, and a hundred examples cannot reach forty
rare cases each; a seed corpus (as coverage-guided fuzzers keep one) makes every case run
once per fuzzing session. Each corpus scenario has exactly one unusual feature (a status, a
Retry-After form, a dropped connection, a retry run one past the budget, a wire option), so
a failure on it is already shrunk to its case.

Re-exported as :func:`harness.fuzz.strategies.wire_cases`.
"""

from __future__ import annotations

from harness.dialects.framing import CHAT_SHAPES, DIALECT_SHAPES
from harness.fuzz.faults import (
    ALL_STATUSES,
    RETRY_BUDGET,
    Faults,
)
from harness.scenario import (
    Attempt,
    Disconnect,
    DisconnectAttempt,
    ErrorAttempt,
    HttpErrorReply,
    Message,
    Part,
    ReasoningPart,
    Refusal,
    ReplyAttempt,
    ReplyWrapper,
    Request,
    Scenario,
    TextPart,
    Tool,
    ToolCall,
    ToolCallPart,
    Usage,
    Wire,
)
from harness.scenario.wire import FRAMING_OPTIONS

__all__ = ["WIRE_OPTIONS", "wire_cases"]

WIRE_OPTIONS = (*FRAMING_OPTIONS, *CHAT_SHAPES, *DIALECT_SHAPES)

_TOOL = Tool(
    name="get_weather",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


def _reply(wire: Wire, *, calls: bool, count: int = 2) -> ReplyAttempt:
    parts: list[TextPart | ToolCallPart] = [TextPart(text="Hi there, friend.", deltas=3)]
    if calls:
        for call_id, city in (("call_corpus01", "Paris"), ("call_corpus02", "Rome"))[:count]:
            call = ToolCall(id=call_id, name="get_weather", arguments={"city": city}, fragments=3)
            parts.append(ToolCallPart(tool_call=call))
    return ReplyAttempt(
        parts=parts,
        finish="tool_calls" if calls else "stop",
        usage=Usage(input=21, output=9),
        wire=wire,
    )


def _scenario(name: str, reply: ReplyAttempt, plan: Faults, *, stream: bool) -> Scenario:
    from harness.fuzz.strategies import expect_for

    attempts: list[Attempt] = [ErrorAttempt(error=e) for e in plan.errors]
    if plan.disconnect:
        attempts.append(DisconnectAttempt(disconnect=Disconnect()))
    attempts.append(ReplyWrapper(reply=reply))
    calls = any(isinstance(p, ToolCallPart) for p in reply.parts)
    return Scenario(
        id=f"fuzz-case-{name}",
        description=f"Seed corpus of harness fuzz: {name.replace('-', ' ')}.",
        request=Request(
            messages=[Message(role="user", content="What is the weather in Paris and Rome?")],
            tools=[_TOOL] if calls else [],
            stream=stream,
        ),
        attempts=attempts,
        expect=expect_for(reply, plan),
    )


def _header_forms() -> list[tuple[str, HttpErrorReply]]:
    return [
        ("retry-after-seconds", HttpErrorReply(status=429, retry_after=2)),
        ("retry-after-ms", HttpErrorReply(status=429, retry_after=1.5, retry_after_form="ms")),
        (
            "retry-after-date",
            HttpErrorReply(status=429, retry_after=3, retry_after_form="http_date"),
        ),
        (
            "retry-after-ms-and-seconds",
            HttpErrorReply(
                status=429, retry_after=1.5, retry_after_form="ms", headers={"retry-after": "32"}
            ),
        ),
        ("retry-after-zero", HttpErrorReply(status=429, retry_after=0)),
        (
            "retry-after-past-date",
            HttpErrorReply(status=429, retry_after=-60, retry_after_form="http_date"),
        ),
        ("retry-after-negative", HttpErrorReply(status=429, retry_after=-5)),
        ("retry-after-garbage", HttpErrorReply(status=429, headers={"retry-after": "soon"})),
        ("retry-after-huge", HttpErrorReply(status=429, retry_after=86_400)),
        ("x-should-retry-false", HttpErrorReply(status=503, headers={"x-should-retry": "false"})),
        ("x-should-retry-true", HttpErrorReply(status=400, headers={"x-should-retry": "true"})),
    ]


def wire_cases() -> list[Scenario]:
    """One scenario per wire case, streamed (the non-streamed twins add only statuses and
    headers, which the streamed ones already cover): every status, Retry-After form and
    budget, a dropped connection, every wire option, several choices, a refusal, and
    multi-byte characters cut between reads."""
    plain = Wire()
    cases: list[Scenario] = []
    for status in ALL_STATUSES:
        plan = Faults(errors=(HttpErrorReply(status=status),))
        cases.append(_scenario(f"http-{status}", _reply(plain, calls=False), plan, stream=True))
    for name, error in _header_forms():
        cases.append(
            _scenario(name, _reply(plain, calls=False), Faults(errors=(error,)), stream=True)
        )
    over = Faults(errors=(HttpErrorReply(status=429),) * (RETRY_BUDGET + 1))
    cases.append(_scenario("budget-plus-one", _reply(plain, calls=False), over, stream=True))
    cases.append(
        _scenario("disconnect", _reply(plain, calls=False), Faults(disconnect=True), stream=True)
    )
    for option in WIRE_OPTIONS:
        wire = Wire.model_validate({option: True})
        calls = option in (
            "tool_index_zero",
            "args_with_finish",
            "args_without_deltas",
            "legacy_function_call",
        )
        count = 1 if option == "legacy_function_call" else 2  # the legacy call is one call
        name = option.replace("_", "-")
        reply = _reply(wire, calls=calls, count=count)
        cases.append(_scenario(name, reply, Faults(), stream=True))
    cases.append(_scenario("choices", _reply(Wire(choices=2), calls=True), Faults(), stream=True))
    refusal = ReplyAttempt(
        refusal=Refusal(text="I'm sorry, but I can't help with that.", deltas=3),
        usage=Usage(input=21, output=9),
    )
    cases.append(_scenario("refusal", refusal, Faults(), stream=True))
    for name, wire in (
        ("cr-line-endings", Wire(line_ending="cr")),
        ("crlf-split", Wire(line_ending="crlf", chunking="crlf_split")),
    ):
        cases.append(_scenario(name, _reply(wire, calls=False), Faults(), stream=True))
    utf8 = TextPart(text="Grüße aus 日本 👋", deltas=3)  # two, three and four bytes
    split = _reply(Wire(chunking="mid_utf8"), calls=False).model_copy(update={"parts": [utf8]})
    cases.append(_scenario("split-utf8", split, Faults(), stream=True))
    for name, reply in _endings():
        cases.append(_scenario(name, reply, Faults(), stream=True))
    return cases


def _endings() -> list[tuple[str, ReplyAttempt]]:
    """Reply endings and item orders of issue 16 item 4: Anthropic's refusal and pause_turn
    (a Responses response incomplete for content_filter or max_output_tokens), a Responses
    response.failed, a reasoning item and a function call between two messages."""
    plain = _reply(Wire(), calls=False)
    call = ToolCall(id="call_corpus03", name="get_weather", arguments={"city": "Oslo"})
    between: list[Part] = [TextPart(text="Let me check. ", deltas=2)]
    last = TextPart(text="One moment.", deltas=2)
    return [
        ("finish-content-filter", plain.model_copy(update={"finish": "content_filter"})),
        ("finish-length", plain.model_copy(update={"finish": "length"})),
        ("finish-paused", plain.model_copy(update={"finish": "paused"})),
        ("outcome-failed", plain.model_copy(update={"outcome": "failed"})),
        (
            "reasoning-between-messages",
            plain.model_copy(
                update={"parts": [*between, ReasoningPart(reasoning="Oslo, then.", deltas=2), last]}
            ),
        ),
        (
            "call-between-messages",
            plain.model_copy(
                update={
                    "parts": [*between, ToolCallPart(tool_call=call), last],
                    "finish": "tool_calls",
                }
            ),
        ),
    ]
