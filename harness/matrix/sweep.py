"""``harness sweep``: the same cells on several releases of one package, each release in an
environment of its own (:mod:`harness.matrix.version_envs`), and where each cell changed.

A cell *changed* at a release when its outcome there (status and error finding codes)
differs from its outcome at the release before; the first such release is what a maintainer
asks for after a red CI run. A release that cannot be installed on this Python is reported
(its cells are ``error`` with ``setup-environment``) and is not counted as a change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.matrix.run import run_matrix
from harness.matrix.version_envs import Source, version_environment
from harness.run.cell import Cell, error_cell
from harness.transport.budget import Budget
from harness.vocab.codes import Code
from harness.vocab.errors import HarnessError

__all__ = ["Change", "Sweep", "outcome", "run_sweep"]


def outcome(cell: Cell) -> str:
    """What a cell's result is, for telling whether it changed: status and error codes."""
    codes = cell.codes()
    return cell.status + (f" {','.join(codes)}" if codes else "")


@dataclass(frozen=True)
class Change:
    """A cell whose outcome at ``version`` differs from the release before (``since``)."""

    driver: str
    scenario: str
    since: str
    version: str
    before: str
    after: str


@dataclass
class Sweep:
    """Cells per release, releases oldest first."""

    package: str
    versions: list[str]
    drivers: list[str]
    scenarios: list[str]
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    built: dict[str, bool] = field(default_factory=dict)
    """Per release: whether its environment was built by this run (False: cached)."""
    unusable: dict[str, str] = field(default_factory=dict)
    """Releases whose environment could not be built, and why."""
    ran_on: dict[str, str] = field(default_factory=dict)
    """Per release: the package version the cells' transcripts recorded (when the driver
    records it): anything but the release itself means the environment did not take."""
    wall_seconds: float = 0.0

    def cell(self, version: str, driver: str, scenario: str) -> Cell | None:
        for c in self.cells.get(version, []):
            if c.driver == driver and c.scenario == scenario:
                return c
        return None

    def changes(self) -> list[Change]:
        """Every change, in driver, scenario, release order."""
        out: list[Change] = []
        usable = [v for v in self.versions if v not in self.unusable]
        for driver in self.drivers:
            for scenario in self.scenarios:
                previous: tuple[str, str] | None = None
                for version in usable:
                    c = self.cell(version, driver, scenario)
                    if c is None:
                        continue
                    now = outcome(c)
                    if previous is not None and previous[1] != now:
                        out.append(Change(driver, scenario, previous[0], version, previous[1], now))
                    previous = (version, now)
        return out


def _recorded(cell: Cell, package: str) -> str | None:
    if cell.transcript is None:
        return None
    wanted = package.lower().replace("_", "-")
    found = [
        v for k, v in cell.transcript.versions.items() if k.lower().replace("_", "-") == wanted
    ]
    return found[0] if found else None


def run_sweep(
    package: str,
    versions: Sequence[str],
    drivers: Sequence[str],
    scenario_paths: Sequence[Path],
    scenario_ids: Sequence[str],
    *,
    source: Source | None = None,
    budget: Budget | None = None,
    preload: Sequence[str] = (),
    on_version: Callable[[str, str], None] | None = None,
    jobs: int | None = None,
) -> Sweep:
    """Run the cells on every release in ``versions`` (oldest first); ``on_version(version,
    what)`` hears of each environment and run."""
    import time

    started = time.perf_counter()
    sweep = Sweep(package, list(versions), list(drivers), list(scenario_ids))
    for version in versions:
        say = on_version or (lambda _v, _w: None)
        try:
            python, built = version_environment(package, version, source)
        except HarnessError as exc:
            sweep.unusable[version] = str(exc).splitlines()[0]
            sweep.cells[version] = [
                error_cell(d, s, "", Code.SETUP_ENVIRONMENT, str(exc))
                for d in drivers
                for s in scenario_ids
            ]
            say(version, f"cannot be installed: {sweep.unusable[version]}")
            continue
        sweep.built[version] = built
        say(version, "environment built" if built else "environment cached")
        m = run_matrix(
            drivers,
            scenario_paths,
            scenario_ids,
            budget=budget,
            preload=preload,
            python=str(python),
            jobs=jobs,
        )
        sweep.cells[version] = m.cells
        recorded = {_recorded(c, package) for c in m.cells} - {None}
        if recorded:
            sweep.ran_on[version] = ", ".join(sorted(v for v in recorded if v))
        counts = m.counts()
        say(version, ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    sweep.wall_seconds = time.perf_counter() - started
    return sweep
