"""One driver's share of a matrix, run in its own process: one JSON cell per line on stdout.

Each driver runs in a process of its own because adapters patch process-wide state
(litellm caches clients, some providers patch litellm functions): ``python -m harness.worker
--driver NAME SCENARIO...``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Iterator, Sequence

from harness.cell import Cell, cell_from_run
from harness.drivers.base import get_driver, install_hint, missing_requirements
from harness.loader import load_scenarios
from harness.scenario import Scenario

__all__ = ["main", "run_cells"]


def run_cells(
    driver_name: str, scenarios: Sequence[Scenario], *, rechunk: bool = False
) -> Iterator[Cell]:
    """Yield one cell per scenario; harness's own failures become ``error`` cells.
    ``rechunk`` adds invariant 5 (each body re-split and re-run, see harness.checks.rechunk)."""
    from harness.runner import run_scenario

    driver = get_driver(driver_name)
    missing = missing_requirements(driver)
    for scenario in scenarios:
        base = {"driver": driver_name, "scenario": scenario.id, "dialect": driver.dialect}
        if missing:
            yield Cell(
                **base,
                status="error",
                reason=f"not installed: {', '.join(missing)} ({install_hint(driver.extra)})",
                source=scenario.where(),
            )
            continue
        try:
            run = run_scenario(scenario, driver)
            if rechunk:
                from harness.checks.rechunk import rechunk_check

                run.checks.append(rechunk_check(run, driver))
            cell = cell_from_run(run)
            # the spelling the user gave (a name, module:attr, conftest.py::name) keys the cell
            yield (
                cell
                if cell.driver == driver_name
                else cell.model_copy(update={"driver": driver_name})
            )
        except Exception as exc:  # a harness bug must not hide the other cells
            tb = traceback.format_exception(exc)
            yield Cell(
                **base,
                status="error",
                reason=f"harness error: {type(exc).__name__}: {exc}"[:300],
                source=scenario.where() + "\n" + "".join(tb[-6:]),
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.worker")
    parser.add_argument("--driver", required=True)
    parser.add_argument("--rechunk", action="store_true")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    scenarios = load_scenarios(args.paths)
    for cell in run_cells(args.driver, scenarios, rechunk=args.rechunk):
        sys.stdout.write(cell.model_dump_json() + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
