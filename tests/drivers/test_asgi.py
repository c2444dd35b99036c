"""The ASGI driver kind: a tiny inline Starlette app that re-streams the gateway dialect
(its own httpx client, built with no transport, is served by the replay), the mappers,
lifespan handling, and the bundled ``restream-app`` example on the Responses dialect."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import JsonValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from harness.drivers.asgi import (
    ASGIApp,
    ASGIAppDriver,
    Mapper,
    each,
    error,
    finish,
    ignore,
    reasoning,
    text,
    tool_call,
    usage,
)
from harness.drivers.base import DriverContext, get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenarios
from harness.scenario.model import ErrorKind, Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    ReasoningEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = {s.id: s for s in load_scenarios(SCENARIOS)}


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def relay_events(base_url: str, body: Any) -> AsyncIterator[bytes]:
    """Re-stream the gateway's chunks as token / tool_call / done / error / end."""
    yield sse("start", {})
    try:
        async with (
            httpx.AsyncClient() as client,  # no transport given: serving() supplies the replay
            client.stream(
                "POST",
                base_url + "/api/v1/llm/chat/stream",
                json=body,
                headers={"authorization": "Bearer t"},
            ) as upstream,
        ):
            if upstream.status_code >= 400:
                await upstream.aread()
                yield sse("error", {"message": upstream.text, "status": upstream.status_code})
                return
            async for line in upstream.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    yield sse("error", {"message": chunk["detail"], "code": chunk["error"]})
                    return
                if chunk["content"]:
                    yield sse("token", {"text": chunk["content"]})
                for call in chunk["tool_calls"]:
                    yield sse("tool_call", call)
                if chunk["is_final"]:
                    yield sse("done", {"finish": chunk["finish_reason"], "usage": chunk["usage"]})
    except httpx.HTTPError as exc:
        yield sse("error", {"message": str(exc), "code": "upstream_broke"})
    yield sse("end", {})


def relay_app(base_url: str) -> ASGIApp:
    async def relay(request: Request) -> Response:
        body = await request.json()
        if body.get("model") == "refuse":
            return JSONResponse({"detail": "no such model"}, status_code=404)
        if body.get("model") == "crash":
            raise RuntimeError("the app crashed")
        return StreamingResponse(relay_events(base_url, body), media_type="text/event-stream")

    return Starlette(routes=[Route("/relay", relay, methods=["POST"])])


class RelayDriver(ASGIAppDriver):
    name: ClassVar[str] = "relay"
    dialect: ClassVar[str] = "gateway"
    path: ClassVar[str] = "/relay"
    mapping: ClassVar[dict[str, Mapper]] = {
        "start": ignore(),
        "token": text("text"),
        "tool_call": tool_call(),
        "done": each(usage("usage.prompt_tokens", "usage.completion_tokens"), finish("finish")),
        "error": error(kinds={"upstream_broke": "protocol", "upstream_error": "server"}),
        "end": ignore(),
    }

    def app_factory(self, ctx: DriverContext) -> ASGIApp:
        return relay_app(ctx.base_url)

    def request_body(self, scenario: Scenario) -> JsonValue:
        return {
            "model": scenario.request.model,
            "messages": [{"role": m.role, "content": m.content} for m in scenario.request.messages],
        }


def run(sid: str | Scenario, driver: ASGIAppDriver | None = None) -> Run:
    scenario = BUNDLED[sid] if isinstance(sid, str) else sid
    result = run_scenario(scenario, driver or RelayDriver())
    assert result.transcript is not None, result.na_reason
    return result


def events(result: Run) -> list[Event]:
    assert result.transcript is not None
    return list(result.transcript.events)


def with_model(sid: str, model: str) -> Scenario:
    scenario = BUNDLED[sid]
    request = scenario.request.model_copy(update={"model": model})
    return scenario.model_copy(update={"request": request})


# --------------------------------------------------------------------------- the driver kind


def test_the_apps_own_client_is_served_by_the_replay() -> None:
    result = run("text-then-tool-call")
    assert result.status == "pass", result.reason()
    assert result.transcript is not None
    assert [r.path for r in result.transcript.requests] == ["/api/v1/llm/chat/stream"]
    assert events(result)[-2:] == [
        UsageEvent(input=60, output=27),
        FinishEvent(reason="tool_calls", raw="tool_calls"),
    ]


