"""What a check reads: one finished :class:`Run` (inputs, transcript, what went wrong).

The runner (:mod:`harness.run.runner`) fills it in and calls the checks on it; it lives here,
beside the checks that consume it, so that a check never imports the runner that calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from harness.drivers.contract import Contract
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks import CheckResult
    from harness.dialects.script import Script
    from harness.scenario.model import Scenario
    from harness.transport.budget import AdapterHung
    from harness.vocab.events import Transcript

__all__ = ["Run", "Status"]

Status = Literal["pass", "fail", "n/a", "error"]


@dataclass
class Run:
    """Everything one cell of the matrix knows: inputs, transcript, check results."""

    scenario: Scenario
    driver: str
    dialect: str
    script: Script | None = None
    transcript: Transcript | None = None
    checks: list[CheckResult] = field(default_factory=list)
    na_reason: str | None = None
    unclosed_streams: int = 0
    misses: list[str] = field(default_factory=list)
    """Requests the script did not expect: ReplayMiss messages, then connections the
    no-network guard blocked (an adapter that bypassed the replay transport)."""
    leaked_tasks: list[str] = field(default_factory=list)
    """Coroutines of asyncio tasks the adapter left pending when its call returned."""
    setup: Finding | None = None
    """Why harness could not run the cell as scripted (a ``setup-*`` code): the cell is an
    ``error``, its checks are not run, and it never counts in the adapter's verdict."""
    hung: AdapterHung | None = None
    """The adapter did not finish within the cell's budget (reported as ``adapter-hung``)."""
    contract: Contract = field(default_factory=Contract)
    """What the driver declares about its adapter; the checks consult it."""

    @property
    def status(self) -> Status:
        if self.na_reason is not None:
            return "n/a"
        if self.setup is not None:
            return "error"
        return "pass" if all(c.passed for c in self.checks) else "fail"

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.checks for f in c.findings]

    def reason(self) -> str:
        """One line for a matrix cell: the n/a reason or the first finding."""
        if self.na_reason is not None:
            return self.na_reason
        if self.setup is not None:
            return f"{self.setup.code}: {self.setup.message}"
        found = sorted(self.findings, key=lambda f: f.severity != "error")  # the root first
        return f"{found[0].code}: {found[0].message}" if found else ""
