"""The conformance suite as pytest items: one per scenario x declared driver, and its reports.

Importing this module imports only pytest: the plugin uses it to check options at start-up.
Each item runs :func:`harness.run.runner.run_scenario` with the network blocked and keeps the
result as a :class:`~harness.run.cell.Cell`. The plugin copies the cell onto the test report, so
under pytest-xdist the cells travel to the controller with the reports and the matrix
reports (JSON, JUnit, Markdown) and the baseline are written once, there, in a stable order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugin.fuzz import fuzz_items
from harness.vocab.errors import HarnessError

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from harness.checks.subject import Run
    from harness.drivers.base import Driver
    from harness.matrix.baseline import Baseline
    from harness.plugin.declare import Conformance
    from harness.report.targets import ReportFormat, Target
    from harness.run.cell import Cell
    from harness.scenario.model import Scenario
    from harness.transport.budget import Budget

__all__ = [
    "ConformanceFailure",
    "ConformanceItem",
    "ConftestSuites",
    "Results",
    "driver_items",
    "report_targets",
    "select_shard",
    "suite_items",
]

_PLUGIN_FORMATS: dict[str, ReportFormat] = {"json": "json", "junit": "junit", "md": "md"}
"""The formats ``--harness-report`` writes (a suffix names them too: ``SUFFIXES``)."""
_baseline_key = pytest.StashKey["Baseline"]()


class ConformanceFailure(HarnessError, AssertionError):
    """A cell that failed its checks; the message is every finding, rendered."""

    def __init__(self, run: Run) -> None:
        self.run = run
        findings = [f for f in run.findings if f.severity == "error"]
        first = f"[{findings[0].code}] {findings[0].message}" if findings else "failed"
        more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
        head = [
            f"{first}{more}",
            f"scenario {run.scenario.id} ({run.scenario.where()}) x driver {run.driver} "
            f"({run.dialect}): {len(findings)} finding(s)",
            "",
        ]
        deviations = run.contract.deviations()
        tail = ["", "contract (deviations from the protocol): " + "; ".join(deviations)]
        body = head + [f.render() for f in findings] + (tail if deviations else [])
        super().__init__("\n".join(body))


def selected_drivers(config: pytest.Config) -> set[str] | None:
    names = config.getoption("harness_driver") or config.getini("harness_drivers")
    return set(names) if names else None


def _scenarios_or_error(parent: pytest.Collector) -> list[Scenario] | str:
    from harness.plugin.fixture import configured_scenarios
    from harness.vocab.errors import HarnessError

    try:
        return configured_scenarios(parent.config)
    except HarnessError as exc:
        return f"harness: cannot load the scenarios:\n{exc}"


class SuiteError(pytest.Collector):
    """Stands for a suite whose scenarios cannot load: collecting it reports the problem."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        raise self.CollectError(self.message)


def suite_items(
    parent: pytest.Collector, name: str, declared: Conformance
) -> list[pytest.Item | pytest.Collector]:
    """One item per scenario x driver of ``declared``, named ``name[dialect-scenario]``."""
    scenarios = _scenarios_or_error(parent)
    if isinstance(scenarios, str):
        return [SuiteError.from_parent(parent, name=name, message=scenarios)]
    wanted = selected_drivers(parent.config)
    items: list[pytest.Item | pytest.Collector] = []
    for driver in declared.drivers():
        if wanted is not None and driver.name not in wanted:
            continue
        items += fuzz_items(parent, name, [driver])  # --harness-fuzz=N
        for scenario in scenarios:
            items.append(
                ConformanceItem.from_parent(
                    parent,
                    name=f"{name}[{driver.dialect}-{scenario.id}]",
                    scenario=scenario,
                    driver=driver,
                )
            )
    return items


