"""pytest plugin: wiring only. Nothing of harness is imported until a fixture or suite is used.

Fixtures:

- ``harness_replay``: serves the scenario named by ``@pytest.mark.harness_scenario`` (or an
  indirect parameter, or ``@pytest.mark.harness_cassette``) to every httpx / httpx2 client
  created inside the test, SDK clients included, with the network blocked; returns a
  :class:`harness.plugin.fixture.ReplayHandle` (``requests``, ``clock``, ``script``,
  ``assert_all_served()``, ``check(events)``).
- ``harness_clock``: the test's virtual :class:`harness.transport.clock.Clock`, installed for
  ``time.sleep``/``time.time``/``time.monotonic`` in the test's thread.
- ``harness_record_mode``: the cassette record mode in effect.

Suites: a function decorated with :func:`harness.plugin.declare.conformance` in a
``conftest.py`` (or a ``test_*`` one in a test module) becomes one test per scenario, named
``<name>[<dialect>-<scenario>]``; ``--harness-report`` writes the matrix of their results.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.cassettes.modes import RecordMode

if TYPE_CHECKING:
    from harness.plugin.fixture import ReplayHandle
    from harness.transport.clock import Clock

__all__ = ["CALL_PASSED", "RECORD_MODES", "REPLAY_HANDLE"]

REPLAY_HANDLE = pytest.StashKey["ReplayHandle"]()
"""The handle of the test's ``harness_replay``, for the report section."""
CALL_PASSED = pytest.StashKey[bool]()
"""Whether the test's call phase passed (unserved exchanges are checked only then)."""

