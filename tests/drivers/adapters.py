"""Running a real adapter in a driver test: the driver when its adapter is installed (else a
skip saying how to install it), a scenario written inline, and what the adapter yielded."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from harness.drivers.base import Driver, get_driver, install_hint, missing_requirements
from harness.scenario.model import Scenario
from harness.vocab.events import Event


def installed(name: str) -> Driver:
    """Driver ``name``; the test is skipped, naming the install, when its adapter is missing."""
    driver = get_driver(name)
    missing = missing_requirements(driver)
    if missing:
        pytest.skip(f"{name} needs {missing}: {install_hint(driver.extra)}")
    return driver


def scenario_of(sid: str, request: dict[str, Any], attempts: list[Any]) -> Scenario:
    """A scenario given inline, with no expectations (the test asserts what it needs)."""
    return Scenario.model_validate(
        {"id": sid, "request": request, "attempts": attempts, "expect": {}}
    )


def events_of(name: str, scenario: Scenario) -> tuple[list[Event], int]:
    """The events driver ``name`` yielded on ``scenario`` (no checks run), and the number
    of requests it sent."""
    from harness.run.runner import run_scenario

    run = run_scenario(scenario, installed(name), checks=[])
    assert run.transcript is not None, run.na_reason
    return list(run.transcript.events), len(run.transcript.requests)


def imported_by_lookup(names: Iterable[str], modules: Sequence[str]) -> list[str]:
    """The modules named by ``modules`` (or under them) that a fresh interpreter has
    imported after looking drivers ``names`` up and reaching their ``supports``: a lookup
    must import no adapter library."""
    code = (
        "import sys\nfrom harness.drivers import get_driver\n"
        f"for name in {list(names)!r}: get_driver(name).supports\n"
        f"print(sorted(m for m in sys.modules if m.startswith({tuple(modules)!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found: list[str] = ast.literal_eval(out.stdout.strip())
    return found
