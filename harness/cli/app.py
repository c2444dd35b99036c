"""The ``harness`` command line.

Every command turns harness's own errors (a bad scenario file, an unknown driver) into one
readable message and exit status 2; exit 1 means a check failed or a regression was found.
Output cut short by a closed pipe (``harness matrix | head -1``) ends quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cassettes.modes import RecordMode

if TYPE_CHECKING:
    from harness.transport.budget import Budget

__all__ = ["main"]

BROKEN_PIPE = 141
"""The status a shell reports for a command ended by SIGPIPE (128 + 13), as ``yes | head``."""

_DESCRIPTION = """\
Record/replay conformance testing of LLM provider adapters: scenarios are served on a
virtual clock to real adapter code, and what it yields is checked against the protocol."""

_EPILOG = """\
exit status: 0 all good, 1 a check failed or a regression was found, 2 bad input.
Run 'harness COMMAND --help' for a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    from harness.vocab.errors import HarnessError

    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # to re-run in a driver env
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit as "Exception ignored"
        return code
    except (HarnessError, LookupError) as exc:  # every error harness raises on purpose
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"harness: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE


def _silence_stdout() -> None:
    """The reader went away: send what is still buffered nowhere, so exiting stays quiet."""
    try:
        target = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout replaced, without a descriptor
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, target)
    os.close(devnull)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps each command on one line: argparse measures subcommand names without the
    indent it then prints them with, so a long name (``scenarios``) would wrap."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.nargs == argparse.PARSER and isinstance(action.choices, dict):
            longest = max(map(len, action.choices), default=0)
            needed = longest + self._current_indent + 2 * self._indent_increment
            self._action_max_length = max(self._action_max_length, needed)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="harness",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND", title="commands")

    run = sub.add_parser("run", help="run one scenario through one driver")
    run.add_argument("scenario", type=Path, help="a scenario file, or a bundled scenario's id")
    run.add_argument(
        "--driver", required=True, help="a name, module:attr, or path/to/conftest.py::name"
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--rechunk", action="store_true", help="also re-split the body (invariant 5)")
    _budget_arguments(run)
    run.add_argument(
        "--timeline", action="store_true", help="requests, responses, events and waits in time"
    )
    run.set_defaults(func=_cmd_run)

    mx = sub.add_parser("matrix", help="every scenario against every driver")
    mx.add_argument("--scenarios", type=Path, action="append", help="directory or file")
    mx.add_argument("--driver", action="append", help="only this driver (repeatable)")
    from harness.cli.matrix_out import add_merge_command, add_report_arguments

    add_report_arguments(mx)  # --json --junit --markdown --html --doc --baseline --table
    mx.add_argument(
        "--shard", metavar="K/N", help="run only shard K of N (merge them with harness merge)"
    )
    mx.add_argument(
        "--costs",
        type=Path,
        metavar="REPORT.json",
        help="balance --shard by the cell and start-up times of this earlier JSON report",
    )
    mx.add_argument(
        "--latest", action="store_true", help="every adapter on its newest release (unpinned)"
    )
    mx.add_argument("--rechunk", action="store_true", help="also invariant 5 (~1.7x the time)")
    mx.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    mx.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _worker_arguments(mx)
    _budget_arguments(mx)
    mx.set_defaults(func=_cmd_matrix)
    add_merge_command(sub)

    fz = sub.add_parser("fuzz", help="generated scenarios through one driver (properties)")
    fz.add_argument("--driver", required=True)
    fz.add_argument("--dialect", help="only scenarios this dialect expresses (the driver's)")
    fz.add_argument("--examples", type=int, default=100, help="how many (default: 100)")
    fz.add_argument("--seed", type=int, help="repeat a run exactly (default: random, printed)")
    fz.add_argument(
        "--ignore", action="append", default=[], metavar="CODE", help="a known finding to skip"
    )
    fz.add_argument("--no-faults", action="store_true", help="no HTTP errors or stream faults")
    fz.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N|auto",
        help="split the examples over N forked processes (auto: one per CPU; default: 1)",
    )
    fz.add_argument("--quiet", action="store_true", help="no progress on stderr")
    fz.set_defaults(func=_cmd_fuzz)
    dr = sub.add_parser("drivers", help="list drivers and whether their extra is installed")
    dr.add_argument(
        "--markdown", action="store_true", help="the table of docs/drivers.md (nothing imported)"
    )
    dr.set_defaults(func=_cmd_drivers)

    ex = sub.add_parser("explain", help="what a finding code means and how to fix it")
    ex.add_argument("code", nargs="?", help="a finding code; omit to list them all")
    ex.add_argument("--markdown", action="store_true", help="the whole catalogue as Markdown")
    ex.set_defaults(func=_cmd_explain)

    vd = sub.add_parser("verdict", help="PASS / WARN / FAIL for one adapter, as a CI gate")
    vd.add_argument("--driver", required=True, action="append")
    vd.add_argument("--scenarios", type=Path, action="append", help="directory or file")
    vd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _worker_arguments(vd)
    vd.set_defaults(func=_cmd_verdict)

    sc = sub.add_parser("schema", help="print a published JSON Schema")
    sc.add_argument("name", choices=["scenario", "transcript", "report"])
    sc.set_defaults(func=_cmd_schema)

    rec = sub.add_parser("record", help="run a Python script with its HTTP traffic recorded")
    rec.add_argument("cassette", type=Path)
    rec.add_argument("--mode", default=RecordMode.ONCE.value, choices=RecordMode.names())
    rec.add_argument("--no-redact", action="store_true", help="keep secrets (never commit it)")
    rec.add_argument("--redact-header", action="append", metavar="NAME")
    rec.add_argument("--redact-param", action="append", metavar="NAME")
    rec.add_argument("--redact-json", action="append", metavar="PATH", help="e.g. metadata.user")
    rec.add_argument("--redact-regex", action="append", metavar="REGEX")
    rec.add_argument("command", nargs=argparse.REMAINDER, help="-- script.py [ARGS] | -m MODULE")
    rec.set_defaults(func=_cmd_record)

    imp = sub.add_parser(
        "import", help="one scenario per interaction of each recording (files or directories)"
    )
    imp.add_argument("cassettes", type=Path, nargs="+", metavar="CASSETTE")
    imp.add_argument("-o", "--output", type=Path, default=Path("."), metavar="DIR")
    imp.add_argument("--portable", action="store_true", help="drop thinking signatures")
    imp.add_argument("--force", action="store_true", help="overwrite existing scenario files")
    imp.set_defaults(func=_cmd_import)

    scan = sub.add_parser("scan", help="find secrets in cassettes (exit 1 on a finding)")
    scan.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    scan.add_argument("--allow", action="append", metavar="REGEX", help="ignore matching values")
    scan.set_defaults(func=_cmd_scan)

    df = sub.add_parser(
        "diff",
        help="what changed between two cassettes or transcripts",
        epilog="exit status: 0 the same, 1 different, 2 an input cannot be read",
    )
    df.add_argument("a", type=Path)
    df.add_argument("b", type=Path)
    df.set_defaults(func=_cmd_diff)

    from harness.cli.adopt import add_commands
    from harness.cli.repro import add_command

    add_commands(sub)  # scenarios, init
    add_command(sub)  # repro
    from harness.cli.versions import add_commands as add_version_commands

    add_version_commands(sub)  # sweep, bisect
    from harness.cli.workers import add_command as add_workers_command

    add_workers_command(sub)  # workers
    return p


