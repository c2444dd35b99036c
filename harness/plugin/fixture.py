"""What the harness fixtures do, kept out of the plugin module so pytest start-up imports none
of it: which scenarios a session uses, the virtual clock of a test, and the replay handle.

Time. ``harness_clock`` makes ``time.sleep``/``time.time``/``time.monotonic`` virtual in the
test's thread. asyncio timers follow only on a virtual event loop: make the test's loop with
:func:`virtual_loop_factory` (ini ``harness_virtual_asyncio = true`` does it for the
pytest-asyncio tests that use harness; for anyio, return ``("asyncio", {"loop_factory":
virtual_loop_factory})`` from the ``anyio_backend`` fixture). The loop and the test share one
clock, whichever of the two is made first. A virtual loop skips ahead whenever nothing is
ready, so a test doing real network I/O with timeouts should not run on one.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import pytest

from harness.dialects.script import Exchange, Script
from harness.plugin.fixture_cassette import cassette_path, open_cassette
from harness.scenario.model import Scenario
from harness.transport.clock import Clock, new_virtual_loop
from harness.transport.core import Replay, ReplayMiss
from harness.vocab.events import ErrorEvent, Event, RequestRecord, Transcript
from harness.vocab.findings import Finding

if TYPE_CHECKING:
    from harness.cassettes.record import Recorder

__all__ = [
    "ReplayHandle",
    "bundled_scenarios",
    "cassette_path",
    "configured_scenarios",
    "default_loop_factory",
    "open_clock",
    "open_replay",
    "resolve_scenario",
    "scenario_paths",
    "virtual_loop_factory",
]

DEFAULT_DIALECT = "openai-chat"
BASE_URL = "https://replay.harness.invalid"
"""The host a cassette's replay is given (any host is served)."""
API_KEY = "sk-harness-0000000000000000"

_scenarios_key = pytest.StashKey[list[Scenario]]()
_resolved_key = pytest.StashKey[dict[str, Scenario]]()
"""Scenario references (ids, paths) resolved in this session."""


# --------------------------------------------------------------------------- scenarios


def bundled_scenarios() -> Path | None:
    """The scenarios shipped with harness (package data, or the source checkout's folder)."""
    from harness.scenario.bundled import bundled_scenarios as locate

    return locate()


def scenario_paths(config: pytest.Config) -> list[Path]:
    """``--harness-scenarios`` (repeatable), else the ini key, else the bundled scenarios."""
    given: Sequence[str] = config.getoption("harness_scenarios") or ()
    if given:
        here = config.invocation_params.dir
        return [Path(p) if Path(p).is_absolute() else here / p for p in given]
    listed = config.getini("harness_scenarios")
    if listed:
        return [Path(p) for p in listed]
    bundled = bundled_scenarios()
    if bundled is None:
        raise pytest.UsageError(
            "harness: no scenarios: pass --harness-scenarios DIR or set harness_scenarios "
            "in the ini file (the bundled scenarios are not installed)"
        )
    return [bundled]


def configured_scenarios(config: pytest.Config) -> list[Scenario]:
    """The session's scenarios, loaded once. Raises ``ScenarioError`` (every problem listed)."""
    if _scenarios_key not in config.stash:
        from harness.scenario.load import load_scenarios

        config.stash[_scenarios_key] = load_scenarios(scenario_paths(config))
    return config.stash[_scenarios_key]


def resolve_scenario(config: pytest.Config, ref: str | Path | Scenario) -> Scenario:
    """A scenario given as an object, a file path, or an id (configured, then bundled)."""
    if isinstance(ref, Scenario):
        return ref
    resolved = config.stash.setdefault(_resolved_key, {})
    key = str(ref)
    if key not in resolved:  # once per session: every test of a module names the same one
        resolved[key] = _resolve(config, ref)
    return resolved[key]


