"""The Driver protocol, the context a driver runs in, and the registry."""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from harness.scenario.model import Scenario
from harness.vocab.errors import HarnessError
from harness.vocab.events import Event
from harness.vocab.registry import builtin_entry_points, group_entry_points

if TYPE_CHECKING:
    from harness.transport.clock import Clock
    from harness.transport.core import Replay

__all__ = [
    "Driver",
    "DriverBase",
    "DriverContext",
    "DriverError",
    "Kept",
    "builtin_drivers",
    "driver_names",
    "get_driver",
    "register",
    "scenario_for",
]

ENTRY_POINT_GROUP = "harness.drivers"
T = TypeVar("T")


class DriverError(HarnessError, LookupError):
    """An unknown or duplicate driver name, or a driver whose extra is missing."""


@dataclass
class DriverContext:
    """What a driver needs to point its adapter at the replay."""

    scenario: Scenario
    replay: Replay
    clock: Clock
    base_url: str = "https://replay.harness.invalid"
    api_key: str = "sk-harness-0000000000000000"
    options: dict[str, Any] = field(default_factory=dict)
    kept: Kept | None = None
    """Where a driver may keep its clients across the runs of one warm session (fuzzing);
    None: build them for this run."""

    def transport(self, library: str = "httpx") -> Any:
        """A transport for ``httpx``/``httpx2`` clients (sync and async) serving the replay."""
        from harness.transport import transport_for

        return transport_for(self.replay, library)


class Kept:
    """Clients a driver keeps across runs (see :class:`harness.run.warm.Warm`), by key.

    A driver that keeps one points its replay transport at each run's replay and clears
    what a client carries from one request to the next (cookies), so runs stay apart where
    it matters: the replay (its log and decisions) and the clock are new every run.
    """

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def get(
        self, key: Hashable, make: Callable[[], T], close: Callable[[T], Awaitable[object]]
    ) -> T:
        """The value kept under ``key``; ``make()`` it (to ``close`` at the end) if none."""
        if key not in self._made:
            value = make()
            self._made[key] = value
            self._closers.append(lambda: close(value))
        made: T = self._made[key]
        return made

    def forget(self) -> None:
        """Drop every kept client unclosed (their loop is gone)."""
        self._made.clear()
        self._closers.clear()

    async def aclose(self) -> None:
        """Close every kept client (on the loop they were used on)."""
        closers, self._closers = self._closers, []
        self._made.clear()
        for close in closers:
            await close()


class Driver(Protocol):
    """Runs one adapter against a replay and yields normalized events.

    ``run`` yields the adapter's output as events; an exception that escapes ``run`` is
    turned into the terminal error event by ``classify``.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    http_library: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    """Importable module names the adapter needs (checked without importing them)."""
    extra: ClassVar[str]
    """The pip extra that installs them."""

    def supports(self, scenario: Scenario) -> str | None:
        """None if this driver can run the scenario, else why not (an n/a cell)."""
        ...

    def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        """Drive the adapter with ``ctx.scenario.request`` and yield what it produced."""
        ...


def scenario_for(driver: Driver, scenario: Scenario) -> Scenario:
    """``scenario`` as ``driver``'s adapter makes the call: the driver's optional
    ``scenario_for(scenario)``, else the scenario itself.

    A driver defines it when its adapter can make a scenario's call only in a form the
    provider's protocol also allows and the scenario did not choose (the Azure AI Agents
    SDK streams a run only on a thread it names: the run is put on one). The attempts and
    the expectations are the scenario's; a driver that would have to change what is
    expected returns the scenario unchanged (and says n/a in ``supports``).
    """
    adapt = getattr(driver, "scenario_for", None)
    if adapt is None:
        return scenario
    adapted: Scenario = adapt(scenario)
    if adapted.attempts != scenario.attempts or adapted.expect != scenario.expect:
        raise DriverError(
            f"{driver.name}.scenario_for changed what {scenario.id} scripts or expects"
        )
    return adapted


class DriverBase:
    """What most drivers declare alike: they send with ``httpx`` (``http_library``) and run
    every scenario their dialect expresses (``supports`` gives None); a driver that differs
    overrides either."""

    http_library: ClassVar[str] = "httpx"
    distributions: ClassVar[tuple[str, ...]]
    """Installed distributions whose versions the transcript records."""

    def supports(self, scenario: Scenario) -> str | None:
        """None: the driver runs every scenario its dialect expresses."""
        return None


_registered: dict[str, Callable[[], Driver]] = {}


def register(name: str, factory: Callable[[], Driver]) -> None:
    """Register a driver in code (a user's own adapter); a duplicate name is an error."""
    if name in _registered or name in _entry_points():
        raise DriverError(f"driver {name!r} is already registered")
    _registered[name] = factory


def builtin_drivers() -> dict[str, str]:
    """harness's own drivers, name -> ``module:attr``: the ``harness.drivers`` entry points
    of pyproject.toml, the one list (:mod:`harness.vocab.registry`)."""
    return builtin_entry_points(ENTRY_POINT_GROUP)


def __getattr__(name: str) -> dict[str, str]:
    if name == "BUILTIN":  # the name this mapping had when it was written out here
        return builtin_drivers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _entry_points() -> dict[str, Any]:
    return group_entry_points(ENTRY_POINT_GROUP, DriverError, "driver")


def driver_names() -> list[str]:
    return sorted({*_entry_points(), *_registered})


def get_driver(name: str) -> Driver:
    """Instantiate a driver by name (imports its module, not its adapter), or by reference:
    ``module:attr`` or ``path/to/conftest.py::name`` (see :mod:`harness.drivers.resolve`)."""
    if name in _registered:
        return _registered[name]()
    eps = _entry_points()
    if name not in eps:
        from harness.drivers.resolve import is_reference, resolve_reference
        from harness.vocab.suggest import did_you_mean

        if is_reference(name):
            return resolve_reference(name)
        known = driver_names()
        raise DriverError(
            f"unknown driver {name!r}{did_you_mean(name, known)}\n  known: {', '.join(known)}"
            "\n  (or a driver of yours: module:attr, path/to/conftest.py::name, or a "
            "harness.drivers entry point)"
        )
    from harness.drivers.resolve import as_driver

    return as_driver(eps[name].load(), name, name)  # a class, a factory or a suite


def install_hint(extra: str) -> str:
    """The pip command that installs a driver's extra, with harness's distribution name."""
    from harness import DIST_NAME

    return f"pip install '{DIST_NAME}[{extra}]'" if extra else f"pip install {DIST_NAME}"


def driver_status(driver: Driver) -> str:
    """``installed`` only when the adapter's modules really import here; else what is wrong.

    ``find_spec`` alone is not enough: a module can be found yet fail to import (a broken
    or conflicting dependency), and a stand-in driver (an example absent from this
    install) has nothing to find. Imports the adapter, so it costs what its import costs.
    """
    if getattr(driver, "environment", ()):
        return "own environment"
    unavailable = getattr(driver, "unavailable", None)
    if unavailable:
        return f"unavailable: {unavailable}"
    missing = missing_requirements(driver)
    if missing:
        return f"missing {', '.join(missing)} ({install_hint(driver.extra)})"
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    for module in driver.requires:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any import failure means the adapter cannot run here
            return f"broken: import {module} fails: {type(exc).__name__}: {exc}"
    return "installed"


def missing_requirements(driver: Driver) -> list[str]:
    """Modules the driver's adapter needs that are not installed (nothing is imported)."""
    return [m for m in driver.requires if importlib.util.find_spec(m) is None]
