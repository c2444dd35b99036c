"""The Azure AI Foundry Agents wire (threads, messages, runs), server side.

Not one chat-completions call but a flow, every request with ``?api-version=`` (the
scenario's ``request.options["api_version"]``, else the GA ``2025-05-01``):

- polled (``request.stream`` false): ``POST /threads`` (skipped when ``request.options``
  names a ``thread_id``), one ``POST /threads/{thread}/messages`` per user/assistant message,
  ``POST /threads/{thread}/runs`` (answers ``queued``), ``GET /threads/{thread}/runs/{run}``
  answering ``in_progress`` ``ReplyAttempt.polls`` times and then the final status
  (``completed``, ``failed``/``expired`` with ``last_error``, ``cancelled``; a reply with
  tool calls ends in ``requires_action`` with ``required_action.submit_tool_outputs``), then
  ``GET /threads/{thread}/messages`` (newest first) when the run completed or holds text;
- streamed: ``POST /threads/runs`` (create thread and run, ``stream: true``) answering
  ``event:``/``data:`` pairs as the service does (``../shared/corpus/azure-agents``):
  ``thread.created``, ``thread.run.created|queued|in_progress``, message and tool-call steps
  (``thread.run.step.*``, ``thread.message.*``), ``thread.run.completed`` (usage),
  ``failed`` (``last_error``), ``cancelled``, ``expired`` or ``requires_action``, then
  ``event: done`` / ``data: [DONE]``. With a ``thread_id`` the messages are added first and
  the run is ``POST /threads/{thread}/runs`` with ``stream: true``.

Which request an ``ErrorAttempt`` answers: every error attempt before the reply answers the
run-creation request (``POST .../runs``), the step a client retries; the thread and its
messages were created before it, and the reply's run creation follows the errors. Errors
after the reply, or a second reply, have no request to answer (n/a).

Stream faults count SSE events (``event:``/``data:`` blocks, ``done`` included, keep-alive
comments not), from 0. ``error_payload`` ends the stream with ``event: error``.
Output is a pure function of the scenario: ids are hashed from its id.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.dialects.azure_agents.objects import (
    API_VERSION,
    FINAL,
    Flow,
    agent_id,
    calls_of,
    json_text,
    step_object,
    text_of,
    usage_object,
)
from harness.dialects.chunking import split_text
from harness.dialects.common import DONE, End, WireDialect, apply_fault, encode_stream
from harness.dialects.framing import framing_support
from harness.dialects.script import Chunk, Exchange, Script
from harness.dialects.sse import SSEEvent
from harness.scenario.model import (
    DisconnectAttempt,
    ErrorAttempt,
    RawAttempt,
    ReasoningPart,
    ReplyAttempt,
    ReplyWrapper,
    Scenario,
    TextPart,
    ToolCallPart,
    Wire,
)

__all__ = ["API_VERSION", "AzureAgentsDialect", "agent_id"]

Sse = tuple[str, str]
"""One SSE event: (event name, data)."""


class AzureAgentsDialect(WireDialect):
    """Compiles scenarios into Azure AI Agents thread/run exchanges, polled or streamed."""

    name = "azure-agents"

    def wire_support(self, scenario: Scenario) -> str | None:
        request = scenario.request
        for message in request.messages:
            if message.role == "system":
                return "azure-agents threads have no system role (instructions belong to the agent)"
            if message.role == "tool" or message.tool_calls:
                return (
                    "azure-agents takes tool results via submit_tool_outputs, not thread messages"
                )
        if any(isinstance(a, RawAttempt) for a in scenario.attempts):
            return "azure-agents: a raw reply inside the thread/run flow is not scripted yet"
        if any(isinstance(a, DisconnectAttempt) for a in scenario.attempts):
            return (
                "azure-agents: a connection dropped inside the thread/run flow is not scripted "
                "yet (which of the flow's requests it answers is ambiguous)"
            )
        kinds = ["reply" if isinstance(a, ReplyWrapper) else "error" for a in scenario.attempts]
        if kinds.count("reply") > 1 or "reply" in kinds[:-1]:
            return "azure-agents serves one run per scenario: nothing follows the reply"
        for reply in scenario.replies():
            reason = _reply_reason(reply, request.stream)
            if reason is not None:
                return reason
        reason = framing_support(scenario, named_events=True)
        if reason is not None:
            return reason
        if scenario.dialects != [self.name]:
            per_attempt = _requests_per_attempt(scenario)
            expect = scenario.expect
            if per_attempt != 1 and (expect.requests is not None or expect.min_wait is not None):
                return (
                    "expect.requests/min_wait count one HTTP request per attempt; an "
                    f"azure-agents {'streamed' if request.stream else 'polled'} run takes "
                    f"{per_attempt} (thread, messages, run{'' if request.stream else ', polls'})"
                )
            if expect.sent is not None:
                return "expect.sent describes another dialect's requests"
        return None

    def synthesize(self, scenario: Scenario) -> Script:
        self.require_support(scenario)
        flow = Flow(scenario)
        exchanges: list[Exchange] = []
        if not flow.given_thread and not scenario.request.stream:
            exchanges.append(flow.json("POST", "/threads", flow.thread(), "create thread"))
        if flow.given_thread or not scenario.request.stream:
            for i, message in enumerate(flow.messages):
                body = flow.message(i, message[0], message[1])
                exchanges.append(flow.json("POST", flow.messages_path, body, f"message {i + 1}"))
        for n, attempt in enumerate(scenario.attempts):
            if isinstance(attempt, ErrorAttempt):
                exchanges.append(flow.error(n, attempt.error))
            else:
                assert isinstance(attempt, ReplyWrapper)
                if scenario.request.stream:
                    exchanges.append(_stream_exchange(flow, n, attempt.reply))
                else:
                    exchanges += _polled_exchanges(flow, n, attempt.reply)
        return Script(
            exchanges=tuple(exchanges),
            source=scenario.where(),
            notes={"dialect": self.name, "scenario": scenario.id},
        )


def _reply_reason(reply: ReplyAttempt, stream: bool) -> str | None:
    """Why a reply cannot be expressed as an azure-agents run, or None."""
    calls = any(isinstance(p, ToolCallPart) for p in reply.parts)
    if any(isinstance(p, ReasoningPart) for p in reply.parts):
        return "azure-agents messages carry no reasoning parts"
    if reply.outcome == "incomplete":
        return "azure-agents RunStatus (2025-05-01) has no incomplete status"
    if reply.finish not in ("stop", "tool_calls"):
        return f"azure-agents runs carry no finish reason, so no {reply.finish!r}"
    if (reply.finish == "tool_calls") != calls:
        return "a run stops for tools (finish tool_calls) exactly when its reply has tool calls"
    if calls and reply.outcome != "completed":
        return "a run with tool calls ends in requires_action, not " + reply.outcome
    if calls and reply.usage is not None:
        return "a run stopped at requires_action reports usage null (it is not terminal yet)"
    if reply.fault is not None and not stream:
        return "stream faults need a streamed request (request.stream is false)"
    if reply.polls and stream:
        return "polls need a polled run (request.stream is false)"
    return None


def _requests_per_attempt(scenario: Scenario) -> int:
    """Requests a correct client sends for one successful attempt (thread, messages, ...)."""
    given = isinstance(scenario.request.options.get("thread_id"), str)
    messages = sum(1 for m in scenario.request.messages if m.role in ("user", "assistant"))
    if scenario.request.stream:
        return 1 + (messages if given else 0)
    replies = scenario.replies()
    if not replies:
        return (0 if given else 1) + messages + 1
    reply = replies[-1]
    calls = any(isinstance(p, ToolCallPart) for p in reply.parts)
    listing = text_of(reply) is not None if calls else reply.outcome == "completed"
    return (0 if given else 1) + messages + 1 + reply.polls + 1 + int(listing)


# --------------------------------------------------------------------------- polled runs


def _polled_exchanges(flow: Flow, n: int, reply: ReplyAttempt) -> list[Exchange]:
    run_id = flow.id("run", n)
    calls = calls_of(flow, n, reply)
    final = "requires_action" if calls else FINAL[reply.outcome]
    runs = flow.runs_path()
    created = flow.json("POST", runs, flow.run(run_id, "queued", reply, []), "create run", n)
    out = [replace(created, delay=reply.wire.first_byte_delay)]
    status_path = f"{runs}/{run_id}"
    for i in range(reply.polls):
        body = flow.run(run_id, "in_progress", reply, [])
        out.append(flow.json("GET", status_path, body, f"poll {i + 1}: in_progress", n, reply.wire))
    last = flow.run(run_id, final, reply, calls)
    out.append(
        flow.json("GET", status_path, last, f"poll {reply.polls + 1}: {final}", n, reply.wire)
    )
    text = text_of(reply)
    if final == "completed" or (final == "requires_action" and text is not None):
        listing = [flow.message(0, "assistant", text, run_id)]
        listing += [flow.message(i, r, c) for i, (r, c) in reversed(list(enumerate(flow.messages)))]
        body = {
            "object": "list",
            "data": listing,
            "first_id": listing[0]["id"],
            "last_id": listing[-1]["id"],
            "has_more": False,
        }
        out.append(flow.json("GET", flow.messages_path, body, "list messages", n, reply.wire))
    return out


# --------------------------------------------------------------------------- streamed runs


def _stream_exchange(flow: Flow, n: int, reply: ReplyAttempt) -> Exchange:
    content, tail = _stream_events(flow, n, reply)
    events, end = _apply_fault(reply, content, tail)
    return Exchange(
        method="POST",
        path=flow.runs_path(),
        headers=flow.headers(n, "text/event-stream; charset=utf-8"),
        chunks=_encode_stream(events, reply.wire),
        end=end,
        delay=reply.wire.first_byte_delay,
        label=f"attempt {n + 1}: streamed run",
        query=(("api-version", flow.api_version),),
    )


def _stream_events(flow: Flow, n: int, reply: ReplyAttempt) -> tuple[list[Sse], list[Sse]]:
    """``content`` (thread, run start, steps and deltas) and ``tail`` (final run, done)."""
    run_id = flow.id("run", n)
    calls = calls_of(flow, n, reply)
    final = "requires_action" if calls else FINAL[reply.outcome]
    done = final == "completed"
    finished = final in ("completed", "requires_action")  # the message step ended normally
    content: list[Sse] = []
    if not flow.given_thread:
        content.append(("thread.created", json_text(flow.thread())))
    queued = json_text(flow.run(run_id, "queued", reply, []))
    content += [("thread.run.created", queued), ("thread.run.queued", queued)]
    content.append(
        ("thread.run.in_progress", json_text(flow.run(run_id, "in_progress", reply, [])))
    )
    text = text_of(reply)
    steps = 0
    usage = usage_object(reply.usage) if done and reply.usage else None
    if text is not None or (done and not calls):
        steps += 1
        content += _message_step(flow, run_id, reply, usage, finished)
    if calls:
        content += _tool_step(flow, run_id, reply, calls, steps)
    run = json_text(flow.run(run_id, final, reply, calls))
    return content, [(f"thread.run.{final}", run), ("done", DONE)]


def _message_step(
    flow: Flow, run_id: str, reply: ReplyAttempt, usage: dict[str, Any] | None, done: bool
) -> list[Sse]:
    message = flow.message(0, "assistant", None, run_id, "in_progress")
    details = {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
    step = json_text(step_object(flow, run_id, 0, details, "in_progress"))
    out: list[Sse] = [("thread.run.step.created", step), ("thread.run.step.in_progress", step)]
    out += [
        ("thread.message.created", json_text(message)),
        ("thread.message.in_progress", json_text(message)),
    ]
    first = True
    for part in reply.parts:
        if not isinstance(part, TextPart):
            continue
        for piece in split_text(part.text, part.deltas):
            value: dict[str, Any] = {"value": piece}
            if first:
                value["annotations"] = []
                first = False
            delta = {"content": [{"index": 0, "type": "text", "text": value}]}
            body = {"id": message["id"], "object": "thread.message.delta", "delta": delta}
            out.append(("thread.message.delta", json_text(body)))
    if done:
        whole = flow.message(0, "assistant", text_of(reply), run_id, "completed")
        out.append(("thread.message.completed", json_text(whole)))
        out.append(
            (
                "thread.run.step.completed",
                json_text(step_object(flow, run_id, 0, details, "completed", usage)),
            )
        )
    return out


def _tool_step(
    flow: Flow, run_id: str, reply: ReplyAttempt, calls: list[dict[str, Any]], index: int
) -> list[Sse]:
    step_id = flow.id("step", run_id, index)
    step = json_text(
        step_object(flow, run_id, index, {"type": "tool_calls", "tool_calls": []}, "in_progress")
    )
    out: list[Sse] = [("thread.run.step.created", step), ("thread.run.step.in_progress", step)]
    parts = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    for i, (call, sent) in enumerate(zip(parts, calls, strict=True)):
        first = {
            "index": i,
            "id": sent["id"],
            "type": "function",
            "function": {"name": call.name, "arguments": "", "output": None},
        }
        pieces = [first] + [
            {"index": i, "type": "function", "function": {"arguments": piece}}
            for piece in split_text(call.argument_text(), call.fragments)
            if piece
        ]
        for piece in pieces:
            delta = {"step_details": {"type": "tool_calls", "tool_calls": [piece]}}
            body = {"id": step_id, "object": "thread.run.step.delta", "delta": delta}
            out.append(("thread.run.step.delta", json_text(body)))
    return out


def _apply_fault(reply: ReplyAttempt, content: list[Sse], tail: list[Sse]) -> tuple[list[Sse], End]:
    events, end, malformed = apply_fault(
        reply.fault,
        content,
        tail,
        terminator=tail[-1],
        error_event=lambda payload: ("error", json_text(payload.get("error", payload))),
        last=f"events (0..{len(content) + len(tail) - 1}, done last)",
    )
    if malformed is not None:
        name, data = events[malformed]
        events[malformed] = (name, data[: len(data) // 2])
    return events, end


def _encode_stream(events: list[Sse], wire: Wire) -> tuple[Chunk, ...]:
    """SSE-encode the named events and chunk them as the wire says."""
    return encode_stream([SSEEvent(event=name, data=data) for name, data in events], wire)