def _resolve(config: pytest.Config, ref: str | Path) -> Scenario:
    from harness.scenario.load import load_scenario, load_scenarios

    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_scenario(path if path.is_absolute() else config.rootpath / path)
    ids: list[str] = []
    for scenario in configured_scenarios(config):
        if scenario.id == str(ref):
            return scenario
        ids.append(scenario.id)
    bundled = bundled_scenarios()
    if bundled is not None and bundled not in scenario_paths(config):
        candidate = bundled / f"{ref}.yaml"
        if candidate.is_file():
            return load_scenarios([candidate])[0]
    from harness.vocab.suggest import did_you_mean

    hint = f"known ids: {', '.join(ids[:12])}{', ...' if len(ids) > 12 else ''}"
    close = did_you_mean(str(ref), ids)
    raise LookupError(f"no scenario {str(ref)!r} (not a file, not an id){close}; {hint}")


# --------------------------------------------------------------------------- virtual time

_test_clocks: dict[int, Clock] = {}
"""Thread -> the clock ``harness_clock`` installed there (a loop made later adopts it)."""
_loops: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], Clock]] = {}
"""Thread -> the last virtual loop made there and its clock (a test made later adopts it)."""


def virtual_loop_factory() -> asyncio.AbstractEventLoop:
    """A loop factory for pytest-asyncio / anyio: timers run on the test's virtual clock."""
    ident = threading.get_ident()
    clock = _test_clocks.get(ident) or Clock()
    loop = new_virtual_loop(clock)
    _loops[ident] = (weakref.ref(loop), clock)
    return loop


def default_loop_factory() -> asyncio.AbstractEventLoop:
    """The loop pytest-asyncio makes when no factory is given: the current policy's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # policies are deprecated in 3.14
        return asyncio.get_event_loop_policy().new_event_loop()


def _open_loop_clock() -> Clock | None:
    entry = _loops.get(threading.get_ident())
    if entry is None:
        return None
    loop = entry[0]()
    return entry[1] if loop is not None and not loop.is_closed() else None


@contextmanager
def open_clock() -> Iterator[Clock]:
    """The test's clock, installed in its thread for the test's duration (the one open in
    this thread already, if any: ``harness_clock`` asked for after ``harness_replay``)."""
    with _TestClock() as clock:
        yield clock


class _TestClock:
    """:func:`open_clock` as a plain context manager: ``harness_replay`` opens the test's
    clock itself, not through the ``harness_clock`` fixture (a second fixture cost as much
    set-up as the rest of the replay). Adopts the clock open in this thread (so
    ``harness_clock`` and ``harness_replay`` share one, whichever comes first), else a
    virtual loop's, else a new one; only the outermost one forgets it on exit."""

    __slots__ = ("_ident", "_installed", "_outer", "clock")

    def __init__(self) -> None:
        self._ident = ident = threading.get_ident()
        self._outer = outer = _test_clocks.get(ident)
        self.clock = outer or _open_loop_clock() or Clock()
        self._installed = self.clock.installed()

    def __enter__(self) -> Clock:
        self._installed.__enter__()
        _test_clocks[self._ident] = self.clock
        return self.clock

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._outer is None:
                _test_clocks.pop(self._ident, None)
        finally:
            self._installed.__exit__(kind, error, trace)


# --------------------------------------------------------------------------- the replay


