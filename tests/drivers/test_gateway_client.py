"""The reference gateway client and its ``gateway-client`` driver: end to end through the
runner on the gateway dialect (the bundled scenarios pass; planted mistakes are reported
with the right codes), then the client's own pieces against the replay."""

from __future__ import annotations

import asyncio
import email.utils
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.dialects.gateway import DIALECT
from harness.drivers._examples import import_example
from harness.drivers.base import DriverContext, get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenarios
from harness.scenario.model import Scenario
from harness.transport import transport_for
from harness.transport.clock import Clock
from harness.transport.core import Replay
from harness.vocab.events import Event, FinishEvent, TextEvent, ToolCallEvent, UsageEvent

ROOT = Path(__file__).resolve().parents[2]
client_module = import_example("gateway_client.client")
driver_module = import_example("gateway_client.harness_driver")
GatewayClient = client_module.GatewayClient
GatewayClientDriver = driver_module.GatewayClientDriver

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = {s.id: s for s in load_scenarios(SCENARIOS)}
GATEWAY = sorted(sid for sid in BUNDLED if sid.startswith("gateway-"))


def run(scenario: Scenario | str, driver: Any = None) -> Run:
    if isinstance(scenario, str):
        scenario = BUNDLED[scenario]
    result = run_scenario(scenario, driver or get_driver("gateway-client"))
    assert result.transcript is not None, result.na_reason
    return result


def codes(result: Run) -> set[str]:
    return {f.code for f in result.findings}


# --------------------------------------------------------------------------- registry


def test_registered_as_the_example_driver() -> None:
    driver = get_driver("gateway-client")
    assert type(driver) is GatewayClientDriver
    assert (driver.name, driver.dialect, driver.http_library) == (
        "gateway-client",
        "gateway",
        "httpx",
    )


def test_the_builtin_name_loads_the_example_from_anywhere(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "from harness.drivers import get_driver\n"
        "d = get_driver('gateway-client')\n"
        "print(type(d).__module__, d.supports)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.startswith("examples.gateway_client.harness_driver ")


def test_without_a_checkout_the_driver_answers_na() -> None:
    from harness.drivers.gateway_client import _unavailable

    driver = _unavailable("no checkout here")()
    assert driver.name == "gateway-client"
    assert driver.supports(BUNDLED["text-plain"]) == "no checkout here"


def test_examples_are_found_or_say_why() -> None:
    from harness.drivers._examples import ExampleMissing, example_missing

    assert example_missing("gateway_client") is None
    assert example_missing("restream_app.app") is None
    missing = example_missing("no_such_example")
    assert missing is not None and "source checkout" in missing
    with pytest.raises(ExampleMissing, match="no_such_example is not available"):
        import_example("no_such_example")


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("sid", GATEWAY)
def test_gateway_scenarios_pass(sid: str) -> None:
    result = run(sid)
    assert result.status == "pass", result.reason()


@pytest.mark.parametrize(
    "sid",
    [
        "text-plain",
        "text-then-tool-call",
        "nonstream-tool-call",
        "text-line-separators",
        "wire-split-utf8",
        "retry-429-http-date",
        "retry-429-long-waits",
        "fault-stream-cut",
        "fault-stream-stall",
        "fault-error-in-stream",
        "fault-terminator-only",
    ],
)
def test_neutral_scenarios_pass(sid: str) -> None:
    result = run(sid)
    assert result.status == "pass", result.reason()


def test_401_refresh_sends_two_bearer_requests() -> None:
    result = run("gateway-401-refresh")
    assert result.transcript is not None
    requests = result.transcript.requests
    assert [r.headers["authorization"] for r in requests] == ["Bearer ***", "Bearer ***"]
    assert [r.path for r in requests] == ["/api/v1/llm/chat/stream"] * 2


def test_stream_events_are_what_the_client_yields() -> None:
    result = run("text-then-tool-call")
    assert result.transcript is not None
    events = result.transcript.events
    call = events[-3]
    assert isinstance(call, ToolCallEvent) and call.id
    assert events[-3:-1] == [
        ToolCallEvent(id=call.id, name="get_weather", arguments={"city": "Paris"}),
        UsageEvent(input=60, output=27),
    ]
    assert events[-1] == FinishEvent(reason="tool_calls", raw="tool_calls")
    assert all(isinstance(e, TextEvent) for e in events[:-3])


class NoRetries(GatewayClientDriver):  # type: ignore[misc,valid-type]
    """Planted: the client with its retries turned off."""

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        ctx.options["max_retries"] = 0
        async for event in super().run(ctx):
            yield event


class NoStreamErrorKinds(GatewayClientDriver):  # type: ignore[misc,valid-type]
    """Planted: a driver that leaves the in-stream error to harness's generic classifier."""

    def classify(self, exc: BaseException) -> None:
        return None


def test_planted_no_retry_is_reported() -> None:
    result = run("retry-429-seconds", NoRetries())
    # one root cause: the error it raised on a wire that recovers is the one it gave up on
    assert codes(result) == {"retry-missing"}


def test_planted_generic_classification_of_the_stream_error_is_reported() -> None:
    # the client's class is called StreamError, which harness reads as a wire defect
    result = run("gateway-error-payload", NoStreamErrorKinds())
    assert codes(result) == {"error-kind-mismatch"}


def test_planted_retrying_a_401_forever_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    class RetriesAuth(GatewayClient):  # type: ignore[misc,valid-type]
        def _retry_wait(self, response: httpx.Response, retries: int) -> float | None:
            return 0.5 if response.status_code == 401 else super()._retry_wait(response, retries)

    monkeypatch.setattr(client_module, "GatewayClient", RetriesAuth)
    result = run("gateway-401-twice")
    assert "non-retryable-retried" in codes(result)


# --------------------------------------------------------------------------- the client


def replay_for(*attempts: dict[str, Any], stream: bool = True) -> Replay:
    scenario = Scenario.model_validate(
        {
            "id": "unit",
            "dialects": ["gateway"],
            "request": {"messages": [{"role": "user", "content": "hi"}], "stream": stream},
            "attempts": list(attempts),
            "expect": {},
        }
    )
    return Replay(DIALECT.synthesize(scenario), Clock())


class Recording(httpx.AsyncBaseTransport):
    """Keeps the real Authorization headers (the replay log masks them)."""

    def __init__(self, replay: Replay) -> None:
        self.inner = transport_for(replay)
        self.tokens: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tokens.append(request.headers["authorization"])
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response


def call(replay: Replay, provider: Any, *, stream: bool, **options: Any) -> tuple[Any, list[str]]:
    transport = Recording(replay)

    async def go() -> Any:
        async with httpx.AsyncClient(transport=transport) as http:
            client = GatewayClient("https://gw.invalid/", provider, http_client=http, **options)
            messages = [{"role": "user", "content": "hi"}]
            if stream:
                return [chunk async for chunk in client.chat_stream(messages, "m")]
            return await client.chat(messages, "m")

    try:
        return replay.clock.run(go), transport.tokens
    except Exception as exc:
        return exc, transport.tokens


HELLO = {"reply": {"parts": [{"text": "Hello"}], "usage": {"input": 3, "output": 1}}}


def test_refresh_calls_an_async_provider_again_and_sends_the_new_token() -> None:
    issued: list[str] = []

    async def provider() -> str:
        issued.append(f"jwt-{len(issued) + 1}")
        return issued[-1]

    replay = replay_for({"error": {"status": 401}}, HELLO, stream=False)
    result, sent = call(replay, provider, stream=False)
    assert result.content == "Hello" and result.usage.prompt_tokens == 3
    assert issued == ["jwt-1", "jwt-2"]
    assert sent == ["Bearer jwt-1", "Bearer jwt-2"]


def test_refused_twice_raises_auth_error_with_the_detail() -> None:
    replay = replay_for({"error": {"status": 401}}, {"error": {"status": 401}}, HELLO)
    error, sent = call(replay, lambda: "static", stream=True)
    assert isinstance(error, client_module.AuthError)
    assert (error.status_code, error.detail) == (401, "Token expired")
    assert sent == ["Bearer static", "Bearer static"]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(404, "ModelNotFound"), (502, "UpstreamError"), (403, "AuthError"), (400, "GatewayError")],
)
def test_final_statuses_raise_their_typed_error_at_once(status: int, error_class: str) -> None:
    error, sent = call(replay_for({"error": {"status": status}}, HELLO), lambda: "t", stream=True)
    assert type(error).__name__ == error_class
    assert error.status_code == status and error.detail
    assert len(sent) == 1


