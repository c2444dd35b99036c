"""Every registered dialect keeps the dialect contract on every bundled scenario it
expresses: compile -> detect -> read back -> normalize (see ``tests/dialects/contract.py``)."""

from __future__ import annotations

import pytest

from harness.dialects import get_dialect
from harness.scenario.model import Scenario
from tests.dialects.contract import contract_cases, contract_problems

CASES = contract_cases()

KNOWN: dict[tuple[str, str], str] = {}
"""Contract breaks known and explained: strict xfails, so a fix shows up at once."""


def _marks(name: str, scenario: Scenario) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((name, scenario.id))
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


def test_every_dialect_has_cases() -> None:
    from harness.dialects import dialect_names

    assert {name for name, _ in CASES} == set(dialect_names())


@pytest.mark.parametrize(
    ("name", "scenario"),
    [pytest.param(n, s, id=f"{n}-{s.id}", marks=_marks(n, s)) for n, s in CASES],
)
def test_contract(name: str, scenario: Scenario) -> None:
    assert contract_problems(get_dialect(name), scenario) == []
