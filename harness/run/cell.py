"""Cell: the serializable result of one scenario x driver, as reports and baselines see it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.vocab.codes import Code
from harness.vocab.events import Transcript
from harness.vocab.findings import Finding

__all__ = ["Cell", "CellStatus", "cell_from_run", "error_cell"]

CellStatus = Literal["pass", "fail", "n/a", "error"]
"""``error`` means harness could not run the cell as scripted (see :mod:`harness.run.setup_errors`):
``setup`` says why, with a ``setup-*`` code; it is never a finding against the adapter."""


class CheckSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    passed: bool


class Cell(BaseModel):
    """One scenario run through one driver."""

    model_config = ConfigDict(extra="forbid")

    driver: str
    scenario: str
    dialect: str
    status: CellStatus
    reason: str = Field("", description="The n/a reason, or the first finding, in one line.")
    source: str = Field("", description="Scenario file:line.")
    findings: list[Finding] = Field(default_factory=list)
    setup: Finding | None = Field(
        None, description="Why an error cell could not run (a setup-* code), apart from findings."
    )
    checks: list[CheckSummary] = Field(default_factory=list)
    transcript: Transcript | None = None
    deviations: list[str] = Field(
        default_factory=list,
        description="How the driver's declared contract deviates from the protocol.",
    )

    @property
    def key(self) -> str:
        return f"{self.driver}::{self.scenario}"

    def codes(self) -> list[str]:
        """The error findings' codes; for an error cell, its setup code."""
        found = {f.code for f in self.findings if f.severity == "error"}
        if self.setup is not None:
            found.add(self.setup.code)
        return sorted(found)


def cell_from_run(run: object) -> Cell:
    """Flatten a :class:`harness.run.runner.Run` into a Cell."""
    from harness.checks.subject import Run

    assert isinstance(run, Run)
    return Cell(
        driver=run.driver,
        scenario=run.scenario.id,
        dialect=run.dialect,
        status=run.status,
        reason=run.reason(),
        source=run.scenario.where(),
        findings=run.findings,
        setup=run.setup,
        checks=[CheckSummary(name=c.name, passed=c.passed) for c in run.checks],
        transcript=run.transcript,
        deviations=run.contract.deviations(),
    )


def error_cell(
    driver: str, scenario: str, dialect: str, code: Code, message: str, *, source: str = ""
) -> Cell:
    """A cell harness could not run, with its ``setup-*`` code (see harness.run.setup_errors)."""
    from harness.run.setup_errors import setup_finding

    return Cell(
        driver=driver,
        scenario=scenario,
        dialect=dialect,
        status="error",
        reason=f"{code}: {message}"[:500],
        source=source,
        setup=setup_finding(code, message),
    )
