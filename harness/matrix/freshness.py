"""Whether a kept warm worker still runs the code on disk, and its scenarios' cache key.

A warm worker kept between ``harness matrix --keep-workers`` runs (:mod:`harness.matrix.kept`)
imported harness, the drivers and their adapters when it started. When any of those files
changed since (the user edited a check, a driver, a conftest.py driver, or reinstalled a
package), its verdicts would be the old code's: :meth:`Snapshot.stale` says what changed, and
the matrix starts a new worker. Two signs, both cheap (a few thousand ``stat`` calls):

- a module it imported, or any file of harness's own package, whose file is newer than the
  moment the worker was started (edits, ``git checkout``, a rebuilt extension), or is gone;
- a different set of installed distributions (``*.dist-info``, ``*.egg-info``, ``.pth``) on
  its ``sys.path``: an install, an upgrade, an uninstall, even of a package not yet imported.

Scenarios are not code: the worker reloads them when their files change
(:func:`scenario_stamp`), without a restart.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["COARSE_MARGIN_NS", "MARGIN_NS", "Snapshot", "scenario_stamp"]

MARGIN_NS = 20_000_000
"""File times come from a coarse clock (a kernel tick) that can lag the one the start was read
from: a file written up to this long before the start counts as newer (one restart too many,
never one too few)."""
COARSE_MARGIN_NS = 2_000_000_000
"""The same for a file system that keeps whole seconds (or two, FAT): its file times are
rounded down."""

_INSTALLED = (".dist-info", ".egg-info", ".egg-link", ".pth")


def _installed() -> dict[str, int]:
    """Every installed distribution on ``sys.path``, with when its metadata was written."""
    found: dict[str, int] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, or a directory that is not there
            continue
        for name in names:
            if name.endswith(_INSTALLED):
                path = os.path.join(entry or ".", name)
                try:
                    found[path] = os.stat(path).st_mtime_ns
                except OSError:
                    continue
    return found


def _imported() -> list[str]:
    """The file of every module imported."""
    files = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    return [path for path in files if isinstance(path, str)]


def _package_files() -> list[str]:
    """Every file of harness's own package, its data too (the JSON schemas it validates
    with), and modules added to it."""
    files: list[str] = []
    for folder, dirs, names in os.walk(Path(__file__).resolve().parents[1]):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        files += [os.path.join(folder, name) for name in names]
    return files


@dataclass
class Snapshot:
    """What a warm worker was started with: the time, and the installed distributions."""

    since_ns: int
    """When the matrix started the worker (``time.time_ns()``, before it imported anything)."""
    installed: dict[str, int] = field(default_factory=_installed)

    def stale(self) -> str | None:
        """What changed on disk since the worker started (None: nothing it depends on)."""
        for path in [*_imported(), *_package_files()]:
            try:
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                return f"{path} was removed since the worker started"
            coarse = mtime % 1_000_000_000 == 0
            if mtime > self.since_ns - (COARSE_MARGIN_NS if coarse else MARGIN_NS):
                return f"{path} changed since the worker started"
        now = _installed()
        if now != self.installed:
            changed = sorted(set(now.items()) ^ set(self.installed.items()))
            return f"installed packages changed since the worker started ({changed[0][0]})"
        return None


def scenario_stamp(paths: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """What loading ``paths`` depends on: each path, and each scenario file in a directory,
    with its modification time and size (a file added to a directory changes the
    directory's time)."""
    stamp: list[tuple[str, int, int]] = []
    for item in paths:
        path = Path(item)
        files = [path]
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        for file in files:
            try:
                st = file.stat()
            except OSError:
                stamp.append((str(file), -1, -1))
                continue
            stamp.append((str(file), st.st_mtime_ns, st.st_size))
    return tuple(stamp)
