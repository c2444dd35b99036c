"""The azure-agents dialect: polled and streamed flows, statuses, faults, errors, n/a reasons,
determinism; and a small correct client that every azure-* scenario must pass (so a failing
cell against a real adapter is the adapter's, not the scenario's)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
import pytest

from harness.checks.expectations import _subset_problems
from harness.checks.invariants import POLICY
from harness.dialects import get_dialect
from harness.dialects.azure_agents import API_VERSION, DIALECT, AzureAgentsDialect, agent_id
from harness.dialects.script import Exchange, HttpDate
from harness.dialects.sse import SSEDecoder, SSEEvent, decode
from harness.drivers.base import DriverContext
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Expect, Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.dialects import builders
from tests.dialects.builders import SCENARIOS, USER, reply

WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}


def scenario(*attempts: dict[str, Any], stream: bool = True, **extra: Any) -> Scenario:
    extra.setdefault("dialects", ["azure-agents"])
    return builders.scenario(*attempts, stream=stream, model="asst_demo", **extra)


def flow(s: Scenario) -> list[tuple[str, str, int, str]]:
    return [(e.method, e.path, e.status, e.label) for e in DIALECT.synthesize(s).exchanges]


def body(exchange: Exchange) -> Any:
    return json.loads(exchange.body)


def events(exchange: Exchange) -> list[SSEEvent]:
    return decode(exchange.body)


# --------------------------------------------------------------------------- polled flow


def test_registered() -> None:
    assert get_dialect("azure-agents") is DIALECT
    assert isinstance(DIALECT, AzureAgentsDialect) and repr(DIALECT) == "AzureAgentsDialect()"


def test_polled_flow_and_status_sequence() -> None:
    s = scenario(reply(parts=[{"text": "Hello!"}], usage={"input": 66, "output": 9}, polls=2),
                 stream=False)  # fmt: skip
    exchanges = DIALECT.synthesize(s).exchanges
    thread = body(exchanges[0])["id"]
    run = body(exchanges[2])["id"]
    assert [(e.method, e.path) for e in exchanges] == [
        ("POST", "/threads"),
        ("POST", f"/threads/{thread}/messages"),
        ("POST", f"/threads/{thread}/runs"),
        *[("GET", f"/threads/{thread}/runs/{run}")] * 3,
        ("GET", f"/threads/{thread}/messages"),
    ]
    assert all(e.query == (("api-version", API_VERSION),) for e in exchanges)
    statuses = [body(e)["status"] for e in exchanges[2:6]]
    assert statuses == ["queued", "in_progress", "in_progress", "completed"]
    assert body(exchanges[1]) | {"role": "user"} == body(exchanges[1])
    assert body(exchanges[1])["content"][0]["text"]["value"] == "hi"
    final = body(exchanges[5])
    assert final["usage"] == {"prompt_tokens": 66, "completion_tokens": 9, "total_tokens": 75,
                              "prompt_token_details": {"cached_tokens": 0}}  # fmt: skip
    assert final["assistant_id"] == "asst_demo" and final["last_error"] is None
    listing = body(exchanges[6])
    assert [m["role"] for m in listing["data"]] == ["assistant", "user"]  # newest first
    assert listing["data"][0]["content"][0]["text"]["value"] == "Hello!"


def test_existing_thread_and_api_version_from_options() -> None:
    s = scenario(
        reply(parts=[{"text": "ok"}]),
        stream=False,
        request={"options": {"thread_id": "thread_mine", "api_version": "2025-05-15-preview"}},
    )
    exchanges = DIALECT.synthesize(s).exchanges
    assert [(e.method, e.path) for e in exchanges][:2] == [
        ("POST", "/threads/thread_mine/messages"),
        ("POST", "/threads/thread_mine/runs"),
    ]
    assert {e.query for e in exchanges} == {(("api-version", "2025-05-15-preview"),)}


@pytest.mark.parametrize(
    ("outcome", "error", "last_error"),
    [
        ("failed", None, {"code": "server_error", "message": "Sorry, something went wrong."}),
        ("failed", {"code": "rate_limit_exceeded", "message": "slow"},
         {"code": "rate_limit_exceeded", "message": "slow"}),
        ("expired", None, {"code": "expired", "message": "The run expired before it completed."}),
        ("cancelled", None, None),
    ],
)  # fmt: skip
def test_final_statuses(outcome: str, error: Any, last_error: Any) -> None:
    s = scenario(reply(outcome=outcome, error=error, polls=1), stream=False)
    exchanges = DIALECT.synthesize(s).exchanges
    final = body(exchanges[-1])  # no messages list after a run that did not complete
    assert exchanges[-1].method == "GET" and "/runs/" in exchanges[-1].path
    assert (final["status"], final["last_error"]) == (outcome, last_error)
    assert final[f"{outcome}_at"] if outcome != "expired" else final["expires_at"] is None


def test_requires_action_carries_the_tool_calls() -> None:
    call = {"name": "get_weather", "arguments": {"city": "Paris"}}
    s = scenario(reply(parts=[{"tool_call": call}], finish="tool_calls"), stream=False,
                 request={"tools": [WEATHER]})  # fmt: skip
    exchanges = DIALECT.synthesize(s).exchanges
    final = body(exchanges[-1])
    assert final["status"] == "requires_action" and final["usage"] is None
    (sent,) = final["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert sent["id"].startswith("call_") and sent["type"] == "function"
    assert sent["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert final["tools"][0]["function"]["name"] == "get_weather"


def test_error_attempts_answer_run_creation() -> None:
    s = scenario(
        {"error": {"status": 429, "retry_after": 2}},
        {"error": {"status": 503, "retry_after": 1.5, "retry_after_form": "ms"}},
        {"error": {"status": 429, "retry_after": 3, "retry_after_form": "http_date"}},
        reply(parts=[{"text": "ok"}]),
        stream=False,
    )
    exchanges = DIALECT.synthesize(s).exchanges
    errors = exchanges[2:5]
    assert [e.status for e in errors] == [429, 503, 429]
    assert {e.path for e in errors} == {exchanges[5].path} and exchanges[5].path.endswith("/runs")
    assert dict(errors[0].headers)["retry-after"] == "2"
    assert dict(errors[1].headers)["retry-after-ms"] == "1500"
    assert dict(errors[2].headers)["retry-after"] == HttpDate(3)
    assert body(errors[0])["error"]["code"] == "too_many_requests"
    assert "Try again in 2 seconds" in body(errors[0])["error"]["message"]


# --------------------------------------------------------------------------- streamed flow


def test_stream_text_events() -> None:
    s = scenario(reply(parts=[{"text": "Hé😀llo", "deltas": 3}], usage={"input": 5, "output": 2}))
    (exchange,) = DIALECT.synthesize(s).exchanges
    assert (exchange.method, exchange.path) == ("POST", "/threads/runs")
    evs = events(exchange)
    assert [e.event for e in evs] == [
        "thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress", "thread.message.created",
        "thread.message.in_progress", *["thread.message.delta"] * 3, "thread.message.completed",
        "thread.run.step.completed", "thread.run.completed", "done",
    ]  # fmt: skip
    deltas = [json.loads(e.data)["delta"]["content"][0]["text"]["value"] for e in evs[8:11]]
    assert "".join(deltas) == "Hé😀llo"
    completed = json.loads(evs[-2].data)
    assert completed["status"] == "completed" and completed["usage"]["prompt_tokens"] == 5
    assert evs[-1].data == "[DONE]"
    assert json.loads(evs[0].data)["id"] == completed["thread_id"]


def test_stream_tool_call_step_and_requires_action() -> None:
    call = {"name": "get_weather", "arguments": {"city": "Paris"}, "fragments": 3}
    s = scenario(reply(parts=[{"text": "Let me see."}, {"tool_call": call}], finish="tool_calls"),
                 request={"tools": [WEATHER]})  # fmt: skip
    evs = events(DIALECT.synthesize(s).exchanges[0])
    names = [e.event for e in evs]
    assert names[-2:] == ["thread.run.requires_action", "done"]
    assert "thread.message.completed" in names  # the text message ends before the tool step
    fragments = [
        json.loads(e.data)["delta"]["step_details"]["tool_calls"][0]
        for e in evs
        if e.event == "thread.run.step.delta"
    ]
    assert fragments[0]["function"]["name"] == "get_weather" and fragments[0]["id"]
    assert "".join(f["function"]["arguments"] for f in fragments) == '{"city":"Paris"}'
    action = json.loads(evs[-2].data)["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert action[0]["id"] == fragments[0]["id"]


def test_stream_failed_run_and_existing_thread() -> None:
    s = scenario(
        reply(parts=[{"text": "partial"}], outcome="failed", error={"code": "x", "message": "y"}),
        request={"options": {"thread_id": "thread_mine"}},
    )
    exchanges = DIALECT.synthesize(s).exchanges
    assert [(e.method, e.path) for e in exchanges] == [
        ("POST", "/threads/thread_mine/messages"),
        ("POST", "/threads/thread_mine/runs"),
    ]
    evs = events(exchanges[1])
    assert evs[0].event == "thread.run.created"  # no thread.created on an existing thread
    assert "thread.message.completed" not in [e.event for e in evs]
    assert evs[-2].event == "thread.run.failed"
    assert json.loads(evs[-2].data)["last_error"] == {"code": "x", "message": "y"}


@pytest.mark.parametrize(
    ("fault", "names", "end"),
    [
        ({"empty": True}, [], "close"),
        ({"terminator_only": True}, ["done"], "close"),
        ({"cut_after": 2}, ["thread.created", "thread.run.created"], "cut"),
        ({"stall_after": 1}, ["thread.created"], "stall"),
        ({"truncate_after": 3}, ["thread.created", "thread.run.created", "thread.run.queued"],
         "close"),
    ],
)  # fmt: skip
def test_stream_faults(fault: dict[str, Any], names: list[str], end: str) -> None:
    (exchange,) = DIALECT.synthesize(scenario(reply(parts=[{"text": "x"}], fault=fault))).exchanges
    assert [e.event for e in events(exchange)] == names
    assert exchange.end == end


def test_stream_error_payload_and_malformed_event() -> None:
    payload = {"error": {"code": "server_error", "message": "boom"}}
    s = scenario(reply(parts=[{"text": "x"}], fault={"error_payload": payload}))
    evs = events(DIALECT.synthesize(s).exchanges[0])
    assert (evs[-1].event, json.loads(evs[-1].data)) == ("error", payload["error"])
    s = scenario(reply(parts=[{"text": "x"}], fault={"malformed_at": 1}))
    evs = events(DIALECT.synthesize(s).exchanges[0])
    with pytest.raises(ValueError):
        json.loads(evs[1].data)
    with pytest.raises(ValueError, match="past the end"):
        DIALECT.synthesize(scenario(reply(parts=[{"text": "x"}], fault={"malformed_at": 99})))


def test_wire_shape_crlf_keepalive_no_space() -> None:
    wire = {"line_ending": "crlf", "keepalive_every": 2, "data_space": False, "chunking": "whole"}
    (exchange,) = DIALECT.synthesize(scenario(reply(parts=[{"text": "x"}], wire=wire))).exchanges
    assert b"\r\n: keep-alive\r\n" in exchange.body and b"data:{" in exchange.body
    assert len(exchange.chunks) == 1
    assert [e.event for e in events(exchange)][-1] == "done"


def test_determinism() -> None:
    s = scenario({"error": {"status": 500}}, reply(parts=[{"text": "abc", "deltas": 2}]))
    one, two = DIALECT.synthesize(s), DIALECT.synthesize(s)
    assert one == two
    other = DIALECT.synthesize(scenario(*[a.model_dump() for a in s.attempts], id="other"))
    assert one.exchanges[1].body != other.exchanges[1].body  # ids are hashed from the id


# --------------------------------------------------------------------------- n/a reasons


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: scenario(reply(), request={"messages": [{"role": "system", "content": "x"},
                                                           *USER]}), "no system role"),
        (lambda: scenario(reply(), request={"messages": [*USER, {"role": "tool", "content": "1",
                                                                  "tool_call_id": "c"}]}),
         "submit_tool_outputs"),
        (lambda: scenario(reply(parts=[{"reasoning": "hm"}])), "no reasoning"),
        (lambda: scenario(reply(outcome="incomplete")), "no incomplete status"),
        (lambda: scenario(reply(finish="length")), "no 'length'"),
        (lambda: scenario(reply(), reply()), "one run per scenario"),
        (lambda: scenario(reply(), {"error": {"status": 500}}), "one run per scenario"),
        (lambda: scenario(reply(parts=[{"tool_call": {"name": "f"}}], finish="tool_calls",
                                usage={"input": 1, "output": 1})), "usage null"),
        (lambda: scenario(reply(finish="tool_calls")), "exactly when"),
        (lambda: scenario(reply(polls=2)), "polled run"),
        (lambda: scenario(reply(fault={"empty": True}), stream=False), "streamed request"),
        (lambda: scenario(reply(), dialects=["openai-chat"]), "limited to dialects"),
        (lambda: scenario(reply(), stream=False, dialects=None, expect={"requests": 1}),
         "takes 5 (thread, messages, run, polls)"),
        (lambda: scenario(reply(), dialects=None, expect={"sent": [{"method": "POST"}]}),
         "another dialect's requests"),
    ],
)  # fmt: skip
def test_honest_na(build: Any, reason: str) -> None:
    s = build()
    assert reason in (DIALECT.supports(s) or "")
    with pytest.raises(ValueError, match="cannot synthesize for azure-agents"):
        DIALECT.synthesize(s)


@pytest.mark.parametrize(
    "attempt",
    [
        reply(parts=[{"text": "x"}], polls=3),
        reply(outcome="failed", polls=1),
        reply(parts=[{"tool_call": {"name": "f"}}], finish="tool_calls"),
        reply(parts=[{"text": "x"}, {"tool_call": {"name": "f"}}], finish="tool_calls"),
    ],
)
@pytest.mark.parametrize("options", [{}, {"thread_id": "thread_mine"}])
@pytest.mark.parametrize("stream", [False, True])
def test_n_a_request_count_is_the_flow_length(
    attempt: dict[str, Any], options: dict[str, Any], stream: bool
) -> None:
    if stream:
        attempt = reply(**{k: v for k, v in attempt["reply"].items() if k != "polls"})
    s = scenario(attempt, stream=stream, request={"options": options}, dialects=None,
                 expect={"requests": 1})  # fmt: skip
    wanted = len(DIALECT.synthesize(s.model_copy(update={"expect": Expect()})).exchanges)
    reason = DIALECT.supports(s)
    if wanted == 1:
        assert reason is None
    else:
        assert reason is not None and f"takes {wanted} (" in reason


def test_neutral_stream_scenarios_keep_their_request_count() -> None:
    s = scenario({"error": {"status": 429}}, reply(), dialects=None, expect={"requests": 2})
    assert DIALECT.supports(s) is None
    assert [e.path for e in DIALECT.synthesize(s).exchanges] == ["/threads/runs"] * 2
    assert agent_id("gpt-4o-mini") == "asst_gpt-4o-mini" and agent_id("asst_x") == "asst_x"


# --------------------------------------------------------------------------- a correct client


class AgentError(Exception):
    """The reference client's typed error."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.status = kind, status