@pytest.mark.parametrize(
    ("sid", "kind"),
    [
        ("gateway-error-payload", "server"),
        ("fault-stream-cut", "protocol"),
        ("gateway-502", "server"),
    ],
)
def test_app_error_events_become_the_terminal_error(sid: str, kind: str) -> None:
    result = run(sid)
    last = events(result)[-1]
    assert isinstance(last, ErrorEvent)
    assert (last.error, last.type, last.leaked) == (kind, "sse:error", False)


def test_the_apps_bugs_are_reported_as_findings() -> None:
    # the relay reads lines with httpx's aiter_lines, which also splits on U+2028
    separators = run("text-line-separators")
    assert separators.status == "fail"
    last = events(separators)[-1]
    assert isinstance(last, ErrorEvent) and last.type == "json.decoder.JSONDecodeError"
    # and it passes a stream that ends before its final chunk off as complete
    truncated = run("fault-truncated-stream")
    assert {f.code for f in truncated.findings} >= {
        "truncated-stream-accepted",
        "no-terminal-event",
    }


def test_downstream_http_error_is_classified_by_its_status() -> None:
    last = events(run(with_model("text-plain", "refuse")))[-1]
    assert isinstance(last, ErrorEvent)
    assert (last.error, last.status, last.type) == (
        "not_found",
        404,
        "harness.drivers.asgi.DownstreamError",
    )


def test_an_exception_the_app_lets_escape_is_the_runs_error() -> None:
    last = events(run(with_model("text-plain", "crash")))[-1]
    assert isinstance(last, ErrorEvent)
    assert (last.type, last.message) == ("builtins.RuntimeError", "the app crashed")


def test_an_unmapped_event_is_named() -> None:
    class Partial(RelayDriver):
        mapping: ClassVar[dict[str, Mapper]] = {"start": ignore()}

    last = events(run("text-plain", Partial()))[-1]
    assert isinstance(last, ErrorEvent)
    assert last.type == "harness.drivers.asgi.UnmappedEvent"
    assert "'token'" in last.message and "ignore()" in last.message


# --------------------------------------------------------------------------- lifespan


def lifespan_app(base_url: str, log: list[str], *, fail: bool = False) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        log.append("startup")
        if fail:
            raise OSError("no database")
        async with httpx.AsyncClient(base_url=base_url) as client:
            yield {"upstream": client}
        log.append("shutdown")

    async def chat(request: Request) -> Response:
        client: httpx.AsyncClient = request.state.upstream
        reply = await client.post("/api/v1/llm/chat", json={})
        data = reply.json()
        body = sse("token", {"text": data["content"]}) + sse("done", {"finish": "stop"})
        return Response(body, media_type="text/event-stream")

    return Starlette(routes=[Route("/relay", chat, methods=["POST"])], lifespan=lifespan)


def nonstream(sid: str) -> Scenario:
    scenario = BUNDLED[sid]
    request = scenario.request.model_copy(update={"stream": False})
    return scenario.model_copy(update={"request": request})


def test_lifespan_runs_around_the_call_and_its_state_reaches_requests() -> None:
    log: list[str] = []

    class WithLifespan(RelayDriver):
        def app_factory(self, ctx: DriverContext) -> ASGIApp:
            return lifespan_app(ctx.base_url, log)

    result = run(nonstream("text-plain"), WithLifespan())
    assert events(result) == [
        TextEvent(text="Hello! Nice to meet you."),
        FinishEvent(reason="stop", raw="stop"),
    ]
    assert log == ["startup", "shutdown"]


def test_a_failed_lifespan_startup_is_an_error() -> None:
    class Failing(RelayDriver):
        def app_factory(self, ctx: DriverContext) -> ASGIApp:
            return lifespan_app(ctx.base_url, [], fail=True)

    last = events(run(nonstream("text-plain"), Failing()))[-1]
    assert isinstance(last, ErrorEvent) and "lifespan startup failed" in last.message


