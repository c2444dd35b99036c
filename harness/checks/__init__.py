"""Checks: each reads a finished run and returns findings; an empty list is a pass.

- ``expectations``: the scenario's ``expect`` block (what a correct adapter yields);
- ``schema``: the transcript validates against the published JSON Schema;
- ``invariants``: properties every transcript must satisfy (DESIGN.md, 1-4 and 6-8);
- ``timing``: a paced stream reaches the caller as it is produced (``event_times``);
- ``declared``: the error types the adapter's contract declares (:mod:`harness.drivers.contract`);
- ``rootcause``: not a check: cuts a cell's cascade of findings to its root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.checks.subject import Run

__all__ = ["Check", "CheckResult", "default_checks"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one run."""

    name: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


class Check(Protocol):
    """A named function from a finished run to its findings."""

    def __call__(self, run: Run) -> CheckResult: ...


def named(name: str) -> Callable[[Callable[[Run], list[Finding]]], Check]:
    """Wrap a findings function as a Check that reports under ``name``."""

    def wrap(fn: Callable[[Run], list[Finding]]) -> Check:
        def check(run: Run) -> CheckResult:
            return CheckResult(name, fn(run))

        check.__name__ = check.__qualname__ = name
        return check

    return wrap


def default_checks() -> list[Check]:
    from harness.checks.declared import DECLARED_ERRORS
    from harness.checks.expectations import EXPECTATIONS
    from harness.checks.invariants import INVARIANTS, replay
    from harness.checks.schema import TRANSCRIPT_SCHEMA
    from harness.checks.timing import TIMING

    # the replay check first: a request the script did not expect is the cause of whatever
    # error the adapter raises after it, so it is the cell's first reason
    rest = [c for c in INVARIANTS if c is not replay]
    return [replay, EXPECTATIONS, DECLARED_ERRORS, TRANSCRIPT_SCHEMA, *rest, *TIMING]