_STATUS_KINDS = {429: "rate_limit", 401: "auth", 403: "auth", 404: "not_found", 400: "bad_request"}
_RUN_KINDS = {"rate_limit_exceeded": "rate_limit", "server_error": "server"}


class ReferenceClient:
    """A small Azure AI Agents client that does everything right, as a driver."""

    name: ClassVar[str] = "reference-azure-agents"
    dialect: ClassVar[str] = "azure-agents"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def supports(self, scenario: Scenario) -> str | None:
        return None

    def classify(self, exc: BaseException) -> ErrorEvent | None:
        if isinstance(exc, AgentError):
            return ErrorEvent(error=exc.kind, type="tests.AgentError", message=str(exc),  # type: ignore[arg-type]
                              status=exc.status)  # fmt: skip
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        request = ctx.scenario.request
        self.query = {"api-version": str(request.options.get("api_version", API_VERSION))}
        thread = request.options.get("thread_id")
        agent = agent_id(request.model)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        headers = {"Authorization": f"Bearer {ctx.api_key}"}
        async with httpx.AsyncClient(
            transport=ctx.transport(), base_url=ctx.base_url + "/api/projects/p",
            headers=headers, timeout=30,
        ) as http:  # fmt: skip
            self.http = http
            if request.stream and thread is None:
                payload = {"assistant_id": agent, "stream": True, "thread": {"messages": messages}}
                async for event in self._stream("/threads/runs", payload):
                    yield event
                return
            if thread is None:
                thread = (await self._send("POST", "/threads", {})).json()["id"]
            for message in messages:
                await self._send("POST", f"/threads/{thread}/messages", message)
            runs = f"/threads/{thread}/runs"
            if request.stream:
                async for event in self._stream(runs, {"assistant_id": agent, "stream": True}):
                    yield event
                return
            run = (await self._send("POST", runs, {"assistant_id": agent})).json()
            while run["status"] in ("queued", "in_progress"):
                await asyncio.sleep(1)
                run = (await self._send("GET", f"{runs}/{run['id']}")).json()
            for event in self._final(run):
                yield event
            if run["status"] == "completed":
                listing = (await self._send("GET", f"/threads/{thread}/messages")).json()
                text = "".join(
                    c["text"]["value"] for c in listing["data"][0]["content"] if c["type"] == "text"
                )
                yield TextEvent(text=text)
                if run["usage"]:
                    yield _usage(run["usage"])
                yield FinishEvent(reason="stop", raw="completed")

    async def _send(self, method: str, path: str, payload: Any = None) -> httpx.Response:
        for attempt in range(4):
            response = await self.http.request(method, path, params=self.query, json=payload)
            if response.status_code < 400:
                return response
            if response.status_code not in (429, 500, 503) or attempt == 3:
                kind = _STATUS_KINDS.get(response.status_code, "server")
                raise AgentError(kind, response.text, response.status_code)
            await asyncio.sleep(_retry_after(response.headers))
        raise AssertionError("unreachable")

    async def _stream(self, path: str, payload: Any) -> AsyncIterator[Event]:
        for attempt in range(4):
            async with self.http.stream("POST", path, params=self.query, json=payload) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    if resp.status_code not in (429, 500, 503) or attempt == 3:
                        kind = _STATUS_KINDS.get(resp.status_code, "server")
                        raise AgentError(kind, resp.text, resp.status_code)
                    await asyncio.sleep(_retry_after(resp.headers))
                    continue
                async for event in self._events(resp):
                    yield event
                return

    async def _events(self, response: httpx.Response) -> AsyncIterator[Event]:
        decoder, finished = SSEDecoder(), False
        try:
            async for chunk in response.aiter_bytes():
                for sse in decoder.feed(chunk):
                    if sse.event == "done":
                        if not finished:
                            raise AgentError("protocol", "done before the run ended")
                        return
                    try:
                        data = json.loads(sse.data)
                    except ValueError:
                        raise AgentError("protocol", f"not JSON: {sse.data[:40]}") from None
                    if sse.event == "error":
                        raise AgentError(_RUN_KINDS.get(str(data.get("code")), "server"), str(data))
                    if sse.event == "thread.message.delta":
                        for item in data["delta"]["content"]:
                            yield TextEvent(text=item["text"]["value"])
                    if (
                        sse.event
                        and sse.event.startswith("thread.run.")
                        and sse.event.count(".") == 2
                    ):
                        for event in self._final(data):
                            finished = True
                            yield event
                        if data["status"] == "completed":
                            finished = True
                            if data["usage"]:
                                yield _usage(data["usage"])
                            yield FinishEvent(reason="stop", raw="completed")
        except httpx.ReadTimeout as exc:
            raise AgentError("timeout", str(exc)) from None
        except httpx.TransportError as exc:
            raise AgentError("protocol", str(exc)) from None
        raise AgentError("protocol", "the stream ended before done")

    def _final(self, run: dict[str, Any]) -> list[Event]:
        status, error = run["status"], run.get("last_error") or {}
        if status == "failed":
            raise AgentError(_RUN_KINDS.get(str(error.get("code")), "server"), str(error))
        if status == "expired":
            raise AgentError("timeout", "run expired")
        if status == "cancelled":
            raise AgentError("unknown", "run cancelled")
        if status != "requires_action":
            return []
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        return [
            *(ToolCallEvent(id=c["id"], name=c["function"]["name"],
                            arguments=json.loads(c["function"]["arguments"])) for c in calls),
            FinishEvent(reason="tool_calls", raw="requires_action"),
        ]  # fmt: skip


