"""``python -m benchmarks [--quick] [--only NAME ...] [--output PATH] [--readme]``.

Prints one Markdown table (the machine first, since absolute times mean little without it;
ratios and goals are what to compare) and, on a full run, writes it to
``benchmarks/RESULTS.md`` and the goal rows into the README's benchmark table
(``benchmarks.readme``). ``--quick`` runs every benchmark small, as a smoke test, and writes
nothing unless ``--output`` says where. ``--readme`` runs nothing: it rewrites the README's
table from the ``RESULTS.md`` on disk.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from benchmarks import Row, machine, readme

SECTIONS = (
    "replay",
    "sse_decode",
    "retry_waits",
    "loading",
    "fuzz_rate",
    "fuzz_recall",
    "memory",
    "plugin_startup",
    "plugin_pertest",
    "conformance",
)
"""Modules of this package, each with ``run(quick: bool) -> list[Row]``, in table order."""
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
KEPT = "<!-- measured separately: make bench keeps this part when it rewrites the file -->"
COLUMNS = ("benchmark", "subject", "measured", "ratio", "note", "goal", "result")


def run_section(name: str, quick: bool) -> list[Row]:
    """One module's rows; a failure becomes an ERROR row, so the other sections still run."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        rows: list[Row] = module.run(quick)
    except Exception as exc:  # a broken benchmark must not hide the others' results
        traceback.print_exc(file=sys.stderr)
        return [Row(name, "benchmark failed", f"{type(exc).__name__}: {exc}"[:200], result="ERROR")]
    return rows


def render(rows: Sequence[Row], *, quick: bool, seconds: float) -> str:
    """The Markdown: machine, table, then the goals with their verdicts."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "# Benchmarks",
        "",
        f"Measured on: {machine()}.",
        "Medians over repeats; ratios are taken within a round against the baseline named in "
        "the ratio column. Replay and SSE rows are CPU time of the benchmark thread, the rest "
        f"wall time. `python -m benchmarks{' --quick' if quick else ''}` took {seconds:.0f} s"
        + (" (--quick: small sizes, a smoke test; not for the README)." if quick else "."),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(cell(getattr(r, c)) for c in COLUMNS) + " |" for r in rows]
    goals = [r for r in rows if r.result]
    if goals:
        lines += ["", "Goals:", ""]
        lines += [
            f"- **{r.result}** {r.benchmark}, {r.subject}: {r.measured}"
            + (f" ({r.ratio})" if r.ratio else "")
            + (f", goal {r.goal}" if r.goal else "")
            for r in goals
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these")
    parser.add_argument(
        "--output", type=Path, help=f"write the table here (default {RESULTS.name})"
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help=f"run nothing: rewrite the README's table from {RESULTS.name}",
    )
    args = parser.parse_args(argv)
    if args.readme:
        changed = readme.rewrite(RESULTS.read_text(encoding="utf-8"))
        print(f"benchmarks: README table {'rewritten' if changed else 'already current'}")
        return 0
    started = time.perf_counter()
    rows: list[Row] = []
    for name in args.only or SECTIONS:
        print(f"benchmarks: {name} ...", file=sys.stderr, flush=True)
        rows += run_section(name, args.quick)
    text = render(rows, quick=args.quick, seconds=time.perf_counter() - started)
    print(text, end="")
    target = args.output or (None if args.quick or args.only else RESULTS)
    if target is not None:
        if target.exists():  # measurements too long for `make bench` stay below the table
            old = target.read_text(encoding="utf-8")
            if KEPT in old:
                text = text.rstrip("\n") + "\n\n" + KEPT + old.split(KEPT, 1)[1]
        target.write_text(text, encoding="utf-8")
        print(f"benchmarks: written to {target}", file=sys.stderr)
        if target == RESULTS and readme.rewrite(text):
            print(f"benchmarks: README table rewritten from {RESULTS.name}", file=sys.stderr)
    return 1 if any(r.result == "ERROR" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