class ReplayHandle:
    """What ``harness_replay`` gives a test: the replay, its log, its clock, and checks.

    ``requests`` is every request the clients sent (matched or not), ``misses`` those the
    script did not expect. ``check(events)`` runs the scenario's expectations and invariants
    on events the test collected from its adapter.
    """

    def __init__(
        self,
        replay: Replay,
        *,
        scenario: Scenario | None,
        dialect: str | None,
        base_url: str | None = None,
    ) -> None:
        self.replay = replay
        self.scenario = scenario
        self.dialect = dialect
        self.base_url = base_url or BASE_URL
        """The dialect's provider URL (``https://api.openai.com``, ...; the marker's
        ``base_url=`` if given), served in-process: SDK clients need no ``base_url`` at all.
        OpenAI-style clients add ``/v1``. Any host is served."""
        self.api_key = API_KEY
        self.recorder: Recorder | None = None
        """For a cassette: the recording session (``recorder.replay`` is set when replaying)."""

    def __repr__(self) -> str:
        return f"<ReplayHandle {self.replay!r}>"

    @property
    def script(self) -> Script:
        return self.replay.script

    @property
    def clock(self) -> Clock:
        return self.replay.clock

    @property
    def requests(self) -> list[RequestRecord]:
        return self.replay.log

    @property
    def misses(self) -> list[ReplayMiss]:
        return self.replay.misses

    @property
    def remaining(self) -> tuple[Exchange, ...]:
        return self.replay.remaining

    def transport(self, library: str = "httpx") -> Any:
        """A transport for ``httpx``/``httpx2`` clients (sync and async) serving this replay."""
        from harness.transport import transport_for

        return transport_for(self.replay, library)

    def assert_all_served(self) -> None:
        """Raise the first unexpected request, or list the exchanges never requested."""
        self.replay.assert_all_served()

    def normalize(self, items: Iterable[Any], normalize: str = DEFAULT_DIALECT) -> list[Event]:
        """Map the adapter's own output items (chunks, a completion) onto harness events."""
        from harness.plugin.declare import normalizer

        mapper = normalizer(normalize)()
        events: list[Event] = []
        for item in items:
            events.extend(mapper.feed(item))
        events.extend(mapper.close())
        return events

    def transcript(
        self, events: Iterable[Event], *, error: BaseException | None = None, driver: str = "test"
    ) -> Transcript:
        """A transcript of ``events`` (plus ``error`` classified as the terminal event)."""
        collected = list(events)
        if error is not None:
            collected.append(_classified(error))
        return Transcript(
            scenario=self.scenario.id if self.scenario else (self.script.source or "script"),
            driver=driver,
            dialect=self.dialect or "",
            events=collected,
            requests=list(self.replay.log),
            virtual_seconds=round(self.clock.elapsed(), 6),
        )

    def check(
        self, events: Iterable[Event], *, error: BaseException | None = None
    ) -> list[Finding]:
        """Findings of the scenario's checks on these events (empty: the adapter conforms)."""
        from harness.checks import default_checks
        from harness.checks.subject import Run

        if self.scenario is None:
            raise TypeError("check() needs a scenario; this replay serves a cassette")
        run = Run(
            scenario=self.scenario,
            driver="test",
            dialect=self.dialect or "",
            script=self.script,
            transcript=self.transcript(events, error=error),
            unclosed_streams=len(self.replay.unclosed_streams()),
            misses=[str(m) for m in self.replay.misses],
        )
        run.checks = [check(run) for check in default_checks()]
        return [f for f in run.findings if f.severity == "error"]

    def assert_conforms(
        self, events: Iterable[Event], *, error: BaseException | None = None
    ) -> None:
        """Fail the test with every finding, rendered, when the events do not conform."""
        findings = self.check(events, error=error)
        if findings:
            where = self.scenario.where() if self.scenario else ""
            body = "\n".join(f.render() for f in findings)
            raise AssertionError(f"{len(findings)} finding(s) for {where}:\n{body}")

    def report(self) -> str:
        """The "harness" section of a failing test's report: source, log, misses, rest."""
        lines = [f"replay: {self.script.source or 'script'} ({self.dialect or 'cassette'})"]
        if self.scenario is not None:
            lines.append(f"scenario: {self.scenario.id} at {self.scenario.where()}")
        lines.append(f"virtual time: {self.clock.elapsed():.3f}s")
        lines.append(f"requests ({len(self.requests)}):")
        for i, r in enumerate(self.requests):
            served = f"exchange #{r.exchange}" if r.exchange is not None else "MISS"
            lines.append(f"  {i}: {r.method} {r.url} at {r.at:.3f}s -> {served}")
        if self.remaining:
            lines.append(f"never requested ({len(self.remaining)}):")
            lines += [f"  {e.describe()}" for e in self.remaining]
        for miss in self.misses:
            lines.append("miss: " + str(miss).replace("\n", "\n  "))
        for stale in self.replay.stale:
            lines.append(f"stale client (setup-stale-client): {stale}")
        return "\n".join(lines)


