"""The runner: cells that always end (budgets, adapter-hung), time that is purely virtual, and
setup errors told apart from findings. The adapters are in tests/runtime_drivers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.transport.budget import Budget
from tests.runtime_drivers import driver

ROOT = Path(__file__).resolve().parents[2]
SHORT = Budget(virtual_seconds=120, wall_seconds=1.0)
"""A wall budget short enough for tests (the default is 60 s); outcomes, never times, are
asserted."""


def run(kind: str, scenario: str = "text-plain", budget: Budget = SHORT, **options: object) -> Run:
    return run_scenario(
        load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"),
        driver(kind, **options),
        budget=budget,
    )


def codes(result: Run) -> list[str]:
    return [f.code for f in result.findings]


# --------------------------------------------------------------------------- budgets


@pytest.mark.parametrize(
    ("kind", "budget", "line"),
    [
        ("busy-loop", "wall", "while True:"),
        ("never-set", "wall", "create_future()"),
        ("sleep-loop", "virtual", "await asyncio.sleep(1)"),
        ("ignores-cancel", "virtual", "await asyncio.sleep(1)"),
        ("sync-sleep-loop", "virtual", "time.sleep(1)"),
    ],
)
def test_a_driver_that_never_returns_ends_as_adapter_hung_with_its_stack(
    kind: str, budget: str, line: str
) -> None:
    result = run(kind)
    assert result.status == "fail"
    assert codes(result) == ["adapter-hung"]  # one root cause: nothing that follows from it
    finding = result.findings[0]
    assert f"{budget} budget" in finding.message
    assert "runtime_drivers.py" in finding.where and line in finding.where
    assert isinstance(finding.actual, list) and finding.actual[-1] == finding.where
    if budget == "virtual":
        assert result.transcript is not None and result.transcript.virtual_seconds == 120


def test_the_next_cell_runs_after_a_hung_one() -> None:
    assert run("busy-loop").status == "fail"
    assert run("honest").status == "pass"


def test_an_endless_virtual_sleep_ends_within_the_default_budget() -> None:
    result = run("sleep-loop", budget=Budget())
    assert codes(result) == ["adapter-hung"]
    assert result.transcript is not None and result.transcript.virtual_seconds == 3600


def test_a_stall_the_client_would_wait_out_forever_is_adapter_hung() -> None:
    """No read timeout on a stalled stream: a real call never returns. The replay ends it at
    once, and the cell says so, rather than charging the adapter with the replay's error."""
    result = run("honest", "fault-stream-stall", timeout=None)
    assert codes(result) == ["adapter-hung"]
    finding = result.findings[0]
    assert "would wait forever" in finding.message and "no read timeout" in finding.message
    assert isinstance(finding.actual, list) and finding.actual[-1] == finding.where
    assert any("runtime_drivers.py" in frame for frame in finding.actual)
    assert "/harness/transport/" not in finding.where
    assert "adapter-hung" not in codes(run("honest", "fault-stream-stall"))  # timeout=30


def test_budgets_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Budget(wall_seconds=0)


# --------------------------------------------------------------------------- virtual time


@pytest.mark.parametrize("scenario", ["retry-500", "retry-503-repeated", "retry-429-seconds"])
def test_cpu_work_between_attempts_changes_no_wait_and_no_verdict(scenario: str) -> None:
    """Real CPU time never shows on the clock: 0 ms and 500 ms of busy work between attempts
    give the same waits and the same findings."""
    fast = run("honest", scenario, budget=Budget(), cpu_ms=0)
    slow = run("honest", scenario, budget=Budget(), cpu_ms=500)
    assert fast.transcript is not None and slow.transcript is not None
    assert fast.transcript.waits() == slow.transcript.waits()
    assert fast.status == slow.status
    assert codes(fast) == codes(slow)
    assert fast.transcript.virtual_seconds == slow.transcript.virtual_seconds


def test_an_adapter_without_backoff_is_flagged_however_slow_the_machine() -> None:
    assert "retry-without-backoff" in codes(run("honest", "retry-500", Budget(), cpu_ms=500))
    assert "retry-without-backoff" not in codes(run("honest", "retry-500", backoff=1.0))


