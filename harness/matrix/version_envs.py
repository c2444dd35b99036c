"""One environment per release of a package, for ``harness sweep`` and ``harness bisect``.

A version environment is a virtualenv holding ``PKG==VERSION`` and whatever that release
needs, installed by ``uv pip install`` (pip when there is no uv, see
:func:`harness.matrix.env_policy.installer`), over this Python's own packages: a ``.pth``
file adds this interpreter's site-packages *after* the environment's, so harness, its
dependencies and the driver's other requirements come from here, and the swept package
(with the dependencies it pins) from the environment. Building one installs a single
release, not harness again; ``--find-links`` folders serve releases built locally (with
``--no-index``, nothing comes from the network).

Like the driver environments (:mod:`harness.matrix.envs`) they live under
:func:`~harness.matrix.envs.envs_root`, named by a hash of the interpreter, the requirement,
where it was installed from and the base packages, are built under a lock, and count as
built once their stamp file is written: a second sweep starts at once.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.matrix.env_policy import install_command, installer
from harness.matrix.envs import DriverEnvironmentError, Runner, env_dir
from harness.matrix.file_lock import locked

__all__ = ["STAMP", "Source", "version_environment"]

STAMP = "harness-version-env.json"
"""Written last into a finished version environment."""

TAIL_LINES = 15


@dataclass(frozen=True)
class Source:
    """Where releases are installed from: local folders, and the index unless ``no_index``."""

    find_links: tuple[Path, ...] = field(default_factory=tuple)
    no_index: bool = False

    def args(self) -> list[str]:
        out: list[str] = []
        for folder in self.find_links:
            out += ["--find-links", str(folder.resolve())]
        return out + (["--no-index"] if self.no_index else [])


def version_environment(
    package: str,
    version: str,
    source: Source | None = None,
    *,
    run: Runner | None = None,
) -> tuple[Path, bool]:
    """The Python of the environment with ``package==version``, and whether it was built
    now (False: it was there). Raises :class:`DriverEnvironmentError` when it cannot be
    built (a release that does not install on this Python, an unreachable index)."""
    source = source or Source()
    requirement = f"{package}=={version}"
    bases = _base_sites()
    tag = json.dumps(["version-env", source.args(), bases])
    target = env_dir([requirement], None, tag)
    python = _python_in(target)
    if _is_built(target, requirement):
        return python, False
    target.parent.mkdir(parents=True, exist_ok=True)
    runner = run or _subprocess
    with locked(target.with_name(target.name + ".lock")):
        if _is_built(target, requirement):  # another process built it meanwhile
            return python, False
        print(f"harness: building the environment of {requirement} in {target}", file=sys.stderr)
        if target.exists():
            shutil.rmtree(target)
        uv = installer()
        create = (
            [uv, "venv", "--quiet", "--python", sys.executable, str(target)]
            if uv
            else [sys.executable, "-m", "venv", str(target)]
        )
        _check(runner(create), requirement, target, create)
        _overlay(target, bases)
        # compiled now: a first import that writes the .pyc files of a large package
        # (litellm: minutes on a busy machine) must not eat the first cell's wall budget
        compiled = ["--compile-bytecode"] if uv else []
        install = [*install_command(str(python), uv), *compiled, *source.args(), requirement]
        _check(runner(install), requirement, target, install)
        stamp = {"requirement": requirement, "source": source.args(), "bases": bases}
        partial = target / (STAMP + ".partial")
        partial.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, target / STAMP)
    return python, True


def _base_sites() -> list[str]:
    """This interpreter's site-packages folders (its packages: harness and the rest)."""
    found = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    return list(dict.fromkeys(str(Path(p).resolve()) for p in found if Path(p).is_dir()))


def _overlay(target: Path, bases: Sequence[str]) -> None:
    """A ``.pth`` that puts ``bases`` on the environment's path after its own packages (their
    own ``.pth`` files, editable installs among them, processed too)."""
    paths = sysconfig.get_paths(scheme="venv", vars={"base": str(target), "platbase": str(target)})
    own = Path(paths["purelib"])
    own.mkdir(parents=True, exist_ok=True)
    lines = [f"import site; site.addsitedir({base!r})" for base in bases]
    (own / "zz-harness-base.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _is_built(target: Path, requirement: str) -> bool:
    try:
        stamp = json.loads((target / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stamp.get("requirement") == requirement
        and _python_in(target).exists()
    )


def _python_in(target: Path) -> Path:
    if sys.platform == "win32":
        return target / "Scripts" / "python.exe"
    return target / "bin" / "python"


def _check(result: tuple[int, str], requirement: str, target: Path, command: list[str]) -> None:
    code, output = result
    if code == 0:
        return
    tail = [line for line in output.strip().splitlines() if line.strip()][-TAIL_LINES:]
    raise DriverEnvironmentError(
        f"could not build the environment of {requirement}\n"
        f"  directory: {target}\n"
        f"  command:   {' '.join(command)} (exit status {code})\n"
        "  last lines of its output:\n"
        + "\n".join(f"    {line}" for line in tail or ["(no output)"])
        + "\n  hint: a release that does not install on this Python is reported and skipped; "
        "offline, give --find-links DIR --no-index"
    )


def _subprocess(command: Sequence[str]) -> tuple[int, str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    try:
        done = subprocess.run(
            list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
    except OSError as exc:
        return 127, f"{type(exc).__name__}: {exc}"
    return done.returncode, done.stdout or ""