def stale_client_message(replay: Replay) -> str:
    """The setup error of a test whose client was built (and cached) in an earlier test."""
    return (
        "[setup-stale-client] harness could not serve this test: a client built in an earlier "
        f"test is cached and was used here, so this test's script was not served.\n"
        f"{replay.stale[0]}\nNothing about the adapter was judged."
    )


def _classified(error: BaseException) -> ErrorEvent:
    from harness.drivers.classify import classify

    return classify(error)


MARKER_KEYWORDS: dict[str, tuple[str, ...]] = {
    "harness_scenario": ("dialect", "assert_all_served", "allow_loopback", "base_url"),
    "harness_cassette": ("record_mode", "assert_all_served", "allow_loopback"),
}
"""The keyword arguments each marker takes; any other is a mistake, reported as one."""


def _checked_marker(request: pytest.FixtureRequest, name: str) -> pytest.Mark | None:
    mark = request.node.get_closest_marker(name)
    if mark is not None:
        unknown = sorted(set(mark.kwargs) - set(MARKER_KEYWORDS[name]))
        if unknown:
            pytest.fail(
                f"@pytest.mark.{name}: unknown keyword(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(MARKER_KEYWORDS[name])}",
                pytrace=False,
            )
    return cast("pytest.Mark | None", mark)


def _source(request: pytest.FixtureRequest) -> tuple[str, Any, dict[str, Any]]:
    """("scenario" | "cassette", reference, options) from the indirect param or a marker."""
    scenario_mark = _checked_marker(request, "harness_scenario")
    param = getattr(request, "param", None)
    if param is not None:
        options = dict(scenario_mark.kwargs) if scenario_mark else {}
        return "scenario", param, options
    if scenario_mark is not None and scenario_mark.args:
        return "scenario", scenario_mark.args[0], dict(scenario_mark.kwargs)
    cassette_mark = _checked_marker(request, "harness_cassette")  # looked up when needed
    if cassette_mark is not None:
        path = cassette_mark.args[0] if cassette_mark.args else None
        return "cassette", path, dict(cassette_mark.kwargs)
    pytest.fail(
        "harness_replay needs a scenario or a cassette: @pytest.mark.harness_scenario("
        "'<file or id>', dialect=...), @pytest.mark.harness_cassette(['<file>']), or "
        "@pytest.mark.parametrize('harness_replay', ['<id>', ...], indirect=True)",
        pytrace=False,
    )


