"""What makes a kept warm worker stale: a file it imported (or of harness's package) newer
than its start or gone, a different set of installed distributions; and what makes it load
the scenarios again."""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from harness.matrix.freshness import COARSE_MARGIN_NS, MARGIN_NS, Snapshot, scenario_stamp

HOUR_NS = 3600 * 1_000_000_000


@pytest.fixture(autouse=True)
def _without_modules_of_removed_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier tests may have imported modules from temporary directories now removed:
    out of this process's ``sys.modules`` for the test, they would make every snapshot
    stale."""
    for name, loaded in list(sys.modules.items()):
        path = getattr(loaded, "__file__", None)
        if isinstance(path, str) and not os.path.exists(path):
            monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A module imported from a directory on ``sys.path``, forgotten after the test."""
    (tmp_path / "fresh_probe.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("fresh_probe")
    sys.modules.pop("fresh_probe", None)


def later_than_everything() -> Snapshot:
    """A snapshot started after every file on disk was written (an hour from now)."""
    return Snapshot(time.time_ns() + HOUR_NS)


def test_nothing_changed_is_not_stale(module: ModuleType) -> None:
    assert later_than_everything().stale() is None


def test_an_imported_module_edited_after_the_start_is_stale(module: ModuleType) -> None:
    snapshot = later_than_everything()
    edited = snapshot.since_ns + 1_000_000_123
    os.utime(str(module.__file__), ns=(edited, edited))
    assert snapshot.stale() == f"{module.__file__} changed since the worker started"


def test_an_imported_module_removed_is_stale(module: ModuleType) -> None:
    snapshot = later_than_everything()
    os.remove(str(module.__file__))
    assert snapshot.stale() == f"{module.__file__} was removed since the worker started"


def test_a_file_time_a_coarse_clock_may_have_rounded_counts_as_newer(module: ModuleType) -> None:
    """Whole seconds (a file system that keeps no more) get the wide margin; a fine time
    just before the start is older."""
    snapshot = later_than_everything()
    path = str(module.__file__)
    whole = (snapshot.since_ns // 1_000_000_000) * 1_000_000_000 - COARSE_MARGIN_NS // 2
    os.utime(path, ns=(whole, whole))
    assert snapshot.stale() is not None
    fine = snapshot.since_ns - 2 * MARGIN_NS - 7
    os.utime(path, ns=(fine, fine))
    assert snapshot.stale() is None


def test_a_distribution_installed_after_the_start_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    snapshot = later_than_everything()
    (site / "newpkg-1.0.dist-info").mkdir()
    reason = snapshot.stale()
    assert reason is not None and "installed packages changed" in reason
    assert "newpkg-1.0.dist-info" in reason


def test_the_scenarios_stamp_changes_with_an_edit_or_a_new_file(tmp_path: Path) -> None:
    scenario = tmp_path / "a.yaml"
    scenario.write_text("id: a\n", encoding="utf-8")
    before = scenario_stamp([str(tmp_path)])
    assert scenario_stamp([str(tmp_path)]) == before
    scenario.write_text("id: a-longer\n", encoding="utf-8")
    edited = scenario_stamp([str(tmp_path)])
    assert edited != before
    (tmp_path / "b.yml").write_text("id: b\n", encoding="utf-8")
    assert len(scenario_stamp([str(tmp_path)])) == len(edited) + 1
