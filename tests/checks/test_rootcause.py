"""One root cause per cell: a retrying adapter that outlives the script gets one finding with
the count, the times and the first refused request; declared re-sends are served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from harness.checks import CheckResult
from harness.checks.rootcause import settle
from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract, RetryRules
from harness.plugin.declare import conformance
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Request
from harness.vocab.events import Event, FinishEvent, TextEvent
from harness.vocab.findings import Finding

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


class GaveUp(Exception):
    pass


def persistent(contract: Contract | None = None) -> Any:
    """Re-sends up to 30 times whatever went wrong (an empty reply, a connection error)."""

    async def adapter(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        async with httpx.AsyncClient(base_url=ctx.base_url + "/v1") as http:
            for _ in range(30):
                try:
                    response = await http.post("/chat/completions", json={"stream": True})
                except (httpx.HTTPError, AssertionError):  # the replay refused it (ReplayMiss)
                    continue
                if b"content" in response.content:
                    yield TextEvent(text="?")
                    yield FinishEvent(reason="stop", raw="stop")
                    return
            raise GaveUp("30 attempts")

    return conformance("openai-chat", name="persistent", contract=contract)(adapter)


def run(contract: Contract | None = None) -> Run:
    driver = persistent(contract).drivers()[0]
    return run_scenario(load_scenario(SCENARIOS / "fault-empty-stream.yaml"), driver)


def test_requests_past_the_script_are_one_root_finding() -> None:
    result = run()
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors[0].code == "extra-requests"
    assert result.reason().startswith("extra-requests: the adapter sent 29 request(s)")
    actual = errors[0].actual
    assert isinstance(actual, dict) and actual["extra"] == 29 and len(actual["at_s"]) == 29
    assert "Unexpected extra request POST" in actual["first"]
    # what the adapter raised after the refusals (GaveUp, unknown) is not reported
    assert {f.code for f in errors} == {"extra-requests"}
    codes = [f.code for f in result.findings]
    assert len(codes) == len(set(codes))


def test_declared_resends_are_served_and_the_final_outcome_judged() -> None:
    result = run(Contract(retry=RetryRules(empty_reply=29)))
    assert result.transcript is not None
    assert [r.exchange for r in result.transcript.requests] == [0] * 30
    # no request was refused: the finding is about what the adapter finally did
    assert [f.code for f in result.findings if f.severity == "error"] == ["error-kind-mismatch"]


def finding(code: str, check: str, where: str = "") -> Finding:
    return Finding(code=code, check=check, message=f"{code} at {where}", where=where)


def test_identical_findings_collapse_into_one_with_a_count() -> None:
    result = run()
    results = [
        CheckResult("expectations", [finding("retry-after-ignored", "expectations")]),
        CheckResult(
            "invariant:retries",
            [finding("retry-after-ignored", "invariant:retries", f"attempt {i}") for i in (1, 2)],
        ),
    ]
    result.misses = []
    settled = [f for r in settle(result, results) for f in r.findings]
    assert len(settled) == 1
    (only,) = settled
    assert only.count == 3 and only.where == "attempt 1"  # the invariant names the attempt
    assert "(x3)" in only.render()


def test_codes_the_contract_accepts_are_left_out() -> None:
    result = run(Contract(accepts=frozenset({"stream-not-closed"})))
    results = [CheckResult("invariant:replay", [finding("stream-not-closed", "invariant:replay")])]
    result.misses = []
    assert [f for r in settle(result, results) for f in r.findings] == []
