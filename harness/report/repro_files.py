"""``harness repro``: run a cell, and for a failing one write its standalone reproducer
(``<driver>--<scenario>.py``, :mod:`harness.report.reproducer`) and its bug report
(``<driver>--<scenario>.md``, :mod:`harness.report.bug_report`) into a folder.

A driver is reproducible when it declares how (a ``repro(scenario) -> Recipe`` method,
:mod:`harness.drivers.recipe`); a failing cell is, when the assertion table knows at least
one of its findings (:mod:`harness.report.repro_assertions`). Otherwise the reason is said,
with what to add.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.checks.subject import Run
from harness.drivers.base import Driver
from harness.drivers.recipe import Recipe
from harness.report.bug_report import bug_report
from harness.report.reproducer import Reproducer, asserted_findings, reproducer_source
from harness.run.runner import run_scenario
from harness.scenario.model import Scenario
from harness.transport.budget import Budget
from harness.transport.hosts import base_url_for
from harness.vocab.errors import HarnessError

__all__ = [
    "NotReproducible",
    "Written",
    "failing_cells",
    "recipe_of",
    "reproducer_for",
    "write_cell",
    "write_reproducer",
]


class NotReproducible(HarnessError):
    """This cell cannot be written as a standalone reproducer (and why)."""


@dataclass(frozen=True)
class Written:
    """A reproducer and its report, written; ``message`` is the assertion it fails with."""

    script: Path
    report: Path
    message: str
    codes: tuple[str, ...]


def recipe_of(driver: Driver, scenario: Scenario) -> Recipe:
    """The driver's recipe for ``scenario``, or why it has none."""
    repro: Callable[[Scenario], Recipe] | None = getattr(driver, "repro", None)
    if repro is None:
        raise NotReproducible(
            f"driver {driver.name} declares no reproduction recipe: give its class a "
            "`repro(scenario) -> harness.drivers.recipe.Recipe` method (docs/architecture.md, "
            "'A new driver')"
        )
    return repro(scenario)


def reproducer_for(driver: Driver, run: Run) -> Reproducer:
    """The reproducer of a finished failing ``run`` of ``driver``."""
    key = f"{run.driver} x {run.scenario.id}"
    if run.status != "fail" or run.script is None:
        why = f" ({run.reason()})" if run.reason() else ""
        raise NotReproducible(f"{key} is {run.status}{why}: no finding to reproduce")
    recipe = recipe_of(driver, run.scenario)
    if not asserted_findings(run.findings, recipe):
        codes = ", ".join(sorted({f.code for f in run.findings}))
        raise NotReproducible(
            f"{key}: no standalone assertion for {codes} yet "
            "(add one to ASSERTIONS in harness/report/repro_assertions.py)"
        )
    versions = run.transcript.versions if run.transcript is not None else {}
    from harness import DIST_NAME

    return Reproducer(
        driver=run.driver,
        scenario=run.scenario.id,
        description=run.scenario.description,
        script=run.script,
        findings=run.findings,
        recipe=recipe,
        base_url=base_url_for(run.dialect, getattr(driver, "base_url", None)),
        versions={k: v for k, v in versions.items() if k not in (DIST_NAME, "harness")},
    )


def write_cell(
    driver: Driver, scenario: Scenario, out: Path, budget: Budget | None = None
) -> Written:
    """Run the cell; if it fails, write its reproducer and report into ``out``."""
    r = reproducer_for(driver, run_scenario(scenario, driver, budget=budget))
    return write_reproducer(r, out)


def write_reproducer(r: Reproducer, out: Path) -> Written:
    out.mkdir(parents=True, exist_ok=True)
    source = reproducer_source(r)
    script = out / r.filename
    report = script.with_suffix(".md")
    script.write_text(source, encoding="utf-8")
    report.write_text(bug_report(r, source), encoding="utf-8")
    asserted = asserted_findings(r.findings, r.recipe)
    return Written(script, report, asserted[0].message, tuple(f.code for f in asserted))


def failing_cells(
    driver: Driver, scenarios: Sequence[Scenario], out: Path, budget: Budget | None = None
) -> tuple[list[Written], list[str]]:
    """Every failing cell of ``driver`` over ``scenarios`` written into ``out``; and one
    line for each failing cell that could not be (why)."""
    written: list[Written] = []
    skipped: list[str] = []
    if scenarios:
        recipe_of(driver, scenarios[0])  # a driver without one: said once, before any run
    for scenario in scenarios:
        run = run_scenario(scenario, driver, budget=budget)
        if run.status != "fail":
            continue
        try:
            written.append(write_reproducer(reproducer_for(driver, run), out))
        except NotReproducible as exc:
            skipped.append(str(exc))
    return written, skipped
