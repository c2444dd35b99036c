"""The outside project every plugin test starts from."""

from __future__ import annotations

import shutil

import pytest

# In-process inner runs (pytester.runpytest) drop the modules first imported during the run,
# and PyYAML's C loader does not survive a second import: import harness's modules here, in
# the outer process, so every inner run shares one copy.
from tests.plugin.outside import CLIENT, INI, PICKED, SCENARIOS


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
