"""``harness sweep`` and ``harness bisect``: cells across the releases of one package, each
release in an environment of its own (:mod:`harness.matrix.version_envs`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]

_SWEEP_EPILOG = """\
exit status: 0 no cell changed its outcome, 1 some did, 2 bad input.
Each release is installed once into its own environment (cached under HARNESS_ENVS_DIR,
else .harness-envs/): a second sweep starts at once."""

_BISECT_EPILOG = """\
exit status: 0 the first bad release was found, 1 the good and bad releases behave the same,
2 bad input."""


def add_commands(sub: Any) -> None:
    sw = sub.add_parser(
        "sweep",
        help="the cells on several releases of a package: where each changed",
        epilog=_SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sw.add_argument("--driver", required=True, action="append", help="repeatable")
    _package_arguments(sw)
    which = sw.add_mutually_exclusive_group(required=True)
    which.add_argument("--versions", metavar="A,B,C", help="these releases")
    which.add_argument("--last", type=int, metavar="N", help="the newest N releases")
    sw.add_argument("--scenarios", type=Path, action="append", help="directory or file")
    sw.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report")
    sw.add_argument("--markdown", type=Path, metavar="PATH", help="write Markdown (an issue)")
    sw.add_argument("--html", type=Path, metavar="PATH", help="write an HTML page")
    sw.add_argument("--table", action="store_true", help="every cell, not only those that moved")
    sw.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _budget_arguments(sw)
    sw.set_defaults(func=_cmd_sweep)

    bi = sub.add_parser(
        "bisect",
        help="the first release of a package on which one cell changed, and the diff",
        epilog=_BISECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bi.add_argument("--driver", required=True)
    bi.add_argument(
        "--scenario", required=True, type=Path, help="a scenario file (or imported cassette's)"
    )
    _package_arguments(bi)
    bi.add_argument("--good", required=True, metavar="VERSION", help="a release that behaves")
    bi.add_argument("--bad", required=True, metavar="VERSION", help="a release that does not")
    bi.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _budget_arguments(bi)
    bi.set_defaults(func=_cmd_bisect)


def _package_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--package", required=True, metavar="PKG", help="e.g. litellm")
    parser.add_argument(
        "--find-links",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also releases from this folder of wheels/sdists (repeatable)",
    )
    parser.add_argument(
        "--no-index", action="store_true", help="only --find-links: nothing from the network"
    )
    parser.add_argument("--pre", action="store_true", help="include pre-releases")


def _budget_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.transport.budget import add_budget_arguments

    add_budget_arguments(parser)


def _releases(args: argparse.Namespace) -> list[str]:
    from harness.matrix.versions import available_versions

    return available_versions(
        args.package, find_links=args.find_links, no_index=args.no_index, pre=args.pre
    )


def _source(args: argparse.Namespace) -> Any:
    from harness.matrix.version_envs import Source

    return Source(tuple(args.find_links), args.no_index)


def _say(quiet: bool) -> Any:
    def say(version: str, what: str) -> None:
        if not quiet:
            print(f"harness: {version}: {what}", file=sys.stderr, flush=True)

    return say


def _cmd_sweep(args: argparse.Namespace) -> int:
    from harness.drivers.base import get_driver
    from harness.matrix.sweep import run_sweep
    from harness.matrix.versions import last, sort_versions
    from harness.report import sweep as reports
    from harness.scenario.bundled import default_scenario_paths
    from harness.scenario.load import load_scenarios
    from harness.transport.budget import budget_from

    for name in args.driver:
        get_driver(name)
    paths = args.scenarios or default_scenario_paths()
    scenarios = load_scenarios(paths)
    if args.versions:
        versions = sort_versions([v.strip() for v in args.versions.split(",") if v.strip()])
    else:
        versions = last(_releases(args), args.last)
    _say(args.quiet)(args.package, "releases " + ", ".join(versions))
    s = run_sweep(
        args.package,
        versions,
        args.driver,
        paths,
        [sc.id for sc in scenarios],
        source=_source(args),
        budget=budget_from(args.wall_budget, args.virtual_budget),
        on_version=_say(args.quiet),
    )
    for path, render in (
        (args.json, reports.sweep_json),
        (args.markdown, reports.sweep_markdown),
        (args.html, reports.sweep_html),
    ):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(s), encoding="utf-8")
    print(reports.sweep_text(s, table=args.table))
    return 1 if s.changes() else 0


def _cmd_bisect(args: argparse.Namespace) -> int:
    from harness.drivers.base import get_driver
    from harness.matrix.bisect import bisect, cell_diff
    from harness.matrix.run import run_matrix
    from harness.matrix.sweep import outcome
    from harness.matrix.version_envs import version_environment
    from harness.matrix.versions import between
    from harness.run.cell import Cell, error_cell
    from harness.scenario.bundled import scenario_file
    from harness.scenario.load import load_scenario
    from harness.transport.budget import budget_from
    from harness.vocab.codes import Code
    from harness.vocab.errors import HarnessError

    get_driver(args.driver)
    path = scenario_file(args.scenario)
    scenario = load_scenario(path)
    versions = between(_releases(args), args.good, args.bad)
    budget = budget_from(args.wall_budget, args.virtual_budget)
    say = _say(args.quiet)

    def probe(version: str) -> Cell:
        try:
            python, built = version_environment(args.package, version, _source(args))
        except HarnessError as exc:
            say(version, f"cannot be installed: {str(exc).splitlines()[0]}")
            return error_cell(args.driver, scenario.id, "", Code.SETUP_ENVIRONMENT, str(exc))
        m = run_matrix([args.driver], [path], [scenario.id], budget=budget, python=str(python))
        (cell,) = m.cells
        say(version, f"{outcome(cell)} (environment {'built' if built else 'cached'})")
        return cell

    low, high = versions[0], versions[-1]
    if args.good != low:  # the good release is the newer one: a fix, searched the same way
        versions.reverse()
    result = bisect(versions, probe)
    print(
        f"harness bisect: {args.driver} x {scenario.id} on {args.package}, "
        f"{len(versions)} releases from {args.good} (good) to {args.bad} (bad): "
        f"{len(result.runs)} run(s): {', '.join(result.runs)}"
    )
    if result.skipped:
        print(f"skipped (not installable here): {', '.join(result.skipped)}")
    if not result.found:
        print(
            f"{args.good} and {args.bad} behave the same for this cell "
            f"({outcome(result.runs[versions[0]])}): nothing to bisect ({low}..{high})"
        )
        return 1
    assert result.last_good is not None and result.first_bad is not None
    good, bad = result.runs[result.last_good], result.runs[result.first_bad]
    print(f"first bad release: {result.first_bad} (last good: {result.last_good})")
    print(f"  {result.last_good}: {outcome(good)}\n  {result.first_bad}: {outcome(bad)}")
    print(f"\nwhat changed from {result.last_good} to {result.first_bad}:")
    lines = cell_diff(good, bad)
    print("\n".join(f"  {line}" for line in lines) if lines else "  (no semantic difference)")
    return 0