RECORD_MODES = RecordMode.names()
"""The record modes' spellings (see :class:`~harness.cassettes.modes.RecordMode`)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "LLM adapter conformance (harness)")
    group.addoption(
        "--harness-scenarios",
        action="append",
        metavar="PATH",
        help="scenario directory or file (repeatable; default: ini harness_scenarios, "
        "else the scenarios bundled with harness)",
    )
    group.addoption(
        "--harness-driver",
        action="append",
        metavar="NAME",
        help="run the conformance suite only for these drivers (repeatable); a registered "
        "driver no suite declares gets a suite of its own",
    )
    group.addoption(
        "--harness-fuzz",
        type=int,
        default=0,
        metavar="N",
        help="also fuzz every suite's driver with N generated examples (after one scenario "
        "per wire case); the seed is fixed per driver",
    )
    group.addoption(
        "--harness-report",
        action="append",
        metavar="PATH",
        help="write the conformance matrix: .json, .xml (JUnit) or .md, or json:/junit:/md: "
        "before any path (e.g. md:$GITHUB_STEP_SUMMARY); repeatable",
    )
    group.addoption(
        "--harness-baseline",
        metavar="FILE",
        help="known failures: a failing cell listed there with the same codes is xfail",
    )
    group.addoption(
        "--harness-update-baseline",
        action="store_true",
        default=False,
        help="rewrite --harness-baseline from this run",
    )
    group.addoption(
        "--harness-show-na",
        action="store_true",
        default=False,
        help="keep scenarios a suite's dialect cannot express, as skips (default: deselected)",
    )
    group.addoption(
        "--harness-shard",
        metavar="K/N",
        help="run only shard K of N of the conformance suite (the split of harness matrix "
        "--shard; merge the shards' --harness-report JSON files with harness merge)",
    )
    group.addoption(
        "--harness-costs",
        metavar="REPORT.json",
        help="balance --harness-shard by the cell times of this earlier JSON report",
    )
    group.addoption(
        "--harness-record-mode",
        choices=RECORD_MODES,
        default=None,
        help=f"cassette record mode for @pytest.mark.harness_cassette (default: {RecordMode.NONE})",
    )
    from harness.plugin.suite import add_budget_options  # imports only pytest

    add_budget_options(group, parser)  # --harness-wall-budget, --harness-virtual-budget
    parser.addini("harness_scenarios", "scenario directories or files", type="paths")
    parser.addini("harness_drivers", "drivers the conformance suite runs", type="args")
    parser.addini("harness_report", "conformance report paths", type="args")
    parser.addini("harness_baseline", "baseline file of known failures", default="")
    parser.addini("harness_record_mode", "cassette record mode", default=RecordMode.NONE.value)
    parser.addini(
        "harness_show_na", "keep other dialects' scenarios as skips", type="bool", default=False
    )
    parser.addini("harness_dialect", "harness_replay's default dialect", default="openai-chat")
    parser.addini(
        "harness_virtual_asyncio",
        "pytest-asyncio tests using harness_replay/harness_clock run on a virtual-time loop",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "harness_scenario(path_or_id, *, dialect='openai-chat', assert_all_served=True, "
        "allow_loopback=False): serve this scenario to the test's HTTP clients",
        "harness_cassette(path=None, *, record_mode=None, assert_all_served=True, "
        "allow_loopback=False): replay (or record) this cassette for the test's HTTP clients; "
        "default path cassettes/<module>/<test>.yaml",
        "harness_conformance: a conformance-suite test generated by harness",
    ):
        config.addinivalue_line("markers", line)
    if config.getoption("harness_report") or config.getini("harness_report"):
        from harness.plugin.suite import report_targets

        report_targets(config)  # a bad format fails now, not after the run
    mode = config.getini("harness_record_mode")
    if mode not in RECORD_MODES:
        raise pytest.UsageError(f"harness_record_mode = {mode!r}: expected one of {RECORD_MODES}")
    if config.getini("harness_virtual_asyncio") and config.pluginmanager.has_plugin("asyncio"):
        config.pluginmanager.register(_VirtualAsyncio(), "harness-virtual-asyncio")
    _check_baseline(config)
    config.pluginmanager.register(_Session(config), "harness-session")


def _check_baseline(config: pytest.Config) -> None:
    """A missing baseline file is an error (a typo would silently make every known failure
    a new one), except when this run creates it."""
    given = config.getoption("harness_baseline") or config.getini("harness_baseline")
    if not given or config.getoption("harness_update_baseline"):
        return
    path = Path(given)
    path = path if path.is_absolute() else config.invocation_params.dir / path
    if not path.is_file():
        raise pytest.UsageError(
            f"harness: baseline {path} does not exist; create it from a run with: "
            f"pytest --harness-baseline={given} --harness-update-baseline"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """``--harness-scenarios /abs/path`` (space form) must not choose pytest's rootdir."""
    if any(
        a in ("--harness-scenarios", "--harness-baseline", "--harness-report")
        for a in early_config.invocation_params.args
    ):
        from harness.plugin.paths import redo_rootdir

        redo_rootdir(early_config)


class _VirtualAsyncio:
    """pytest-asyncio's loop factory hook: tests using harness run on a virtual-time loop,
    every other test on the loop it would have had; so does a test recording its cassette
    (a real server needs real time)."""

    def pytest_asyncio_loop_factories(self, config: pytest.Config, item: pytest.Item) -> Any:
        from harness.plugin.fixture import default_loop_factory, virtual_loop_factory
        from harness.plugin.fixture_cassette import records

        names = set(getattr(item, "fixturenames", ()))
        marked = any(item.get_closest_marker(m) for m in ("harness_scenario", "harness_cassette"))
        if (marked or names & {"harness_replay", "harness_clock"}) and not records(item):
            return {"harness-virtual-time": virtual_loop_factory}
        return {"asyncio": default_loop_factory}