def test_an_app_without_lifespan_support_is_served_as_it_is() -> None:
    starlette = relay_app("https://replay.harness.invalid")

    async def plain(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("lifespan not supported")
        await starlette(scope, receive, send)

    class Plain(RelayDriver):
        def app_factory(self, ctx: DriverContext) -> ASGIApp:
            return plain

    assert run("text-plain", Plain()).status == "pass"


# --------------------------------------------------------------------------- mappers


def test_mappers() -> None:
    args: dict[str, JsonValue] = {"city": "Paris"}
    cases: list[tuple[Mapper, JsonValue, list[Event]]] = [
        (ignore(), {"x": 1}, []),
        (text("a.b"), {"a": {"b": "hi"}}, [TextEvent(text="hi")]),
        (text(None), "plain", [TextEvent(text="plain")]),
        (text(), {"text": ""}, []),
        (reasoning(), {"text": "hm"}, [ReasoningEvent(text="hm")]),
        (
            tool_call(),
            {"id": "c1", "name": "f", "arguments": args},
            [ToolCallEvent(id="c1", name="f", arguments=args)],
        ),
        (
            tool_call(id="call_id"),
            {"call_id": "c2", "name": "f", "arguments": '{"city": "Paris"}'},
            [ToolCallEvent(id="c2", name="f", arguments=args)],
        ),
        (
            tool_call(),
            {"name": "f", "arguments": '{"ci'},
            [ToolCallEvent(id=None, name="f", arguments=None, raw='{"ci')],
        ),
        (usage(), {"input_tokens": 3, "output_tokens": 4}, [UsageEvent(input=3, output=4)]),
        (usage(), {"other": 1}, []),
        (finish(), {"finish": "length"}, [FinishEvent(reason="length", raw="length")]),
        (
            finish(table={"end_turn": "stop"}),
            {"finish": "end_turn"},
            [FinishEvent(reason="stop", raw="end_turn")],
        ),
        (finish(), {}, [FinishEvent(reason=None, raw=None)]),
        (
            each(text(), finish()),
            {"text": "a", "finish": "stop"},
            [TextEvent(text="a"), FinishEvent(reason="stop", raw="stop")],
        ),
    ]
    for mapper, data, expected in cases:
        assert list(mapper("e", data)) == expected, mapper


@pytest.mark.parametrize(
    ("data", "kind", "status", "message"),
    [
        ({"message": "slow down", "status": 429}, "rate_limit", 429, "slow down"),
        ({"message": "boom", "code": "server_error"}, "server", None, "server_error: boom"),
        ({"message": "x", "code": "mine"}, "timeout", None, "mine: x"),
        ({"message": "x", "type": "invalid_request_error"}, "bad_request", None, "x"),
        ("bare text", "unknown", None, "bare text"),
    ],
)
def test_error_mapper(data: JsonValue, kind: ErrorKind, status: int | None, message: str) -> None:
    (event,) = error(kinds={"mine": "timeout"})("failure", data)
    assert event == ErrorEvent(error=kind, type="sse:failure", message=message, status=status)


def test_mapper_reprs_echo_the_call() -> None:
    assert repr(text("a.b")) == "text('a.b')"
    assert repr(each(ignore(), usage("i", "o"))) == "each(ignore(), usage('i', 'o'))"
    assert repr(tool_call(id="x")) == "tool_call(id='x', name='name', arguments='arguments')"


# --------------------------------------------------------------------------- restream example


def restream() -> ASGIAppDriver:
    pytest.importorskip("fastapi")
    pytest.importorskip("llama_stack_client")
    pytest.importorskip("harness.dialects.openai_responses")
    driver = get_driver("restream-app")
    assert isinstance(driver, ASGIAppDriver)
    return driver


@pytest.mark.adapters
@pytest.mark.parametrize(
    "sid",
    [
        "text-plain",
        "text-then-tool-call",
        "tool-calls-parallel",
        "outcome-failed",
        "outcome-incomplete-max-tokens",
        "fault-http-404",
        "fault-stream-cut",
        "fault-truncated-stream",
        "fault-error-in-stream",
        "retry-429-seconds",
    ],
)
def test_restream_app(sid: str) -> None:
    result = run(sid, restream())
    assert result.status == "pass", result.reason()


@pytest.mark.adapters
def test_restream_app_drops_reasoning_and_that_is_reported() -> None:
    # the app's event vocabulary has no reasoning event: what the upstream thought is lost
    result = run("reasoning-then-text", restream())
    assert "reasoning-mismatch" in {f.code for f in result.findings}


@pytest.mark.adapters
def test_restream_app_error_event_for_a_failed_response() -> None:
    last = events(run("outcome-failed", restream()))[-1]
    assert isinstance(last, ErrorEvent)
    assert (last.error, last.type) == ("server", "sse:error")
    assert last.message.startswith("server_error: ")


def test_restream_app_is_na_for_non_streamed_requests() -> None:
    driver = restream()
    reason = driver.supports(BUNDLED["nonstream-text"])
    assert reason is not None and "always streams" in reason