class ConftestSuites(pytest.File):
    """The suites declared with ``@conformance`` in a ``conftest.py``."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        module = self.config.pluginmanager.get_plugin(str(self.path))
        for name, declared in sorted(declared_in(module)):
            yield from suite_items(self, name, declared)


def declared_in(module: object) -> list[tuple[str, Conformance]]:
    from harness.plugin.declare import Conformance

    if module is None:
        return []
    return [(k, v) for k, v in vars(module).items() if isinstance(v, Conformance)]


class DriverSuites(pytest.Collector):
    """Registered drivers named by ``--harness-driver`` that no declared suite provides."""

    def __init__(self, *, names: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names = names

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        from harness.plugin.declare import suite

        for name in self.names:
            yield from suite_items(self, name, suite(name))


def driver_items(session: pytest.Session, collected: list[pytest.Item]) -> list[pytest.Item]:
    """Items for the registered drivers ``--harness-driver`` names and nothing collected."""
    from harness.drivers.base import driver_names

    wanted = selected_drivers(session.config)
    if not wanted:
        return []
    have = {i.driver.name for i in collected if isinstance(i, ConformanceItem)}
    names = sorted(n for n in wanted - have if n in driver_names())
    if not names:
        return []
    node = DriverSuites.from_parent(
        session, name="harness-drivers", nodeid="harness-drivers", names=names
    )
    items: list[pytest.Item] = []
    for child in node.collect():
        if isinstance(child, pytest.Item):
            items.append(child)
        else:  # a SuiteError: report it as the collection error it is
            raise pytest.UsageError(getattr(child, "message", str(child)))
    return items


class ConformanceItem(pytest.Item):
    """One scenario through one driver; fails with the findings, skips when n/a."""

    def __init__(self, *, scenario: Scenario, driver: Driver, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.driver = driver
        self.harness_cell: Cell | None = None
        self.harness_section: str | None = None
        self.add_marker("harness_conformance")

    def runtest(self) -> None:
        from harness.drivers.base import install_hint, missing_requirements
        from harness.run.cell import cell_from_run
        from harness.run.runner import run_scenario
        from harness.transport.guard import no_network

        missing = missing_requirements(self.driver)
        if missing:
            extra = getattr(self.driver, "extra", "")
            pytest.skip(f"not installed: {', '.join(missing)} ({install_hint(extra)})")
        budget = configured_budget(self.config)
        with no_network(), _hard_stop(budget.wall_seconds + HARD_STOP_GRACE):
            run = run_scenario(self.scenario, self.driver, budget=budget)
        self.harness_cell = cell_from_run(run)
        self.harness_section = _section(run)
        if run.status == "n/a":
            pytest.skip(f"n/a: {run.na_reason}")
        if run.setup is not None:  # not a finding, never excused by the baseline: it did not run
            pytest.fail(f"harness could not run this cell:\n{run.setup.render()}", pytrace=False)
        if run.status == "fail":
            known = _known_failure(self.config, self.harness_cell)
            if known is not None:
                pytest.xfail(f"known failure (baseline): {known}")
            raise ConformanceFailure(run)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ConformanceFailure):
            return (
                f"{excinfo.value}\nrerun: pytest {self.nodeid!r}\n   or: {self.harness_command()}"
            )
        return super().repr_failure(excinfo)

    def harness_command(self) -> str:
        """The ``harness run`` line that reproduces this cell, verbatim from the directory
        pytest was started in: a declared suite by ``its/conftest.py::name``."""
        import os
        import shlex

        from harness.plugin.declare import AdapterDriver

        here = self.config.invocation_params.dir

        def shown(path: Path) -> str:
            return shlex.quote(
                os.path.relpath(path, here) if path.is_relative_to(here) else str(path)
            )

        driver = self.driver.name
        if isinstance(self.driver, AdapterDriver):
            driver = f"{os.path.relpath(self.path, here)}::{driver}"
        source = self.scenario.source
        scenario = shown(Path(source).resolve()) if source else self.scenario.id
        return f"harness run {scenario} --driver {shlex.quote(driver)}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        source = self.scenario.source
        if source is None:
            return self.path, None, self.name
        line = int(self.scenario.where().rsplit(":", 1)[1]) - 1
        return Path(source), line, self.name


HARD_STOP_GRACE = 10.0
"""Seconds after a cell's wall budget before pytest itself is ended (see :func:`_hard_stop`)."""
_STDERR = os.dup(2)
"""The terminal's stderr, kept before pytest captures fd 2, for the hard stop's stacks."""


