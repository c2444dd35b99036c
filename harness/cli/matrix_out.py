"""What ``harness matrix`` and ``harness merge`` do with a finished matrix, the same for both:
the report files, the baseline (compare or rewrite), the terminal summary and the exit
status. So a merged matrix gives exactly the reports and verdicts of one unsharded run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.matrix.baseline import Baseline
    from harness.matrix.run import Matrix

__all__ = ["add_merge_command", "add_report_arguments", "checked_baseline", "finish"]


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The report files and the baseline options of ``matrix`` and ``merge``."""
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report")
    parser.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write Markdown")
    parser.add_argument(
        "--html", type=Path, metavar="PATH", help="write a self-contained HTML page"
    )
    parser.add_argument("--doc", type=Path, metavar="PATH", help="write docs/matrix.md (Markdown)")
    parser.add_argument("--baseline", type=Path, metavar="FILE", help="fail on regressions only")
    parser.add_argument("--update-baseline", action="store_true", help="rewrite --baseline")
    parser.add_argument(
        "--table", action="store_true", help="also print the scenario x driver table"
    )


def add_merge_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mg = sub.add_parser(
        "merge",
        help="the JSON reports of a matrix's shards as one run (reports, baseline, verdicts)",
        description="Merge the JSON reports of 'harness matrix --shard K/N' (all N of them), or "
        "of runs over disjoint cells, into the reports, baseline comparison and exit status "
        "of one unsharded run.",
    )
    mg.add_argument("reports", type=Path, nargs="+", metavar="REPORT.json")
    add_report_arguments(mg)
    mg.set_defaults(func=_cmd_merge)


def _cmd_merge(args: argparse.Namespace) -> int:
    from harness.matrix.merge import merge_reports

    baseline = checked_baseline(args)
    m = merge_reports(args.reports)
    return finish(m, args, baseline)


def checked_baseline(args: argparse.Namespace) -> Baseline:
    """``--baseline``'s cells (empty without one); a missing file is an error unless it is
    about to be written."""
    from harness.matrix.baseline import load_baseline
    from harness.vocab.errors import HarnessError

    if args.baseline is not None and not args.baseline.exists() and not args.update_baseline:
        raise HarnessError(
            f"baseline {args.baseline} does not exist; create it with: "
            f"harness matrix --baseline {args.baseline} --update-baseline"
        )
    return load_baseline(args.baseline) if args.baseline is not None else {}


def finish(m: Matrix, args: argparse.Namespace, baseline: Baseline) -> int:
    """Write the reports, compare with (or rewrite) the baseline, print the summary; the
    exit status. A shard (``m.shard``) leaves NO DATA to the merge: another shard may judge
    the driver."""
    from harness.matrix.baseline import compare, write_baseline
    from harness.matrix.verdict import verdict
    from harness.report.summary import summarize
    from harness.report.targets import ReportFormat, Target, write
    from harness.report.writers import to_table

    verdicts = [verdict(m.cells, d) for d in m.drivers]
    # files first: a reader that closes the pipe early must not cost the reports
    asked: list[tuple[ReportFormat, Path | None]] = [
        ("doc", args.doc),
        ("json", args.json),
        ("junit", args.junit),
        ("md", args.markdown),
        ("html", args.html),
    ]
    write(m, [Target(fmt, path) for fmt, path in asked if path is not None])
    if args.update_baseline and args.baseline is not None:
        write_baseline(args.baseline, m.cells, baseline)
    result = compare(m.cells, baseline) if args.baseline is not None else None
    regressed = {c.key for c, _ in result.regressions} if result is not None else set()
    known = {
        c.key
        for c in m.cells
        if result is not None and c.status in ("fail", "error") and c.key not in regressed
    }
    if args.table:
        print(to_table(m, reasons=False))
        print()
    print(summarize(m, known=known))
    counts = m.counts()
    print(
        f"\n{len(m.cells)} cells: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['n/a']} n/a, {counts['error']} error in {m.wall_seconds:.1f} s"
        + ("" if args.html else "\nevery cell's findings and timeline: --html PATH")
    )
    if m.shard is None and any(v.outcome == "NO DATA" for v in verdicts):
        return 1  # a driver nothing was run on is never a pass, baseline or not
    if result is None:
        return 1 if any(c.status in ("fail", "error") for c in m.cells) else 0
    if args.update_baseline:
        print(f"\nbaseline written: {args.baseline} ({len(m.cells)} cells)")
        return 0
    from harness.matrix.baseline import baseline_versions
    from harness.report.matrix_doc import version_changes, versions_by_driver

    changed = version_changes(baseline_versions(args.baseline), versions_by_driver(m.cells))
    if changed:
        print(f"\nadapter versions differ from the baseline's ({args.baseline}):")
        print("\n".join(f"  {line}" for line in changed))
    if result.fixes:
        print(
            f"\n{len(result.fixes)} cell(s) better than the baseline (run with --update-baseline):"
        )
        for cell, why in result.fixes:
            print(f"  {cell.key}: {why}")
    if result.regressions:
        print(f"\n{len(result.regressions)} regression(s) against {args.baseline}:")
        for cell, why in result.regressions:
            print(f"  {cell.key}: {why}")
        return 1
    print(f"\nno regressions against {args.baseline}")
    return 0
