"""Scripts compiled once per dialect (a matrix's warm worker, before it forks its drivers)
are the scripts each run would compile for itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.dialects.compiled import compiled, precompile
from harness.scenario.load import load_scenario
from harness.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[2]


def _scenario(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


def test_a_precompiled_scenario_is_served_its_kept_script() -> None:
    dialect = get_dialect("openai-chat")
    scenario = _scenario("text-plain")
    precompile(dialect, [scenario])
    first = compiled(dialect, scenario)
    assert compiled(dialect, scenario) is first
    assert first == dialect.synthesize(scenario)


def test_an_equal_scenario_of_another_object_is_compiled_for_itself() -> None:
    dialect = get_dialect("openai-chat")
    kept, other = _scenario("text-plain"), _scenario("text-plain")
    precompile(dialect, [kept])
    assert compiled(dialect, other) is not compiled(dialect, kept)
    assert compiled(dialect, other) == compiled(dialect, kept)


def test_a_scenario_the_dialect_cannot_say_is_not_kept_and_still_refused() -> None:
    dialect = get_dialect("openai-chat")
    scenario = _scenario("azure-429-run-creation")  # limited to azure-agents
    assert dialect.supports(scenario) is not None
    precompile(dialect, [scenario])
    with pytest.raises(ValueError, match="cannot synthesize"):
        compiled(dialect, scenario)