def test_virtual_time_starts_at_zero_whatever_the_set_up_cost() -> None:
    """Import and set-up time are real time: the first request is at t=0."""
    result = run("honest", "retry-429-seconds", Budget(), cpu_ms=300)
    assert result.transcript is not None
    assert result.transcript.requests[0].at == 0.0


# --------------------------------------------------------------------------- setup errors


def test_a_client_with_its_own_transport_is_a_setup_error_not_a_finding() -> None:
    result = run("own-transport")
    assert result.status == "error"
    assert result.setup is not None and result.setup.code == "setup-own-transport"
    assert "passes its own transport (tests.runtime_drivers.OwnSocketTransport)" in (
        result.setup.message
    )
    assert "ctx.transport()" in result.setup.message
    assert result.findings == []  # never charged to the adapter
    assert result.reason().startswith("setup-own-transport: ")


def test_a_client_with_its_own_http_transport_is_served() -> None:
    """Socket options (as anthropic and langchain-openai pass) keep httpx's HTTPTransport,
    whose network method harness serves: the cell simply runs."""
    result = run("served-own-transport")
    assert result.setup is None and result.status == "pass"
    assert result.transcript is not None and result.transcript.requests[0].exchange == 0


def test_a_connection_blocked_after_a_served_exchange_stays_a_finding() -> None:
    """The replay did serve this adapter: reaching past it afterwards is the adapter's doing."""
    result = run("leaks-after-served")
    assert result.setup is None and result.status == "fail"
    assert "request-mismatch" in codes(result)


def test_a_client_cached_from_an_earlier_cell_is_a_setup_error() -> None:
    assert run("cached-client").status == "pass"  # the cell that built it is served
    result = run("cached-client")
    assert result.status == "error"
    assert result.setup is not None and result.setup.code == "setup-stale-client"
    assert "built before the test" in result.setup.message
    assert result.findings == []


def test_a_driver_wrapper_that_raises_is_a_setup_error() -> None:
    from harness.plugin.declare import conformance

    @conformance("openai-chat", name="rt-broken-normalizer", normalize=lambda item: item.nope)
    async def broken(request: object, ctx: object) -> object:
        yield {"choices": []}

    result = run_scenario(
        load_scenario(ROOT / "scenarios" / "text-plain.yaml"), broken.drivers()[0], budget=SHORT
    )
    assert result.status == "error"
    assert result.setup is not None and result.setup.code == "setup-driver-error"
    assert "AttributeError" in result.setup.message


def test_every_setup_code_and_adapter_hung_are_in_the_catalogue() -> None:
    from harness.checks.catalogue import CATALOGUE
    from harness.checks.setup_entries import SETUP_ENTRIES

    for code, *_ in SETUP_ENTRIES:
        assert code in CATALOGUE
        assert CATALOGUE[code].advice


@pytest.mark.parametrize("kind", ["busy-loop", "never-set"])
def test_the_wall_budget_ends_a_cell_run_outside_the_main_thread(kind: str) -> None:
    """No signal reaches another thread: the exception is set on the thread itself."""
    import threading

    results: list[Run] = []
    thread = threading.Thread(target=lambda: results.append(run(kind)))
    thread.start()
    thread.join()
    (result,) = results
    assert codes(result) == ["adapter-hung"]
    assert "runtime_drivers.py" in result.findings[0].where


def test_a_hung_cell_leaves_no_replay_behind_for_later_clients() -> None:
    """The adapter ignored its cancellation, so its ``with serving(...)`` never exited: the
    runner undoes the patch, or every later client would talk to this cell's replay."""
    import httpx

    assert codes(run("ignores-cancel")) == ["adapter-hung"]
    assert type(httpx.AsyncClient()._transport).__name__ == "AsyncHTTPTransport"
    assert type(httpx.Client()._transport).__name__ == "HTTPTransport"
    for method in (httpx.HTTPTransport.handle_request, httpx.HTTPTransport.__init__):
        assert method.__module__ == "httpx._transports.default"  # own transports too
    assert httpx.AsyncHTTPTransport.handle_async_request.__module__ == "httpx._transports.default"
