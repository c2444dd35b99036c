"""The outside project every plugin test starts from.

Why modules are imported here. An in-process inner run (``pytester.runpytest``) removes,
when it ends, every module first imported during it; a module imported before it (here, in
the outer process) is kept and shared. A kept module that holds on to something from a
removed one then mixes two copies in the next inner run:

- ``harness.dialects`` caches each dialect it loads (``functools.cache``): loaded first in
  an inner run, the cached dialect keeps that run's ``harness.scenario.model``, and the next
  run's scenarios (a new copy of the module) are not instances of its classes;
- PyYAML's C loader (``yaml._yaml``) cannot be imported twice: its nodes stay the first
  copy's and the second copy's constructor rejects them;
- vcrpy (``vcr.patch``) keeps the classes it patches as they were when it was imported.

So everything an inner run's ``harness_replay`` imports lazily is imported here, once:
the scenario loader, every dialect, and the vcrpy engine with the libraries it serves.
"""

from __future__ import annotations

import shutil

import pytest
import vcr.patch  # noqa: F401 - requests, urllib3, aiohttp: imported by vcrpy, once

import harness.plugin.fixture  # what harness_replay imports
import harness.transport.blob  # noqa: F401 - and its vcrpy engine
from harness.dialects import all_dialects
from harness.scenario.load import load_scenarios
from tests.plugin.outside import CLIENT, INI, PICKED, SCENARIOS

all_dialects()
load_scenarios([SCENARIOS / f"{PICKED[0]}.yaml"])  # PyYAML's C loader, loaded once


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An outside project: its client, five bundled scenarios, an ini; no harness code yet."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(chatclient=CLIENT)
    pytester.makeini(INI)
    folder = pytester.path / "scenarios"
    folder.mkdir()
    for name in PICKED:
        shutil.copy(SCENARIOS / f"{name}.yaml", folder)
    return pytester