def test_rate_limited_carries_retry_after() -> None:
    replay = replay_for({"error": {"status": 429, "retry_after": 7}}, HELLO, stream=False)
    error, _ = call(replay, lambda: "t", stream=False, max_retries=0)
    assert isinstance(error, client_module.RateLimited)
    assert error.retry_after == 7


def test_stream_error_payload_keeps_code_and_detail() -> None:
    payload = {"error": "upstream_error", "detail": "Provider returned HTTP 500"}
    reply = {"reply": {"parts": [{"text": "Hel"}], "fault": {"error_payload": payload}}}
    error, _ = call(replay_for(reply), lambda: "t", stream=True)
    assert isinstance(error, client_module.StreamError)
    assert (error.code, error.detail) == ("upstream_error", "Provider returned HTTP 500")


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    assert client_module._retry_after(httpx.Headers(headers)) == seconds


def test_retry_after_http_date() -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    got = client_module._retry_after(httpx.Headers({"retry-after": date}))
    assert got is not None and 28 < got <= 30


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((b"data: a\r", b"\n\r\n", b"data:b\n\n"), ["a", "b"]),
        ((b": ping\n\n", b"event: x\ndata: 1\ndata: 2\n\n"), ["1\n2"]),
        ((b'data: {"t":"a\xe2\x80\xa8b"}\n\n',), ['{"t":"a\u2028b"}']),
        ((b"data: \xc3", b"\xa9\n\n", b"data: cut"), ["é"]),
        ((b"data: one\rdata: two\r\r",), ["one\ntwo"]),
    ],
)
def test_sse_parser(parts: tuple[bytes, ...], expected: list[str]) -> None:
    async def collect() -> list[str]:
        return [d async for d in client_module._sse_data(_chunks(*parts))]

    assert asyncio.run(collect()) == expected


def test_own_http_client_is_closed() -> None:
    async def go() -> bool:
        async with GatewayClient("https://gw.invalid", lambda: "t") as client:
            http = client._http
        return bool(http.is_closed)

    assert asyncio.run(go())


def test_an_example_imports_without_touching_sys_path(tmp_path: Path) -> None:
    """Outside the checkout (``examples`` not importable) the example is found by location."""
    code = (
        "import sys\n"
        "import harness.drivers._examples as e\n"
        "sys.path[:] = [p for p in sys.path if p not in ('', '.', str(e.CHECKOUT))]\n"
        "before = list(sys.path)\n"
        "module = e.import_example('gateway_client.client')\n"
        "assert sys.path == before, 'sys.path was edited'\n"
        "print(module.__name__, module.__file__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    name, file = out.stdout.split()
    assert name == "examples.gateway_client.client"
    assert Path(file) == ROOT / "examples" / "gateway_client" / "client.py"
