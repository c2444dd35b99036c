"""How a driver environment is chosen and built: which installer (uv, else pip), which
pins (``constraints/<driver>.txt``), the newest releases for ``harness matrix --latest``,
and re-running a ``harness`` command with an environment's Python. The environments
themselves (naming, building, refreshing) are :mod:`harness.matrix.envs`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "CONSTRAINTS_VARIABLE",
    "INSTALLER_VARIABLE",
    "LATEST_VARIABLE",
    "constraints_for",
    "install_command",
    "installer",
    "latest_requirements",
    "run_in_environment",
]

CONSTRAINTS_VARIABLE = "HARNESS_CONSTRAINTS"
"""A folder of ``<driver>.txt`` pip constraints files for the driver environments."""

LATEST_VARIABLE = "HARNESS_LATEST"
"""``1``: run every driver on the newest releases (``harness matrix --latest``)."""

INSTALLER_VARIABLE = "HARNESS_INSTALLER"
"""``pip`` or ``uv``: which installer builds environments (default: uv when found)."""


def constraints_for(driver_name: str) -> Path | None:
    """``$HARNESS_CONSTRAINTS/<driver>.txt``: the pins the driver's environment is built
    with (``make conformance`` points the variable at ``constraints/``), or None."""
    folder = os.environ.get(CONSTRAINTS_VARIABLE)
    if not folder:
        return None
    path = Path(folder) / f"{driver_name.replace('/', '_')}.txt"
    return path.resolve() if path.is_file() else None


def latest_requirements(driver_name: str) -> tuple[str, ...]:
    """What ``harness matrix --latest`` installs for a driver, unpinned: its own
    ``environment``, else its extra's requirements as harness declares them."""
    from harness.drivers.base import get_driver

    driver = get_driver(driver_name)
    declared = tuple(getattr(driver, "environment", ()))
    if declared:
        return declared
    extra = getattr(driver, "extra", "")
    from harness.vocab.registry import checkout_project

    if not extra:
        return ()
    project = checkout_project()
    if project is not None:
        return tuple(project.get("optional-dependencies", {}).get(extra, []))
    from importlib.metadata import PackageNotFoundError, requires

    from harness import DIST_NAME

    try:
        listed = requires(DIST_NAME) or []
    except PackageNotFoundError:
        return ()
    marker = re.compile(r"""extra\s*==\s*['"]""" + re.escape(extra) + """['"]""")
    return tuple(r.split(";")[0].strip() for r in listed if marker.search(r))


def installer() -> str | None:
    """The ``uv`` executable to build environments with, or None for pip."""
    choice = os.environ.get(INSTALLER_VARIABLE, "").strip().lower()
    if choice == "pip":
        return None
    beside = Path(sys.executable).parent / ("uv.exe" if sys.platform == "win32" else "uv")
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if choice == "uv" and found is None:
        raise _error(f"{INSTALLER_VARIABLE}=uv but no uv executable was found (pip install uv)")
    return found


def install_command(python: str, uv: str | None) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--quiet", "--python", python]
    return [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]


def run_in_environment(driver_name: str, argv: Sequence[str]) -> int | None:
    """Run this ``harness`` command again with the Python of the driver's environment, so
    ``harness run`` and ``harness fuzz`` see the adapter versions the matrix ran on.

    Returns that command's exit status, or None when the driver has no environment of its
    own or this process already runs in it (then the caller goes on in process).
    """
    from harness.matrix.envs import _say, python_for

    python = python_for(driver_name)
    if python is None or Path(sys.prefix).resolve() == Path(python).parents[1].resolve():
        return None
    _say(f"running in the environment of {driver_name} ({Path(python).parents[1]})")
    env = dict(os.environ)
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return subprocess.call([python, "-m", "harness.cli", *argv], env=env)


def _error(message: str) -> Exception:
    from harness.matrix.envs import DriverEnvironmentError

    return DriverEnvironmentError(message)