# --------------------------------------------------------------------------- collection


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Suites declared in a ``conftest.py`` (only once harness.plugin.declare is in use)."""
    if file_path.name != "conftest.py" or "harness.plugin.declare" not in sys.modules:
        return None
    module = parent.config.pluginmanager.get_plugin(str(file_path))
    if module is None or not any(_is_suite(v) for v in vars(module).values()):
        return None
    from harness.plugin.suite import ConftestSuites

    return ConftestSuites.from_parent(parent, path=file_path)


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Any:
    """A ``test_*`` name bound to an ``@conformance`` suite becomes one item per scenario."""
    if not _is_suite(obj) or not collector.funcnamefilter(name):  # type: ignore[attr-defined]
        return None
    from harness.plugin.suite import suite_items

    return suite_items(collector, name, obj)  # type: ignore[arg-type]


def _is_suite(obj: object) -> bool:
    return getattr(type(obj), "__harness_suite__", False) is True


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    if session.config.getoption("harness_driver") or session.config.getini("harness_drivers"):
        from harness.plugin.suite import driver_items

        items.extend(driver_items(session, items))
    if "harness.plugin.suite" in sys.modules:  # only once a suite was collected
        from harness.plugin.suite import deselect_other_dialects

        deselect_other_dialects(session.config, items)
        if session.config.getoption("harness_shard"):
            from harness.plugin.suite import select_shard

            select_shard(session.config, items)


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """Say so when ``--harness-driver`` names something no collected suite runs."""
    wanted = config.getoption("harness_driver") or config.getini("harness_drivers")
    if not wanted:
        return []
    found = {getattr(getattr(i, "driver", None), "name", None) for i in items}
    return [
        f"harness: --harness-driver {name} matched no collected suite and no registered driver"
        for name in wanted
        if name not in found
    ]


# --------------------------------------------------------------------------- patches


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Lift the patches replayed tests left standing (the guard's and ``serving``'s: armed
    per test, calling straight through in between), so nothing of harness's outlives the
    session."""
    seams = sys.modules.get("harness.transport.seams")  # not imported: nothing stands
    if seams is not None:
        seams.lift()


# --------------------------------------------------------------------------- reporting


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when != "call":
        return report
    item.stash[CALL_PASSED] = report.passed
    cell = getattr(item, "harness_cell", None)
    if cell is not None:
        report.harness_cell = cell.model_dump(mode="json")  # type: ignore[attr-defined]
        section = getattr(item, "harness_section", None)
        if section and not report.passed:
            report.sections.append(("harness", section))
    handle = item.stash.get(REPLAY_HANDLE, None)
    if handle is not None and report.failed:
        text = handle.report()
        if call.excinfo is not None:
            from harness.transport.blocked import blocked_reason

            blocked = blocked_reason(call.excinfo.value)
            text += f"\nblocked: {blocked}" if blocked else ""
        report.sections.append(("harness", text))
    return report


class _Session:
    """Per-run state: gathers the suite's cells from the reports and writes the reports.

    Under pytest-xdist the cells arrive with the workers' reports, so only the controller
    (or a run without xdist) keeps them and writes files.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: Any = None
        self.started = time.perf_counter()

    def _collecting(self) -> bool:
        return not hasattr(self.config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        cell = getattr(report, "harness_cell", None)
        if cell is None or report.when != "call" or not self._collecting():
            return
        if self.results is None:
            from harness.plugin.suite import Results

            self.results = Results(self.started)
        self.results.cells.append(cell)

    def pytest_sessionfinish(self) -> None:
        if self.results is not None:
            self.results.finish(self.config)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.results is None:
            return
        terminalreporter.section("harness")
        for line in self.results.summary(self.config):
            terminalreporter.write_line(line)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def harness_clock() -> Iterator[Clock]:
    """The test's virtual clock: ``time.sleep`` in the test's thread advances it instantly."""
    from harness.plugin.fixture import open_clock

    with open_clock() as clock:
        yield clock


@pytest.fixture
def harness_replay(request: pytest.FixtureRequest) -> Iterator[ReplayHandle]:
    """Serve the marked scenario (or cassette) to every httpx/httpx2 client made in the test.

    Replays run on ``harness_clock``; recording a cassette runs in real time.
    """
    from harness.plugin.fixture import open_replay

    with open_replay(request) as handle:
        yield handle


@pytest.fixture
def harness_record_mode(request: pytest.FixtureRequest) -> str:
    """The cassette record mode: the marker's, else ``--harness-record-mode``, else the ini."""
    marker = request.node.get_closest_marker("harness_cassette")
    if marker is not None and marker.kwargs.get("record_mode"):
        return str(marker.kwargs["record_mode"])
    mode = request.config.getoption("harness_record_mode")
    return str(mode or request.config.getini("harness_record_mode"))
