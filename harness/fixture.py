"""What the ``harness_replay`` fixture does, kept out of the plugin module so pytest
start-up imports nothing of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.clock import Clock
from harness.dialects import get_dialect
from harness.loader import load_scenario, load_scenarios
from harness.scenario import Scenario
from harness.transport import serving
from harness.transport.core import Replay

__all__ = ["open_replay", "resolve_scenario"]


def resolve_scenario(config: pytest.Config, ref: str | Path) -> Scenario:
    """A scenario by path, or by id from --harness-scenarios / the ini key."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario(path)
    folder = config.getoption("--harness-scenarios") or config.getini("harness_scenarios")
    for scenario in load_scenarios([Path(config.rootpath) / str(folder)]):
        if scenario.id == str(ref):
            return scenario
    raise pytest.UsageError(f"harness: no scenario {ref!r} in {folder}")


@contextmanager
def open_replay(request: pytest.FixtureRequest) -> Iterator[Any]:
    marker = request.node.get_closest_marker("harness_scenario")
    if marker is None or not marker.args:
        raise pytest.UsageError(
            "harness_replay needs @pytest.mark.harness_scenario('<file or id>'[, dialect=...])"
        )
    scenario = resolve_scenario(request.config, marker.args[0])
    dialect = get_dialect(marker.kwargs.get("dialect", "openai-chat"))
    clock = Clock()
    replay = Replay(dialect.synthesize(scenario), clock)
    with serving(replay):
        yield replay
