"""One driver's share of a matrix, run in its own process; results on a channel of their own.

Each driver runs in a process of its own because adapters patch process-wide state
(litellm caches clients, some providers patch litellm functions): this one, or a child of its
environment's warm worker running :func:`serve` (:mod:`harness.matrix.warm_worker`)::

    python -m harness.matrix.worker --driver NAME --results-fd FD [--scenario ID]... PATH...

Results travel as JSON lines on the file descriptor ``--results-fd`` (a pipe the matrix
opened), never on stdout or stderr: whatever an adapter prints there cannot corrupt them.
Before each cell the worker says which one it starts (``{"start": ...}``), after it the cell
(``{"cell": ...}``), so when the process dies the matrix knows which cell it lost and runs
the rest in a new worker (:mod:`harness.matrix.run`).

Every cell runs within its budget (:mod:`harness.transport.budget`); after a cell ended as
``adapter-hung`` the worker stops, and the matrix starts a fresh one for the rest. As a
last resort against code that cannot be interrupted (stuck in C), ``faulthandler`` ends
the process ``HARD_STOP_GRACE`` seconds after the wall budget, writing every thread's stack to
``--hang-dump``: the matrix reports the cell as ``adapter-hung`` with that stack.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from harness.drivers.base import get_driver, install_hint, missing_requirements
from harness.run.cell import Cell, cell_from_run, error_cell
from harness.scenario.load import load_scenarios
from harness.scenario.model import Scenario
from harness.transport.budget import Budget
from harness.vocab.codes import Code

__all__ = ["HARD_STOP_GRACE", "main", "run_cells", "serve"]

HARD_STOP_GRACE = 10.0
"""Seconds after a cell's wall budget before the worker process is ended from outside the
interpreter (the budget itself could not end the cell)."""


def run_cells(
    driver_name: str,
    scenarios: Sequence[Scenario],
    *,
    rechunk: bool = False,
    budget: Budget | None = None,
    on_start: Callable[[Scenario, str], None] | None = None,
) -> Iterator[Cell]:
    """Yield one cell per scenario; what keeps harness from running one is an ``error`` cell.
    ``rechunk`` adds invariant 5 (each body re-split and re-run, see harness.run.rechunk).
    ``on_start(scenario, dialect)`` is called before each cell runs."""
    from harness.run.runner import run_scenario

    driver = get_driver(driver_name)
    missing = missing_requirements(driver)
    for scenario in scenarios:
        base = (driver_name, scenario.id, driver.dialect)
        if missing:
            yield error_cell(
                *base,
                Code.SETUP_NOT_INSTALLED,
                f"not installed: {', '.join(missing)} ({install_hint(driver.extra)})",
                source=scenario.where(),
            )
            continue
        if on_start is not None:
            on_start(scenario, driver.dialect)
        try:
            run = run_scenario(scenario, driver, budget=budget)
            if rechunk and run.setup is None and run.hung is None:
                from harness.run.rechunk import rechunk_check

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
            yield error_cell(
                *base,
                Code.SETUP_HARNESS_ERROR,
                f"harness error: {type(exc).__name__}: {exc}"[:300] + "\n" + "".join(tb[-6:]),
                source=scenario.where(),
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.matrix.worker")
    parser.add_argument("--driver", required=True)
    parser.add_argument("--rechunk", action="store_true")
    parser.add_argument("--results-fd", type=int, help="where results go (default: stdout)")
    parser.add_argument("--scenario", action="append", help="only this scenario id")
    parser.add_argument("--wall-budget", type=float, default=None)
    parser.add_argument("--virtual-budget", type=float, default=None)
    parser.add_argument("--hang-dump", help="file for the stacks of a hard stop")
    parser.add_argument(
        "--hard-stop", type=float, default=None, help="seconds into a cell (default: wall + grace)"
    )
    parser.add_argument("--import", dest="imports", action="append", default=[])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    out: IO[str] = (
        os.fdopen(args.results_fd, "w", encoding="utf-8", closefd=True)
        if args.results_fd is not None
        else os.fdopen(os.dup(1), "w", encoding="utf-8")
    )
    for module in args.imports:  # modules that register drivers (harness.drivers.base.register)
        __import__(module)
    budget = Budget(
        **{
            k: v
            for k, v in (
                ("wall_seconds", args.wall_budget),
                ("virtual_seconds", args.virtual_budget),
            )
            if v is not None
        }
    )
    scenarios = load_scenarios(args.paths)
    if args.scenario:
        wanted = set(args.scenario)
        scenarios = [s for s in scenarios if s.id in wanted]
    hard_stop = args.hard_stop or budget.wall_seconds + HARD_STOP_GRACE
    dump = open(args.hang_dump, "w", encoding="utf-8") if args.hang_dump else None  # noqa: SIM115
    return serve(
        args.driver,
        scenarios,
        out,
        rechunk=args.rechunk,
        budget=budget,
        hard_stop=hard_stop,
        dump=dump,
    )


def serve(
    driver: str,
    scenarios: Sequence[Scenario],
    out: IO[str],
    *,
    rechunk: bool,
    budget: Budget,
    hard_stop: float,
    dump: IO[str] | None,
) -> int:
    """Run ``driver``'s cells, sending ``{"start": ...}`` and ``{"cell": ...}`` lines on
    ``out`` (closed at the end); with ``dump``, a cell still running ``hard_stop`` seconds
    in ends the process, its stacks written there. Also what a child of the warm worker
    (:mod:`harness.matrix.warm_worker`) runs."""

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    def on_start(scenario: Scenario, dialect: str) -> None:
        send({"start": scenario.id, "dialect": dialect, "source": scenario.where()})
        if dump is not None:
            faulthandler.dump_traceback_later(hard_stop, exit=True, file=dump)

    for cell in run_cells(driver, scenarios, rechunk=rechunk, budget=budget, on_start=on_start):
        faulthandler.cancel_dump_traceback_later()
        out.write('{"cell": ' + cell.model_dump_json() + "}\n")  # pydantic-core's encoder
        out.flush()
        if Code.ADAPTER_HUNG in cell.codes():
            # whatever the ended adapter left behind (threads, patches) must not reach the
            # next cells: the matrix runs them in a fresh worker
            break
    out.close()
    return 0


if __name__ == "__main__":
    code = main()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    # threads an adapter left running (a busy executor thread of a hung cell) must not keep
    # the process alive: the results are written, nothing else is owed
    os._exit(code)