def _usage(usage: dict[str, Any]) -> UsageEvent:
    return UsageEvent(input=usage["prompt_tokens"], output=usage["completion_tokens"])


def _retry_after(headers: httpx.Headers) -> float:
    if "retry-after-ms" in headers:
        return float(headers["retry-after-ms"]) / 1000
    value = headers.get("retry-after", "0.5")
    try:
        return float(value)
    except ValueError:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())


AZURE = sorted(p.stem for p in SCENARIOS.glob("azure-*.yaml"))
NEUTRAL = [
    "text-plain", "text-many-deltas", "reply-empty", "usage-separate-chunk", "wire-crlf",
    "wire-data-no-space", "wire-keepalive-comments", "wire-split-utf8", "text-line-separators",
    "retry-429-seconds", "retry-429-ms", "retry-429-http-date", "retry-429-long-waits",
    "retry-429-exhausted", "retry-500", "retry-503", "retry-503-repeated", "fault-http-400",
    "fault-http-401", "fault-http-404", "fault-stream-cut", "fault-malformed-event",
    "fault-error-in-stream", "fault-empty-stream", "fault-terminator-only",
    "fault-truncated-stream", "fault-stream-stall",
]  # fmt: skip
_EMPTY_BODY_BUG = bool(_subset_problems({}, None, ""))


@pytest.mark.parametrize("name", AZURE + NEUTRAL)
def test_a_correct_client_passes(name: str) -> None:
    """Every azure-* scenario, and the neutral ones the dialect runs, are passable."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    run = run_scenario(scenario, ReferenceClient())
    codes = [f.code for f in run.findings if f.severity == "error"]
    if _EMPTY_BODY_BUG and scenario.expect.sent and codes and set(codes) == {"request-mismatch"}:
        pytest.xfail("expectations: an unset ExpectedRequest.body ({}) fails a body-less request")
    if codes == ["retry-storm"] and len(run.transcript.requests) > POLICY.max_attempts:  # type: ignore[union-attr]
        pytest.xfail("invariant:retries counts polls as retries (retry-storm)")
    assert run.status == "pass", [f.render() for f in run.findings]