def _budget_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.transport.budget import add_budget_arguments

    add_budget_arguments(parser)


def _budget(args: argparse.Namespace) -> Budget:
    from harness.transport.budget import budget_from

    return budget_from(args.wall_budget, args.virtual_budget)


def _cmd_record(args: argparse.Namespace) -> int:
    from harness.cli.cassettes import run_record

    return run_record(args)


def _cmd_import(args: argparse.Namespace) -> int:
    from harness.cli.cassettes import run_import

    return run_import(args)


def _cmd_scan(args: argparse.Namespace) -> int:
    from harness.cli.cassettes import run_scan

    return run_scan(args)


def _cmd_diff(args: argparse.Namespace) -> int:
    from harness.cli.cassettes import run_diff

    return run_diff(args)


def _cmd_run(args: argparse.Namespace) -> int:
    from harness.drivers.base import get_driver, install_hint, missing_requirements
    from harness.matrix.envs import run_in_environment
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenario
    from harness.vocab.errors import HarnessError

    path = _scenario_path(args.scenario)  # a typo is told here, before any environment
    in_env = run_in_environment(args.driver, args.argv)  # the matrix's adapter versions
    if in_env is not None:
        return in_env
    scenario = load_scenario(path)
    driver = get_driver(args.driver)
    missing = missing_requirements(driver)
    if missing:
        raise HarnessError(
            f"driver {driver.name} needs {', '.join(missing)}: {install_hint(driver.extra)}"
        )
    run = run_scenario(scenario, driver, budget=_budget(args))
    if args.rechunk:
        from harness.run.rechunk import rechunk_check

        run.checks.append(rechunk_check(run, driver))
    passed = run.status not in ("fail", "error")
    if args.json:
        out = {
            "scenario": scenario.id,
            "driver": driver.name,
            "status": run.status,
            "reason": run.na_reason,
            "setup": run.setup.model_dump(mode="json") if run.setup else None,
            "transcript": run.transcript.model_dump(mode="json") if run.transcript else None,
            "waits": run.transcript.waits() if run.transcript else [],
            **({"timeline": _timeline_json(run.transcript)} if args.timeline else {}),
            "checks": [
                {
                    "name": c.name,
                    "passed": c.passed,
                    "findings": [f.model_dump(mode="json") for f in c.findings],
                }
                for c in run.checks
            ],
            "passed": passed,
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0 if passed else 1
    print(f"{scenario.id} x {driver.name} ({run.dialect}): {run.status}")
    if run.na_reason:
        print(f"  n/a: {run.na_reason}")
        return 0
    if run.setup is not None:  # harness could not run it: not a finding, still a failure
        shown = run.setup.render().replace("\n", "\n    ")
        print(f"  harness could not run this cell:\n    {shown}")
    assert run.transcript is not None
    if args.timeline:
        from harness.report.timeline import render_text

        print(render_text(run.transcript))
    else:
        start = run.transcript.requests[0].at if run.transcript.requests else 0.0
        for req in run.transcript.requests:
            print(f"  > {req.method} {req.path} at t={req.at - start:.3f}s")
        for event in run.transcript.events:
            print(
                "  < "
                + json.dumps(event.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
            )
    for check in run.checks:
        print(f"  [{'ok' if check.passed else 'FAIL'}] {check.name}")
        for f in check.findings:
            print("      " + f.render().replace("\n", "\n      "))
    return 0 if passed else 1


def _scenario_path(given: Path) -> Path:
    """A scenario file as given, or a bundled scenario's id (``retry-429``, from any
    directory); a name that is neither fails with the closest known ids."""
    from harness.scenario.bundled import bundled_scenarios, scenario_file
    from harness.vocab.errors import HarnessError
    from harness.vocab.suggest import did_you_mean

    found = scenario_file(given)
    if found.exists():
        return found
    folder = given.parent if given.parent != Path(".") else bundled_scenarios()
    known = (
        sorted(p.stem for p in folder.glob("*.y*ml"))
        if folder is not None and folder.is_dir()
        else []
    )
    hint = did_you_mean(given.stem, known)
    where = f" (nor a scenario id in {folder}/)" if known else ""
    raise HarnessError(f"{given}: no such scenario file{where}{hint}")


def _timeline_json(transcript: object) -> list[dict[str, object]]:
    from harness.report.timeline import timeline
    from harness.vocab.events import Transcript

    assert isinstance(transcript, Transcript)
    return [mark.as_json() for mark in timeline(transcript)]


def _cmd_matrix(args: argparse.Namespace) -> int:
    from harness.cli.matrix_out import checked_baseline, finish
    from harness.drivers.base import driver_names, get_driver
    from harness.matrix.progress import Progress
    from harness.matrix.run import run_matrix
    from harness.scenario.bundled import default_scenario_paths
    from harness.scenario.load import load_scenarios

    paths = args.scenarios or default_scenario_paths()
    scenarios = load_scenarios(paths)
    drivers = args.driver or driver_names()
    for name in drivers:
        get_driver(name)  # an unknown name fails now, with suggestions, not in every cell
    if args.latest:  # the workers' environments: harness.matrix.envs.python_for
        import os

        from harness.matrix.envs import CONSTRAINTS_VARIABLE, LATEST_VARIABLE

        os.environ[LATEST_VARIABLE] = "1"
        os.environ.pop(CONSTRAINTS_VARIABLE, None)
    ids = [s.id for s in scenarios]
    share = _shard_share(args, drivers, ids)
    if share is not None and args.update_baseline:
        from harness.vocab.errors import HarnessError

        raise HarnessError(
            "--update-baseline needs every cell: run it on the merged shards "
            "(harness merge SHARD.json... --baseline FILE --update-baseline)"
        )
    baseline = checked_baseline(args)
    running = [d for d in drivers if share is None or share.get(d)]
    total = max((len(v) for v in share.values()), default=0) if share else len(ids)

    with Progress("matrix", running, total=total, quiet=args.quiet) as progress:

        def on_cell(cell: object) -> None:
            from harness.run.cell import Cell

            assert isinstance(cell, Cell)
            progress.advance(cell.driver, failed=cell.status in ("fail", "error"))

        m = run_matrix(
            running,
            paths,
            ids,
            jobs=args.jobs,
            on_cell=on_cell,
            rechunk=args.rechunk,
            budget=_budget(args),
            only=share,
            warm=not args.cold_workers,
            keep_workers=args.keep_workers,
        )
    if share is not None:
        from harness.matrix.shard import parse_shard

        shard = parse_shard(args.shard)
        m.scenarios = [s for s in ids if any(s in mine for mine in share.values())]
        m.shard = {
            "index": shard.index,
            "count": shard.count,
            "drivers": list(drivers),
            "scenarios": ids,
            "cells": len(m.cells),
        }
        print(f"shard {shard}: {len(m.cells)} of {len(drivers) * len(ids)} cells")
    return finish(m, args, baseline)


def _shard_share(
    args: argparse.Namespace, drivers: Sequence[str], ids: Sequence[str]
) -> dict[str, list[str]] | None:
    """``--shard K/N``: the scenarios each driver runs in this shard (None: every one)."""
    if not args.shard:
        return None
    from harness.matrix.envs import requirements_of
    from harness.matrix.shard import assign, load_costs, parse_shard

    shard = parse_shard(args.shard)
    split = assign(
        [(d, s) for d in drivers for s in ids],
        shard.count,
        load_costs(args.costs),
        own_environment=lambda d: bool(requirements_of(d)),
    )
    share: dict[str, list[str]] = {}
    for driver, scenario in split[shard.index - 1]:
        share.setdefault(driver, []).append(scenario)
    return share


def _cmd_explain(args: argparse.Namespace) -> int:
    from harness.checks.catalogue import CATALOGUE, explain, render_markdown
    from harness.vocab.errors import HarnessError

    if args.markdown:
        print(render_markdown(), end="")
        return 0
    if args.code is None:
        for entry in CATALOGUE.values():
            print(f"{entry.code:40} {entry.title}")
        return 0
    try:
        print(explain(args.code), end="")
    except KeyError as exc:
        raise HarnessError(exc.args[0]) from None
    return 0


def _cmd_verdict(args: argparse.Namespace) -> int:
    from harness.drivers.base import get_driver
    from harness.matrix.progress import Progress
    from harness.matrix.run import run_matrix
    from harness.matrix.verdict import gate_failed, render_verdicts, verdict
    from harness.scenario.bundled import default_scenario_paths
    from harness.scenario.load import load_scenarios

    for name in args.driver:
        get_driver(name)  # an unknown name fails now, with suggestions
    paths = args.scenarios or default_scenario_paths()
    scenarios = load_scenarios(paths)
    with Progress("verdict", args.driver, total=len(scenarios), quiet=args.quiet) as progress:
        m = run_matrix(
            args.driver,
            paths,
            [s.id for s in scenarios],
            on_cell=lambda c: progress.advance(c.driver, failed=c.status in ("fail", "error")),
            warm=not args.cold_workers,
            keep_workers=args.keep_workers,
        )
    verdicts = [verdict(m.cells, d) for d in args.driver]
    print(render_verdicts(verdicts))
    return 1 if gate_failed(verdicts) else 0


def _worker_arguments(parser: argparse.ArgumentParser) -> None:
    """How a matrix (or a verdict's) runs its drivers: ``--cold-workers``, ``--keep-workers``."""
    workers = parser.add_mutually_exclusive_group()
    workers.add_argument(
        "--cold-workers",
        action="store_true",
        help="a fresh process per driver, instead of children of one warm worker per environment",
    )
    workers.add_argument(
        "--keep-workers",
        nargs="?",
        type=float,
        const=600.0,
        metavar="IDLE",
        help="leave the warm workers running for the next runs (imports once, not per run); "
        "each ends after IDLE seconds unused (default 600); see harness workers",
    )


def _cmd_drivers(args: argparse.Namespace) -> int:
    from harness.drivers.base import driver_names, driver_status, get_driver

    if args.markdown:
        from harness.report.drivers_doc import drivers_markdown

        print(drivers_markdown(), end="")
        return 0
    rows = []
    for name in driver_names():
        d = get_driver(name)
        rows.append((name, d.dialect, d.http_library, d.extra, driver_status(d)))
    widths = [
        max(len(r[i]) for r in [("driver", "dialect", "http", "extra", "status"), *rows])
        for i in range(5)
    ]
    for row in [("driver", "dialect", "http", "extra", "status"), *rows]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _worker_count(text: str) -> int:
    """``--workers N|auto``: a count >= 1, or one per CPU."""
    if text == "auto":
        return max(1, os.cpu_count() or 1)
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or auto, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {count})")
    return count


def _cmd_fuzz(args: argparse.Namespace) -> int:
    from harness.fuzz.runner import main as fuzz_main
    from harness.matrix.envs import run_in_environment
    from harness.matrix.progress import Progress

    in_env = run_in_environment(args.driver, args.argv)
    if in_env is not None:
        return in_env

    with Progress(
        "fuzz",
        ["examples"],
        total=args.examples,
        unit="examples",
        quiet=args.quiet,
        per_group=False,
    ):
        return fuzz_main(
            args.driver,
            examples=args.examples,
            seed=args.seed,
            dialect=args.dialect,
            ignore=args.ignore,
            faults=not args.no_faults,
            workers=args.workers,
        )


def _cmd_schema(args: argparse.Namespace) -> int:
    from harness.report.schema import report_schema, scenario_schema, transcript_schema

    pick = {"scenario": scenario_schema, "transcript": transcript_schema, "report": report_schema}
    schema = pick[args.name]()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0
