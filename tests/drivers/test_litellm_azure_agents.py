"""The three litellm Azure AI Agents drivers: registry, n/a reasons and call arguments (no
adapter needed), then the REAL handler end to end through the runner, the azure-agents
dialect and the replay transport (``adapters`` marker; skipped without litellm).

The end-to-end tests pin what litellm 1.82.5 does, findings included: they check that the
harness reports the handler's behaviour correctly, not that the handler is right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from harness.drivers.base import DriverContext, get_driver
from harness.drivers.litellm_azure_agents import API_BASE_PATH, agent_kwargs
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.vocab.events import ErrorEvent, FinishEvent, TextEvent, UsageEvent
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DRIVERS = ["litellm-azure-agents", "litellm-azure-agents-async", "litellm-azure-agents-stream"]
POLLED = DRIVERS[:2]
STREAM = DRIVERS[2]
needs_litellm = pytest.mark.skipif(
    importlib.util.find_spec("litellm") is None, reason="litellm is not installed"
)


def run(name: str, driver: str) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(driver))


def codes(result: Run) -> set[str]:
    return {f.code for f in result.findings}


# --------------------------------------------------------------------------- no adapter


def test_registered_and_lazy() -> None:
    for name in DRIVERS:
        driver = get_driver(name)
        assert (driver.name, driver.dialect, driver.extra) == (name, "azure-agents", "litellm")
    assert imported_by_lookup(DRIVERS, ("litellm",)) == []


def test_modes_are_honest_about_streaming() -> None:
    polled = load_scenario(SCENARIOS / "azure-poll-text.yaml")
    streamed = load_scenario(SCENARIOS / "azure-stream-text.yaml")
    for name in POLLED:
        assert get_driver(name).supports(polled) is None
        assert "litellm-azure-agents-stream" in (get_driver(name).supports(streamed) or "")
    assert get_driver(STREAM).supports(streamed) is None
    assert "polled run" in (get_driver(STREAM).supports(polled) or "")


def test_call_arguments() -> None:
    scenario = load_scenario(SCENARIOS / "azure-existing-thread.yaml")
    ctx = DriverContext(scenario=scenario, replay=None, clock=None)  # type: ignore[arg-type]
    assert agent_kwargs(ctx) == {
        "model": "azure_ai/agents/asst_harness0001",
        "messages": [{"role": "user", "content": "And what about tomorrow?"}],
        "api_base": ctx.base_url + API_BASE_PATH,
        "api_key": ctx.api_key,
        "thread_id": "thread_existing0000000001",
    }


# --------------------------------------------------------------------------- the real handler


@pytest.mark.adapters
@needs_litellm
def test_seam_is_undone() -> None:
    from harness.drivers import litellm_hygiene as _litellm_env

    litellm = _litellm_env.load_litellm()
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

    before = AsyncHTTPHandler.__dict__["_create_async_transport"]
    had_sync = "sync_transport" in vars(litellm)
    with _litellm_env.serving_handlers(object()):
        assert AsyncHTTPHandler._create_async_transport() is not None
        assert litellm.sync_transport is not None
    assert AsyncHTTPHandler.__dict__["_create_async_transport"] is before
    assert ("sync_transport" in vars(litellm)) == had_sync
    run("azure-poll-text", "litellm-azure-agents")
    assert AsyncHTTPHandler.__dict__["_create_async_transport"] is before


@pytest.mark.adapters
@needs_litellm
@pytest.mark.parametrize("driver", POLLED)
def test_polled_flow(driver: str) -> None:
    result = run("azure-poll-text", driver)
    assert result.transcript is not None
    events = result.transcript.events
    assert events[0] == TextEvent(text="Hello! Nice to meet you.")
    assert events[-1] == FinishEvent(reason="stop", raw="stop")
    flow = [(r.method, r.path.rsplit("/", 1)[-1]) for r in result.transcript.requests]
    assert [m for m, _ in flow] == ["POST", "POST", "POST", "GET", "GET", "GET", "GET"]
    assert flow[0][1] == "threads" and flow[-1][1] == "messages"
    assert all(r.exchange is not None for r in result.transcript.requests)
    assert result.transcript.virtual_seconds >= 2  # two in_progress polls, 1 s apart
    # the handler estimates usage with a tokenizer instead of reading the run's usage
    (usage,) = [e for e in events if isinstance(e, UsageEvent)]
    assert (usage.input, usage.output) != (66, 9)
    assert "usage-wrong" in codes(result)


@pytest.mark.adapters
@needs_litellm
@pytest.mark.parametrize("driver", POLLED)
def test_thirty_polls_wait_on_the_virtual_clock_only(
    driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.transport.clock

    real: list[float] = []
    monkeypatch.setattr(harness.transport.clock, "_real_sleep", real.append)
    result = run("azure-poll-30", driver)
    assert result.transcript is not None
    assert len(result.transcript.requests) == 35
    assert result.transcript.text() == "Hello! Nice to meet you."
    assert result.transcript.virtual_seconds >= 30
    assert set(real) <= {0}, "a poll slept for real in the adapter's thread"


@pytest.mark.adapters
@needs_litellm
@pytest.mark.parametrize(
    ("scenario", "finding"),
    [
        ("azure-poll-requires-action", "tool-call-dropped"),  # polls past requires_action
        ("azure-existing-thread", "request-mismatch"),  # thread_id kwarg lands in extra_body
        ("azure-api-version", "request-mismatch"),  # api_version kwarg ignored
        ("azure-run-expired", "error-kind-mismatch"),  # expired -> 500 server error
        ("azure-429-run-creation", "retry-missing"),  # RateLimitError, no retry
    ],
)
@pytest.mark.parametrize("driver", POLLED)
def test_polled_findings(driver: str, scenario: str, finding: str) -> None:
    result = run(scenario, driver)
    assert result.status == "fail" and finding in codes(result)


@pytest.mark.adapters
@needs_litellm
def test_polled_failed_runs_are_typed_errors() -> None:
    result = run("azure-run-failed", "litellm-azure-agents-async")
    assert result.status == "pass"
    result = run("azure-run-failed-rate-limit", "litellm-azure-agents")
    assert result.transcript is not None
    (error,) = result.transcript.events
    assert isinstance(error, ErrorEvent) and error.error == "rate_limit" and not error.leaked


@pytest.mark.adapters
@needs_litellm
def test_stream_text() -> None:
    result = run("azure-stream-text", STREAM)
    assert result.status == "pass", [f.render() for f in result.findings]
    assert result.transcript is not None
    texts = [e for e in result.transcript.events if isinstance(e, TextEvent)]
    assert len(texts) == 12  # one chunk per thread.message.delta
    assert [r.path for r in result.transcript.requests] == [API_BASE_PATH + "/threads/runs"]


@pytest.mark.adapters
@needs_litellm
@pytest.mark.parametrize(
    ("scenario", "finding"),
    [
        ("azure-stream-tool-call", "tool-call-dropped"),
        ("azure-stream-run-failed", "failed-run-reported-as-success"),
        ("azure-stream-usage", "usage-missing"),
        ("azure-existing-thread-stream", "request-mismatch"),
        ("retry-429-seconds", "retry-missing"),  # raises the 429 it gave up on
        ("fault-stream-stall", "adapter-hung"),  # no read timeout: it would wait forever
    ],
)
def test_stream_findings(scenario: str, finding: str) -> None:
    result = run(scenario, STREAM)
    assert result.status == "fail" and finding in codes(result)


@pytest.mark.adapters
@needs_litellm
def test_stream_http_error_leaks_and_stream_left_open() -> None:
    result = run("fault-http-400", STREAM)
    assert result.transcript is not None
    (error,) = result.transcript.events
    assert isinstance(error, ErrorEvent)
    assert (error.type, error.status, error.leaked) == ("httpx.HTTPStatusError", 400, True)
    result = run("azure-stream-text", STREAM)
    assert "stream-not-closed" in codes(result)  # returns at [DONE] without closing


@pytest.mark.adapters
@needs_litellm
def test_replay_is_independent_of_earlier_runs() -> None:
    """A client cached by one run never serves the next (the cache is flushed per run)."""
    first = run("azure-stream-text", STREAM)
    second = run("azure-stream-text", STREAM)
    assert first.transcript is not None and second.transcript is not None
    assert first.transcript.events == second.transcript.events