@contextmanager
def _hard_stop(seconds: float) -> Iterator[None]:
    """The last resort when a cell cannot be interrupted (stuck in C code, where neither the
    wall budget's signal nor an exception reaches it): ``faulthandler`` writes every thread's
    stack to the terminal and ends the pytest process, rather than letting it hang."""
    import faulthandler

    with os.fdopen(os.dup(_STDERR), "w") as stream:
        faulthandler.dump_traceback_later(seconds, exit=True, file=stream)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()


def configured_budget(config: pytest.Config) -> Budget:
    """The cell budget from ``--harness-wall-budget`` / ``--harness-virtual-budget`` or the
    ini options ``harness_wall_budget`` / ``harness_virtual_budget``."""
    from harness.transport.budget import budget_from

    def value(name: str) -> object:
        given = config.getoption(f"harness_{name}_budget", None)
        return given if given is not None else config.getini(f"harness_{name}_budget")

    try:
        return budget_from(value("wall"), value("virtual"))
    except ValueError as exc:
        raise pytest.UsageError(f"harness budget: {exc}") from None


def add_budget_options(group: Any, parser: pytest.Parser) -> None:
    """The per-cell budget's command-line and ini options (see docs/budgets.md)."""
    from harness.transport.budget import DEFAULT_VIRTUAL_SECONDS, DEFAULT_WALL_SECONDS

    for name, default, what in (
        ("wall", DEFAULT_WALL_SECONDS, "real seconds one conformance cell may take"),
        ("virtual", DEFAULT_VIRTUAL_SECONDS, "virtual seconds one conformance cell may wait"),
    ):
        group.addoption(
            f"--harness-{name}-budget",
            type=float,
            default=None,
            metavar="SECONDS",
            help=f"{what} (default: {default:g}); past it the cell fails as adapter-hung",
        )
        parser.addini(f"harness_{name}_budget", f"{what} (default: {default:g})", default="")


def _section(run: Run) -> str:
    """What the adapter yielded and sent, for the "harness" report section."""
    lines = [f"scenario: {run.scenario.where()}", f"driver: {run.driver} ({run.dialect})"]
    transcript = run.transcript
    if transcript is not None:
        lines.append(f"virtual time: {transcript.virtual_seconds:.3f}s")
        lines.append("events:")
        lines += [f"  {e.model_dump_json(exclude_defaults=True)}" for e in transcript.events]
        lines.append("requests:")
        lines += [
            f"  {r.method} {r.url} at {r.at:.3f}s -> "
            + (f"exchange #{r.exchange}" if r.exchange is not None else "MISS")
            for r in transcript.requests
        ]
    lines += [f"miss: {m}" for m in run.misses]
    return "\n".join(lines)


def _baseline(config: pytest.Config) -> Baseline:
    if _baseline_key not in config.stash:
        from harness.matrix.baseline import BaselineError, load_baseline

        path = baseline_path(config)
        try:
            config.stash[_baseline_key] = load_baseline(path) if path else {}
        except BaselineError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_baseline_key]


def baseline_path(config: pytest.Config) -> Path | None:
    given = config.getoption("harness_baseline") or config.getini("harness_baseline")
    if not given:
        return None
    path = Path(given)
    return path if path.is_absolute() else config.invocation_params.dir / path


def _known_failure(config: pytest.Config, cell: Cell) -> str | None:
    """The baseline's reason when it lists this failure with the same codes, else None."""
    from harness.matrix.baseline import compare

    if config.getoption("harness_update_baseline"):
        return None
    known = _baseline(config).get(cell.key)
    if known is None or compare([cell], _baseline(config)).regressions:
        return None
    return str(known.get("reason") or cell.reason)


# --------------------------------------------------------------------------- session results


