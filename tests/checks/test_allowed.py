"""Outcomes a declared contract also allows: a larger declared retry budget is judged by the
reply it reaches; the protocol default still holds for an adapter that declares nothing."""

from __future__ import annotations

from pathlib import Path

from harness.checks.allowed import declared_budget, same_kind
from harness.drivers.contract import Contract, RetryRules
from harness.scenario.load import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_a_declared_budget_reaches_the_reply_after_the_default_budget() -> None:
    scenario = load_scenario(SCENARIOS / "retry-429-budget-3.yaml")
    judged = declared_budget(scenario, Contract(retry=RetryRules(max_attempts=4)))
    assert judged.expect.error is None
    assert judged.expect.text == "Hello! Nice to meet you."
    assert judged.expect.requests == 4


def test_without_a_declared_budget_the_protocol_default_holds() -> None:
    scenario = load_scenario(SCENARIOS / "retry-429-budget-3.yaml")
    assert declared_budget(scenario, Contract()) is scenario
    assert declared_budget(scenario, Contract(retry=RetryRules(max_attempts=3))) is scenario
    # a contract that does not retry 429 gives up at the first one: no reply to reach
    no_429 = Contract(retry=RetryRules(statuses={503}, max_attempts=4))
    assert declared_budget(scenario, no_429) is scenario


def test_only_a_status_without_a_kind_leaves_the_kind_to_the_adapter() -> None:
    assert same_kind("unknown", "server")
    assert same_kind("rate_limit", "rate_limit")
    assert not same_kind("rate_limit", "server")
