"""The cassette side of ``harness_replay``: where a test's cassette lives, whether the test
records it (talks to the real server, on real time) or replays it, and what happens to a
recording whose test failed (it is not written).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from harness.cassettes.modes import RecordMode
from harness.dialects.script import Script
from harness.transport.clock import Clock
from harness.transport.core import Replay

if TYPE_CHECKING:
    from harness.plugin.fixture import ReplayHandle

__all__ = ["RecordingDiscarded", "cassette_path", "open_cassette", "records"]


def cassette_path(request: pytest.FixtureRequest, ref: Any) -> Path:
    """The marker's path (relative to the test file), or ``cassettes/<module>/<test>.yaml``."""
    return _cassette_file(Path(request.path), request.node.name, ref)


def _cassette_file(test_file: Path, test_name: str, ref: Any) -> Path:
    here = test_file.parent
    if ref is None:
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in test_name)
        return here / "cassettes" / test_file.stem / f"{name}.yaml"
    path = Path(ref)
    return path if path.is_absolute() else here / path


def _record_mode(request: pytest.FixtureRequest, options: dict[str, Any]) -> str:
    return _mode_of(request.config, options)


def _mode_of(config: pytest.Config, options: dict[str, Any]) -> str:
    mode = options.get("record_mode") or config.getoption("harness_record_mode")
    return str(mode or config.getini("harness_record_mode") or RecordMode.NONE)


def _live(mode: str, path: Path) -> bool:
    return mode in RecordMode.names() and RecordMode(mode).records(path)


def records(item: pytest.Item) -> bool:
    """Whether ``item`` will record its cassette (talk to the real server): such a test must
    run on a real event loop, whatever ``harness_virtual_asyncio`` says, or the SDK's
    timeouts fire at once on virtual time and cut the recording."""
    mark = item.get_closest_marker("harness_cassette")
    if mark is None or item.get_closest_marker("harness_scenario") is not None:
        return False
    path = _cassette_file(Path(str(item.path)), item.name, mark.args[0] if mark.args else None)
    return _live(_mode_of(item.config, dict(mark.kwargs)), path)


class RecordingDiscarded(Exception):
    """Thrown into the recording when its test failed: nothing is written, so the cassette
    stays as it was (absent: ``once`` records again next time)."""


@contextmanager
def open_cassette(
    request: pytest.FixtureRequest, ref: Any, options: dict[str, Any]
) -> Iterator[ReplayHandle]:
    """Replay (or record, per the record mode) the cassette for the test's clients.

    Replaying runs on the test's virtual clock with the network blocked; recording talks to
    the real server in real time (a virtual clock would skip the waits a real server needs).
    """
    from harness.cassettes import CassetteError, recording
    from harness.plugin.fixture import ReplayHandle
    from harness.plugin.pytest_plugin import CALL_PASSED

    path = cassette_path(request, ref)
    mode = _record_mode(request, options)
    live = _live(mode, path)
    clock = Clock() if live else request.getfixturevalue("harness_clock")
    with ExitStack() as stack:
        try:
            recorder = stack.enter_context(recording(path, cast(Any, mode), clock=clock))
        except CassetteError as exc:
            pytest.fail(f"harness_cassette: {exc}", pytrace=False)
        replay = recorder.replay or Replay(Script((), source=str(path)), clock)
        handle = ReplayHandle(replay, scenario=None, dialect=None)
        handle.recorder = recorder
        yield handle
        if live and not request.node.stash.get(CALL_PASSED, False):
            discarded = RecordingDiscarded(f"{path}: the test failed while recording")
            stack.__exit__(RecordingDiscarded, discarded, None)  # recording() writes nothing
            return
        try:
            stack.close()
        except CassetteError as exc:
            pytest.fail(f"harness_cassette: {exc}", pytrace=False)
