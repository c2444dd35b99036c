"""Cell: the serializable result of one scenario x driver, as reports and baselines see it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.events import Transcript
from harness.findings import Finding

__all__ = ["Cell", "CellStatus", "cell_from_run"]

CellStatus = Literal["pass", "fail", "n/a", "error"]
"""``error`` means harness itself could not run the cell (a bug or a missing extra)."""


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
        return sorted({f.code for f in self.findings if f.severity == "error"})


def cell_from_run(run: object) -> Cell:
    """Flatten a :class:`harness.runner.Run` into a Cell."""
    from harness.runner import Run

    assert isinstance(run, Run)
    return Cell(
        driver=run.driver,
        scenario=run.scenario.id,
        dialect=run.dialect,
        status=run.status,
        reason=run.reason(),
        source=run.scenario.where(),
        findings=run.findings,
        checks=[CheckSummary(name=c.name, passed=c.passed) for c in run.checks],
        transcript=run.transcript,
        deviations=run.contract.deviations(),
    )
