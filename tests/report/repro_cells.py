"""Writes a driver's reproducers for tests/report/test_repro_standalone.py, run with the
Python of the driver's environment (``python -m tests.report.repro_cells ...`` from the
checkout), as the matrix runs a driver that has an environment of its own; prints JSON.

- ``failing DRIVER OUT``: every failing bundled cell's reproducer, ``{"written":
  [[script, message], ...], "skipped": [why, ...]}``;
- ``claims DRIVER OUT SCENARIO...``: each passing cell written with its scenario's
  expectations as the assertions (a correct reply meets them all), ``{"written": [[script,
  null], ...], "skipped": [why, ...]}``; a scenario the driver does not run is left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.drivers.base import Driver, get_driver
from harness.report.repro_files import failing_cells, recipe_of
from harness.report.reproducer import Reproducer, asserted_findings, reproducer_source
from harness.run.runner import run_scenario
from harness.scenario.bundled import default_scenario_paths, scenario_file
from harness.scenario.load import load_scenario, load_scenarios
from harness.scenario.model import Scenario
from harness.transport.budget import Budget
from harness.transport.hosts import base_url_for
from harness.vocab.codes import Code
from harness.vocab.findings import Finding

BUDGET = Budget(wall_seconds=600.0)
"""A loaded machine may take long over a first import: the cells' wall budget is generous."""


def claims(scenario: Scenario, driver: Driver) -> list[Finding]:
    """Findings stating the scenario's expectations (a correct reply meets them all); usage
    only from a driver whose contract says its library reports it."""
    want = scenario.expect
    stated: list[tuple[str, Any]] = []
    if want.text is not None:
        stated.append((Code.TEXT_MISMATCH, want.text))
    for call in want.tool_calls or []:
        stated.append((Code.TOOL_CALL_DROPPED, {"name": call.name, "arguments": call.arguments}))
    if want.finish is not None:
        stated.append((Code.FINISH_MISMATCH, want.finish))
    if want.usage is not None and driver.contract.features.usage:
        stated.append((Code.USAGE_WRONG, want.usage.model_dump()))
    return [
        Finding(code=code, check="expectations", message=f"claim {n}: {code}", expected=value)
        for n, (code, value) in enumerate(stated)
    ]


def write_claims(driver: Driver, ids: list[str], out: Path) -> dict[str, Any]:
    written: list[list[Any]] = []
    skipped: list[str] = []
    for sid in ids:
        scenario = load_scenario(scenario_file(Path(sid)))
        if driver.supports(scenario) is not None:
            continue
        run = run_scenario(scenario, driver, budget=BUDGET)
        if run.status != "pass" or run.script is None:
            skipped.append(f"{sid} is {run.status}: {run.reason()}")
            continue
        stated = claims(scenario, driver)
        r = Reproducer(
            driver=driver.name,
            scenario=scenario.id,
            description=scenario.description,
            script=run.script,
            findings=stated,
            recipe=recipe_of(driver, scenario),
            base_url=base_url_for(run.dialect),
            versions={},
        )
        if not len(asserted_findings(stated, r.recipe)) == len(stated) >= 2:
            skipped.append(f"{sid}: the recipe cannot assert every claim")
            continue
        script = out / r.filename
        script.write_text(reproducer_source(r))
        written.append([str(script), None])
    return {"written": written, "skipped": skipped}


def write_failing(driver: Driver, out: Path) -> dict[str, Any]:
    scenarios = load_scenarios(default_scenario_paths())
    written, skipped = failing_cells(driver, scenarios, out, BUDGET)
    return {"written": [[str(w.script), w.message] for w in written], "skipped": skipped}


def main(argv: list[str]) -> int:
    command, name, out, *ids = argv
    driver = get_driver(name)
    done = write_failing(driver, Path(out)) if command == "failing" else None
    if command == "claims":
        done = write_claims(driver, ids, Path(out))
    if done is None:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
