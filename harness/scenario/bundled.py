"""Where the bundled scenarios are, found the same way by every command and the plugin.

A wheel carries them as the data-only package ``harness.bundled`` (``harness/bundled/``,
mapped from the repository's top-level ``scenarios/`` folder by setup.py); a source checkout
(or an editable install of one) has them beside the package. Neither depends on the working
directory, so ``harness matrix`` works from ``docs/`` or from a user's repository alike.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.vocab.errors import HarnessError

__all__ = ["bundled_scenarios", "default_scenario_paths", "display_path", "scenario_file"]


def bundled_scenarios() -> Path | None:
    """The folder of the bundled scenarios, or None when this install has none."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "bundled", package.parent / "scenarios"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    return None


def display_path(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (shorter messages:
    ``scenarios/text-plain.yaml:2`` in the checkout), else absolute."""
    try:
        return Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
    except ValueError:  # another drive on Windows
        return path


def default_scenario_paths() -> list[Path]:
    """What a command runs when no ``--scenarios`` is given: the bundled scenarios."""
    bundled = bundled_scenarios()
    if bundled is None:
        raise HarnessError(
            "no bundled scenarios in this install of harness; pass --scenarios DIR "
            "(a folder of scenario YAML files)"
        )
    return [display_path(bundled)]


def scenario_file(given: Path) -> Path:
    """``given`` when it is a file; else a bundled scenario of that id (``harness run
    text-plain --driver ...`` works from anywhere); else ``given``, for its load error."""
    if given.exists() or given.suffix in (".yaml", ".yml"):
        return given
    bundled = bundled_scenarios()
    candidate = bundled / f"{given.name}.yaml" if bundled is not None else None
    return display_path(candidate) if candidate is not None and candidate.is_file() else given
