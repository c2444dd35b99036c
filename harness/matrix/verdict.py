"""A verdict per adapter: its findings grouped by code, then PASS / WARN / FAIL, or NO DATA
when no cell ran to a judgement (all n/a, or harness could not run them: never green)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.run.cell import Cell

__all__ = ["Verdict", "gate_failed", "render_verdicts", "verdict"]

Outcome = Literal["PASS", "WARN", "FAIL", "NO DATA"]


@dataclass
class Verdict:
    driver: str
    outcome: Outcome
    groups: dict[str, list[str]] = field(default_factory=dict)
    """Finding code -> scenarios that show it (errors and warnings)."""
    errors: list[str] = field(default_factory=list)
    """Scenarios harness could not run (``error`` cells): not part of the outcome, which
    judges the adapter, but a gate fails on them (see ``gate_failed``)."""
    counts: dict[str, int] = field(default_factory=dict)
    deviations: list[str] = field(default_factory=list)
    """How the adapter's declared contract relaxes the protocol: shown with the results."""


def verdict(cells: list[Cell], driver: str) -> Verdict:
    mine = [c for c in cells if c.driver == driver]
    groups: dict[str, list[str]] = {}
    severe = False
    warned = False
    for c in mine:
        if c.status == "error":
            continue  # setup errors are harness's, never the adapter's
        for f in c.findings:
            scenarios = groups.setdefault(f.code, [])
            if c.scenario not in scenarios:
                scenarios.append(c.scenario)
            severe |= f.severity == "error"
            warned |= f.severity == "warning"
    errors = [c.scenario for c in mine if c.status == "error"]
    counts: dict[str, int] = {}
    for c in mine:
        counts[c.status] = counts.get(c.status, 0) + 1
    ran = any(c.status in ("pass", "fail") for c in mine)
    outcome: Outcome = "FAIL" if severe else ("WARN" if warned else ("PASS" if ran else "NO DATA"))
    deviations = next((c.deviations for c in mine if c.deviations), [])
    return Verdict(driver, outcome, dict(sorted(groups.items())), errors, counts, deviations)


def render_verdicts(verdicts: list[Verdict]) -> str:
    lines = ["Verdicts:"]
    for v in verdicts:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(v.counts.items()))
        lines.append(f"  {v.driver}: {v.outcome} ({counts or 'no cells'})")
        if v.outcome == "NO DATA":
            lines.append(
                "    no cell of this driver was judged (each is n/a or a setup error): nothing "
                "was checked; give it scenarios its dialect can express, or fix the setup"
            )
        for code, scenarios in v.groups.items():
            shown = ", ".join(scenarios[:4]) + (
                f" +{len(scenarios) - 4} more" if len(scenarios) > 4 else ""
            )
            lines.append(f"    {code} x{len(scenarios)}: {shown}")
        if v.errors:
            lines.append(
                f"    harness could not run (setup errors, not in the verdict; they still fail "
                f"the gate): {', '.join(v.errors)}"
            )
        if v.deviations:
            lines.append(f"    contract (deviations from the protocol): {'; '.join(v.deviations)}")
    return "\n".join(lines)


def gate_failed(verdicts: list[Verdict]) -> bool:
    """A CI gate fails on a FAIL verdict, on a driver with NO DATA (nothing was judged)
    and on any cell harness could not run."""
    return any(v.outcome in ("FAIL", "NO DATA") or v.errors for v in verdicts)
