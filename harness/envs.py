"""Per-driver environments: a driver whose adapter pins requirements that conflict with
the others (e.g. a package pinning another litellm) runs in a virtualenv of its own.

A driver declares ``environment = ("pkg==1.2", ...)``. The first matrix run creates
``.harness-envs/<hash of the requirements>/`` (git-ignored) with harness and those
requirements installed; later runs reuse it. The worker for that driver runs with that
environment's Python and its cells are merged into the matrix as usual.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from harness.drivers.base import get_driver

__all__ = ["EnvironmentError_", "env_dir", "python_for"]

ROOT_ENV = "HARNESS_ENVS_DIR"


class EnvironmentError_(RuntimeError):
    """A driver environment could not be created; the message holds pip's last lines."""


def _project_root() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").exists() else None


def env_dir(requirements: tuple[str, ...]) -> Path:
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:12]
    base = Path(os.environ.get(ROOT_ENV) or (_project_root() or Path.cwd()) / ".harness-envs")
    return base / key


def python_for(driver_name: str) -> str | None:
    """The Python to run ``driver_name`` with, creating its environment once; None: ours."""
    requirements: tuple[str, ...] = tuple(getattr(get_driver(driver_name), "environment", ()))
    if not requirements:
        return None
    target = env_dir(requirements)
    python = target / "bin" / "python"
    stamp = target / ".complete"
    if stamp.exists():
        return str(python)
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    root = _project_root()
    project = [f"{root}"] if root is not None else ["harness"]
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *project, *requirements],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise EnvironmentError_(
            f"could not create the environment for {driver_name} in {target} "
            f"(requirements {list(requirements)}):\n{tail}"
        )
    (target / "requirements.txt").write_text("\n".join(requirements) + "\n")
    stamp.write_text("ok\n")
    return str(python)
