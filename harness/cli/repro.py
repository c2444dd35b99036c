"""``harness repro``: a failing cell as a standalone reproducer and bug report (see
:mod:`harness.report.repro_files`), for one scenario or every failing one of a driver."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_command"]


def add_command(sub: Any) -> None:
    """Add ``repro`` to the ``harness`` sub-command parser."""
    rp = sub.add_parser(
        "repro",
        help="write a failing cell as a standalone reproducer and bug report",
        description="Write <driver>--<scenario>.py, which needs only the adapter's library "
        "(not harness) and fails with the finding's message, and <driver>--<scenario>.md, a "
        "bug report for the library's tracker.",
    )
    rp.add_argument("--driver", required=True, help="a built-in driver that declares a recipe")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("--scenario", type=Path, help="a scenario file or a bundled id")
    which.add_argument("--all-failing", action="store_true", help="every failing bundled scenario")
    rp.add_argument("--scenarios", type=Path, action="append", help="with --all-failing")
    rp.add_argument("--out", type=Path, default=Path("repro"), help="folder (default: repro/)")
    from harness.transport.budget import add_budget_arguments

    add_budget_arguments(rp)
    rp.set_defaults(func=_cmd_repro)


def _cmd_repro(args: argparse.Namespace) -> int:
    from harness.cli.app import _scenario_path
    from harness.drivers.base import get_driver
    from harness.matrix.envs import run_in_environment
    from harness.report.repro_files import failing_cells, write_cell
    from harness.scenario.bundled import default_scenario_paths
    from harness.scenario.load import load_scenario, load_scenarios
    from harness.transport.budget import budget_from

    path = _scenario_path(args.scenario) if args.scenario is not None else None
    in_env = run_in_environment(args.driver, args.argv)  # the matrix's adapter versions
    if in_env is not None:
        return in_env
    driver = get_driver(args.driver)
    if path is not None:
        budget = budget_from(args.wall_budget, args.virtual_budget)
        done = write_cell(driver, load_scenario(path), args.out, budget)
        print(f"{done.script}\n{done.report}\nfails with: AssertionError: {done.message}")
        return 0
    scenarios = load_scenarios(args.scenarios or default_scenario_paths())
    budget = budget_from(args.wall_budget, args.virtual_budget)
    written, skipped = failing_cells(driver, scenarios, args.out, budget)
    for done in written:
        print(f"{done.script}  [{', '.join(done.codes)}]")
    for why in skipped:
        print(f"not written: {why}")
    print(f"{len(written)} reproducer(s) in {args.out}/; {len(skipped)} failing cell(s) not")
    return 0