class Results:
    """Cells gathered from test reports (in the xdist controller, or the only process)."""

    def __init__(self, started: float | None = None) -> None:
        self.cells: list[dict[str, Any]] = []
        self.started = started if started is not None else time.perf_counter()
        self.written: list[str] = []

    def matrix(self) -> Any:
        from harness.matrix.run import Matrix
        from harness.run.cell import Cell

        cells = [Cell.model_validate(c) for c in self.cells]
        cells.sort(key=lambda c: (c.driver, c.scenario))
        return Matrix(
            drivers=sorted({c.driver for c in cells}),
            scenarios=sorted({c.scenario for c in cells}),
            cells=cells,
            wall_seconds=time.perf_counter() - self.started,
        )

    def finish(self, config: pytest.Config) -> None:
        """Write the reports and, when asked, the baseline."""
        from harness.matrix.baseline import write_baseline
        from harness.report.targets import write

        if not self.cells:
            return
        m = self.matrix()
        for fmt, path in write(m, report_targets(config)):
            self.written.append(f"{fmt} report: {path}")
        target = baseline_path(config)
        if target is not None and config.getoption("harness_update_baseline"):
            write_baseline(target, m.cells, _baseline(config))
            self.written.append(f"baseline written: {target} ({len(m.cells)} cells)")

    def summary(self, config: pytest.Config) -> list[str]:
        from harness.matrix.baseline import compare

        if not self.cells:
            return []
        m = self.matrix()
        counts = m.counts()
        lines = [
            f"{len(m.cells)} cells: {counts['pass']} pass, {counts['fail']} fail, "
            f"{counts['n/a']} n/a, {counts['error']} error"
        ]
        declared = {c.driver: c.deviations for c in m.cells if c.deviations}
        lines += [f"contract of {d}: {'; '.join(devs)}" for d, devs in declared.items()]
        if baseline_path(config) and not config.getoption("harness_update_baseline"):
            fixes = compare(m.cells, _baseline(config)).fixes
            for cell, why in fixes:
                lines.append(f"better than the baseline: {cell.key}: {why}")
            if fixes:
                lines.append("update it with --harness-update-baseline")
        return lines + self.written


def report_targets(config: pytest.Config) -> list[Target]:
    """``--harness-report`` values as (format, path): ``md:PATH`` or a known suffix."""
    from harness.report.targets import SUFFIXES, Target

    out: list[Target] = []
    values = config.getoption("harness_report") or config.getini("harness_report")
    for value in values:
        fmt, sep, rest = str(value).partition(":")
        path = Path(rest if sep else value)
        found = _PLUGIN_FORMATS.get(fmt) if sep and rest else None
        if found is None:
            path = Path(value)
            found = SUFFIXES.get(path.suffix.lower())
        if found is None:
            raise pytest.UsageError(
                f"--harness-report {value!r}: expected a .json, .xml or .md path, or "
                "json:PATH / junit:PATH / md:PATH"
            )
        out.append(
            Target(found, path if path.is_absolute() else config.invocation_params.dir / path)
        )
    return out


def deselect_other_dialects(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios a suite's dialect cannot express are deselected, not skipped: a repository
    testing one OpenAI-chat client should not see every Azure scenario as a skip. With
    ``--harness-show-na`` they stay, as skips whose reason ``-rs`` shows."""
    if config.getoption("harness_show_na") or config.getini("harness_show_na"):
        return
    from harness.dialects import DialectError, get_dialect

    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if isinstance(item, ConformanceItem):
            try:
                why = get_dialect(item.driver.dialect).supports(item.scenario)
            except DialectError:
                why = None  # the run reports an unknown dialect itself
            if why is not None:
                dropped.append(item)
                continue
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def select_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--harness-shard K/N``: deselect the conformance cells of the other shards, split as
    ``harness matrix --shard`` splits (:func:`harness.matrix.shard.assign`, over the cells
    in collection order), so every pytest-xdist worker and every CI job agrees on the
    split. Other tests are not the suite's to split: they stay."""
    from harness.matrix.shard import Costs, ShardError, assign, load_costs, parse_shard

    try:
        shard = parse_shard(str(config.getoption("harness_shard")))
        costs_file = config.getoption("harness_costs")
        costs = load_costs(Path(costs_file) if costs_file else None)
    except ShardError as exc:
        raise pytest.UsageError(str(exc).replace("--", "--harness-", 1)) from None
    cells = list(
        dict.fromkeys(
            (i.driver.name, i.scenario.id) for i in items if isinstance(i, ConformanceItem)
        )
    )
    # one pytest process runs all of a shard's cells: a driver costs no start-up per shard
    costs = Costs(costs.cells, {driver: 0.0 for driver, _ in cells})
    mine = set(assign(cells, shard.count, costs)[shard.index - 1])
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        others = isinstance(item, ConformanceItem) and (
            (item.driver.name, item.scenario.id) not in mine
        )
        (dropped if others else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
