"""pytest plugin: wiring only. Nothing heavy is imported until a fixture is used.

Fixture ``harness_replay``: serves the scenario named by ``@pytest.mark.harness_scenario``
to every httpx / httpx2 client created inside the test, on a virtual clock, and returns the
:class:`harness.transport.core.Replay` (request log, clock, remaining exchanges).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "LLM adapter conformance (harness)")
    group.addoption("--harness-scenarios", help="directory of scenario files")
    parser.addini("harness_scenarios", "directory of scenario files", default="scenarios")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "harness_scenario(path_or_id): serve this scenario to the test's clients"
    )


@pytest.fixture
def harness_replay(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The replay serving the marked scenario; httpx/httpx2 clients built inside use it."""
    from harness.fixture import open_replay

    with open_replay(request) as replay:
        yield replay