def _scenario_replay(
    request: pytest.FixtureRequest, ref: Any, options: dict[str, Any], clock: Clock
) -> ReplayHandle:
    config = request.config
    name = str(options.get("dialect") or config.getini("harness_dialect") or DEFAULT_DIALECT)
    base_url = options.get("base_url")
    prepared = config.stash.setdefault(_prepared_key, {})
    key = (id(ref) if isinstance(ref, Scenario) else str(ref), name, base_url)
    entry = prepared.get(key)
    if entry is None or (isinstance(ref, Scenario) and entry.scenario is not ref):
        entry = prepared[key] = _prepare(config, ref, name, base_url)
    if entry.reason is not None:
        pytest.skip(entry.reason)
    assert entry.script is not None
    return ReplayHandle(
        Replay(entry.script, clock),  # the test's own replay of the session's script
        scenario=entry.scenario,
        dialect=entry.dialect,
        base_url=entry.base_url,
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What every test naming a scenario on a dialect shares for the session: the scenario,
    its compiled script (frozen: each test serves it through its own :class:`Replay`), the
    base URL, or why the dialect cannot serve it (the tests are skipped with it)."""

    scenario: Scenario
    dialect: str
    reason: str | None
    script: Script | None
    base_url: str


_prepared_key = pytest.StashKey[dict[tuple[Any, str, Any], _Prepared]]()
"""(scenario reference, dialect, base_url option) -> what its tests share, this session."""


def _prepare(config: pytest.Config, ref: Any, name: str, base_url: Any) -> _Prepared:
    """Resolve, check and compile once per session; a failure is not kept (each test
    naming it fails with it)."""
    from harness.dialects import DialectError, get_dialect
    from harness.dialects.compiled import compiled
    from harness.transport.hosts import base_url_for
    from harness.vocab.errors import HarnessError

    try:
        scenario = resolve_scenario(config, ref)
        dialect = get_dialect(name)
    except (HarnessError, LookupError, DialectError) as exc:
        pytest.fail(f"harness_replay: {exc}", pytrace=False)
    reason = dialect.supports(scenario)  # includes a scenario limited to other dialects
    if reason is not None:
        why = f"n/a: {scenario.id} on {dialect.name}: {reason}"
        return _Prepared(scenario, dialect.name, why, None, "")
    script = compiled(dialect, scenario)
    return _Prepared(scenario, dialect.name, None, script, base_url_for(dialect.name, base_url))


@contextmanager
def open_replay(request: pytest.FixtureRequest) -> Iterator[ReplayHandle]:
    """Serve the test's scenario (or cassette) to every httpx/httpx2 client made inside it,
    and to requests, urllib3, http.client and aiohttp clients through vcrpy (each body as one
    blob); the same replay answers all of them, so one log, one guard, one clock."""
    from harness.plugin.pytest_plugin import REPLAY_HANDLE
    from harness.transport import serving
    from harness.transport.blob import serving_blob
    from harness.transport.guard import no_network

    kind, ref, options = _source(request)
    if kind == "scenario":  # plain blocks, undone in reverse: no ExitStack per test
        # the clock open in this thread if any (harness_clock asked for first), so the
        # test's harness_clock, before or after this fixture, is this replay's clock
        with _TestClock() as clock:
            handle = _scenario_replay(request, ref, options, clock)
            replay = handle.replay
            replay.run_name = request.node.nodeid
            loopback = bool(options.get("allow_loopback"))
            with (  # the guard's and serving's patches stand until the session ends
                replay.active(),
                serving(replay, stay=True),
                serving_blob(replay),
                no_network(allow_loopback=loopback, proxy_env=True, stay=True),
            ):
                request.node.stash[REPLAY_HANDLE] = handle  # for the call's report
                try:
                    yield handle
                finally:  # items live as long as the session: none keeps its replay alive
                    del request.node.stash[REPLAY_HANDLE]
        _after(request, handle, options)
        return
    with ExitStack() as stack:
        handle = stack.enter_context(open_cassette(request, ref, options))
        handle.replay.run_name = request.node.nodeid
        stack.enter_context(handle.replay.active())
        if handle.recorder is None or handle.recorder.replay is not None:
            stack.enter_context(serving_blob(handle.replay))  # entered once, undone on exit
            loopback = bool(options.get("allow_loopback"))
            stack.enter_context(no_network(allow_loopback=loopback, proxy_env=True, stay=True))
        request.node.stash[REPLAY_HANDLE] = handle  # for the call's report
        try:
            yield handle
        finally:  # items live as long as the session: none keeps its test's replay alive
            del request.node.stash[REPLAY_HANDLE]
    _after(request, handle, options)


def _after(request: pytest.FixtureRequest, handle: ReplayHandle, options: dict[str, Any]) -> None:
    """What the test's replay says once it is over: a stale client, or exchanges unserved."""
    from harness.plugin.pytest_plugin import CALL_PASSED

    if handle.replay.stale:  # the test's own requests went to an earlier test's replay
        pytest.fail(f"harness_replay: {stale_client_message(handle.replay)}", pytrace=False)
    replaying = handle.recorder is None or handle.recorder.replay is not None
    strict = options.get("assert_all_served", True) and replaying
    if strict and request.node.stash.get(CALL_PASSED, False):
        try:
            handle.assert_all_served()
        except AssertionError as exc:
            hint = "(pass assert_all_served=False to the marker if the test means it)"
            pytest.fail(f"harness_replay: {exc}\n{hint}", pytrace=False)
