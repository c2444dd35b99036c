"""Exceptions harness raises on purpose, so callers can catch one family and users read
where a problem is rather than a traceback.

Every one of them is a :class:`HarnessError`; each is defined next to the code that raises
it (its module in brackets below) and keeps the builtin base it always had, so
``except LookupError`` and pytest's reading of an ``AssertionError`` still hold. The CLI
(``harness.cli.app.main``) prints any of them as one line and exits 2.

Exception tree::

    HarnessError
    ├── ScenarioError (also a ValueError): a scenario file or text is not valid
    ├── DialectError (also a LookupError): an unknown dialect name  [harness.dialects]
    ├── DriverError (also a LookupError): an unknown or duplicate driver, a missing extra
    │                                                       [harness.drivers.base]
    ├── ExampleMissing (also an ImportError): a bundled example is not installed
    │                                                       [harness.drivers._examples]
    ├── DriverEnvironmentError: a driver's environment cannot be built  [harness.matrix.envs]
    ├── BaselineError (also a ValueError): an unreadable baseline  [harness.matrix.baseline]
    ├── CassetteError (also a ValueError): a cassette cannot be read, written or replayed
    │   │                                                       [harness.cassettes.model]
    │   └── CassetteMiss (also an AssertionError): a request the cassette has no answer for
    ├── ClockError (also a RuntimeError): a virtual clock misused  [harness.transport.clock]
    ├── NetworkBlocked (also a ConnectionError): a connection attempted during replay
    │                                                       [harness.transport.guard]
    ├── ReplayMiss (also an AssertionError): a request the script does not expect
    ├── ReplayIncomplete (also an AssertionError): scripted exchanges never requested
    ├── StaleClient (also an AssertionError): a client kept from an earlier cell
    ├── EndlessStall (also an AssertionError): a stall the client would wait out forever
    │                                                       [these four: harness.transport.core]
    ├── AdapterOutputError (also a TypeError): a declared adapter yields no harness events
    │                                                       [harness.plugin.declare]
    ├── ConformanceFailure (also an AssertionError): a suite cell failed its checks
    │                                                       [harness.plugin.suite]
    ├── FuzzFailed (also an AssertionError): a fuzzed driver failed  [harness.plugin.fuzz]
    └── FuzzFailure (also an AssertionError): check_driver found a failure
                                                            [harness.fuzz.runner]

Not in the tree, on purpose: :class:`~harness.transport.budget.AdapterHung` is a
``BaseException`` so that an adapter's ``except Exception`` retry loop cannot swallow the end
of its budget; ``RecordingDiscarded`` (harness.plugin.fixture_cassette) is a signal thrown
into a recording, never seen by a user; and the errors the built-in drivers raise on the
adapter's behalf (``AppError``, ``DownstreamError``, ``UnmappedEvent`` of the ASGI drivers)
stand for the adapter's own failures, which the checks classify, not for harness's.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["HarnessError", "ScenarioError"]


class HarnessError(Exception):
    """Base of every error harness raises deliberately."""


class ScenarioError(HarnessError, ValueError):
    """A scenario cannot be loaded: YAML syntax, encoding, or a field that breaks the contract.

    The message lists every problem, one per line, each as ``file:line: field: what was
    expected (got what came)``. ``file``, ``line``, ``column`` and ``field`` locate the first
    problem, for tools that jump to it; ``problems`` holds all the lines.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.problems: tuple[str, ...] = tuple(problems) or (message,)
