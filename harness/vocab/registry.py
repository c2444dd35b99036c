"""The entry points of a registry (``harness.drivers``, ``harness.dialects``): one list.

harness's own entries are the ones ``pyproject.toml`` declares. A source checkout reads them
from its ``pyproject.toml`` (so an entry added there works before the package is
reinstalled, and stale metadata of an older editable install cannot disagree); an installed
harness from its distribution's metadata, which ``pyproject.toml`` generated. Other
distributions' entry points of the group are merged in; a name registered twice with two
different targets is an error naming both (STYLE.md: registries fail loudly).
"""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import Any

__all__ = ["builtin_entry_points", "checkout_project", "checkout_root", "group_entry_points"]


def builtin_entry_points(group: str) -> dict[str, str]:
    """harness's own entries of ``group``, name -> ``module:attr``."""
    from harness import DIST_NAME

    project = checkout_project()
    if project is not None:
        declared = project.get("entry-points", {}).get(group, {})
        return {str(name): str(value) for name, value in declared.items()}
    try:
        dist = distribution(DIST_NAME)
    except PackageNotFoundError:
        return {}
    return {ep.name: ep.value for ep in dist.entry_points.select(group=group)}


def group_entry_points(group: str, error: type[Exception], kind: str) -> dict[str, EntryPoint]:
    """Every entry point of ``group``: harness's own, then other distributions'; ``error``
    (with ``kind``, e.g. "driver", in its message) when one name has two targets."""
    from harness import DIST_NAME

    found = {
        name: EntryPoint(name, value, group) for name, value in builtin_entry_points(group).items()
    }
    for ep in entry_points(group=group):
        if ep.dist is not None and ep.dist.name == DIST_NAME:
            continue  # harness's own: builtin_entry_points() has them (fresher in a checkout)
        if ep.name in found and found[ep.name].value != ep.value:
            raise error(
                f"{kind} {ep.name!r} is registered twice: {found[ep.name].value} and {ep.value}"
            )
        found[ep.name] = ep
    return found


CHECKOUT = Path(__file__).resolve().parents[2]
"""Where a source checkout of harness has its ``pyproject.toml``."""


def checkout_project() -> dict[str, Any] | None:
    """The ``[project]`` table of the checkout harness runs from, None when installed."""
    from harness import DIST_NAME

    pyproject = CHECKOUT / "pyproject.toml"
    if not pyproject.is_file():
        return None
    project: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8")).get(
        "project", {}
    )
    return project if project.get("name") == DIST_NAME else None


def checkout_root() -> Path | None:
    """The source checkout harness runs from, None when installed."""
    return CHECKOUT if checkout_project() is not None else None
