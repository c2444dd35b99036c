"""``harness bisect``: the first release of a package on which one cell (one scenario through
one driver) behaves differently from a known good release, in O(log n) environment builds,
and what changed between the last good and the first bad run.

*Different* means another outcome (status and error finding codes, as
:func:`harness.matrix.sweep.outcome` has it) than the good release's. The good release runs
first; then each probe halves the releases still in question, leaning towards the bad end so
that a bad release the search ends on without having run costs no more builds than the
other ends: ``ceil(log2(n)) + 1`` runs at most for ``n`` releases from good to bad. A release
that cannot be installed here is skipped (left out of the search).

The diff is semantic (:func:`harness.cassettes.diff.diff_transcripts`): the text, tool
calls, finish and errors the adapter yielded, each request's method, path and JSON body,
and the virtual waits between requests, plus the findings that came and went.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.matrix.sweep import outcome
from harness.run.cell import Cell
from harness.vocab.codes import Code
from harness.vocab.errors import HarnessError

__all__ = ["Bisection", "bisect", "cell_diff"]

Probe = Callable[[str], Cell]
"""Runs the cell on one release (building its environment when needed)."""


@dataclass
class Bisection:
    versions: list[str]
    """The releases searched, good first."""
    runs: dict[str, Cell] = field(default_factory=dict)
    """The release each run was on, in the order they ran, and its cell."""
    skipped: list[str] = field(default_factory=list)
    """Releases that could not be installed here."""
    last_good: str | None = None
    first_bad: str | None = None

    @property
    def found(self) -> bool:
        return self.first_bad is not None


def _unusable(cell: Cell) -> bool:
    return cell.setup is not None and cell.setup.code == Code.SETUP_ENVIRONMENT


def bisect(versions: Sequence[str], probe: Probe) -> Bisection:
    """Search ``versions`` (good first, bad last) with ``probe``."""
    if len(versions) < 2:
        raise HarnessError("bisect needs a good and a bad release")
    result = Bisection(list(versions))

    def run(version: str) -> Cell:
        if version not in result.runs:
            result.runs[version] = probe(version)
        return result.runs[version]

    good = run(versions[0])
    if _unusable(good):
        raise HarnessError(
            f"the good release {versions[0]} cannot be installed here: {good.reason}"
        )
    reference = outcome(good)
    candidates = list(versions)
    lo, hi = 0, len(candidates) - 1  # lo behaves as the good release; hi is taken as bad
    while hi - lo > 1:
        mid = (lo + hi + 1) // 2
        cell = run(candidates[mid])
        if _unusable(cell):
            result.skipped.append(candidates.pop(mid))
            hi -= 1
            continue
        if outcome(cell) == reference:
            lo = mid
        else:
            hi = mid
    bad = run(candidates[hi])
    if _unusable(bad):
        raise HarnessError(
            f"the bad release {candidates[hi]} cannot be installed here: {bad.reason}"
        )
    if outcome(bad) != reference:
        result.last_good, result.first_bad = candidates[lo], candidates[hi]
    return result


def cell_diff(good: Cell, bad: Cell) -> list[str]:
    """What changed from the good cell to the bad one: outcome, findings, then the
    transcripts' events, requests and waits."""
    from harness.cassettes.diff import diff_transcripts

    lines: list[str] = []
    if outcome(good) != outcome(bad):
        lines.append(f"outcome: {outcome(good)} -> {outcome(bad)}")
    before = {(f.code, f.message) for f in good.findings}
    after = {(f.code, f.message) for f in bad.findings}
    lines += [f"- finding {code}: {message}" for code, message in sorted(before - after)]
    lines += [f"+ finding {code}: {message}" for code, message in sorted(after - before)]
    a, b = good.transcript, bad.transcript
    if a is None or b is None:
        lines.append(
            "(no transcript on one side: " + (bad.reason if b is None else good.reason) + ")"
        )
        return lines
    left, right = a.model_dump(mode="json"), b.model_dump(mode="json")
    shared = min(len(a.requests), len(b.requests))  # requests sent on one side only: one line
    left["requests"], right["requests"] = left["requests"][:shared], right["requests"][:shared]
    lines += diff_transcripts(left, right)
    for sign, extra in (("-", a.requests[shared:]), ("+", b.requests[shared:])):
        lines += [
            f"{sign} request {shared + n + 1}: {r.method} {r.path} at {r.at:g}s"
            for n, r in enumerate(extra)
        ]
    if a.waits() != b.waits():
        lines.append(f"- waits between requests: {_seconds(a.waits())}")
        lines.append(f"+ waits between requests: {_seconds(b.waits())}")
    changed = {
        k: (a.versions.get(k), v) for k, v in sorted(b.versions.items()) if a.versions.get(k) != v
    }
    if changed:
        lines.append(
            "versions: " + ", ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items())
        )
    return lines


def _seconds(waits: list[float]) -> str:
    return "[" + ", ".join(f"{w:g}s" for w in waits) + "]" if waits else "(one request)"
