"""Per-driver environments: a driver whose adapter pins requirements that conflict with the
others (aden-hive pins another litellm; openai 3.x is a new major) runs in a virtualenv of
its own, built once and reused.

A driver declares ``environment: ClassVar[tuple[str, ...]] = ("pkg==1.2", ...)``. The
matrix asks :func:`python_for` for that driver's Python and runs its worker
(``python -m harness.matrix.worker --driver NAME ...``) with it; its cells merge into the matrix
as usual. What the environment holds:

- harness itself with its own dependencies: installed editable (``pip install -e <root>``)
  from a source checkout, so code changes need no reinstall; from an installed copy, its
  dependencies plus a copy of the ``harness`` package on a ``.pth`` path;
- the driver's requirements, resolved together with harness's in one ``pip install``.

Installer: ``uv`` when it is there (on PATH or beside this Python: the dev extra installs
it), several times faster on a cold cache; ``pip`` otherwise. ``HARNESS_INSTALLER=pip`` (or
``uv``) forces one. A uv-built environment is seeded with pip, so either installer can
refresh it later.

Where: ``$HARNESS_ENVS_DIR`` if set, else ``<checkout>/.harness-envs/`` (git-ignored), else
the user cache (``$XDG_CACHE_HOME/harness/envs``). Each environment is a directory named
by a hash of the interpreter (``cpython-3.11``) and the sorted requirements, so drivers
with the same requirements share one, and changing a pin builds a new one.

Freshness: ``harness-env.json`` in the directory records the requirements and a
fingerprint of harness (its ``pyproject.toml``, or its version when installed). It is
written last, so a directory without it is a half-built environment and is rebuilt from
scratch. When only harness changed, harness alone is reinstalled (``--no-deps``, seconds);
when harness's dependency list changed, the full install runs again in place.

Concurrency: building and refreshing happen under an exclusive lock on
``<key>.lock`` beside the directory (``flock``; ``msvcrt.locking`` on Windows). A second
matrix run waits for the first to finish and then reuses its work; a ready environment is
used without taking the lock.

Failure raises :class:`DriverEnvironmentError` naming the driver, the requirements, the
directory, the command, and pip's last lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.matrix.env_policy import (
    CONSTRAINTS_VARIABLE,
    INSTALLER_VARIABLE,
    LATEST_VARIABLE,
    constraints_for,
    installer,
    latest_requirements,
    run_in_environment,
)
from harness.matrix.env_policy import install_command as _install_command
from harness.matrix.file_lock import locked as _locked
from harness.matrix.progress import note
from harness.vocab.errors import HarnessError
from harness.vocab.registry import checkout_project, checkout_root

__all__ = [
    "CONSTRAINTS_VARIABLE",
    "ENVS_DIR_VARIABLE",
    "INSTALLER_VARIABLE",
    "LATEST_VARIABLE",
    "DriverEnvironmentError",
    "Fingerprint",
    "Runner",
    "constraints_for",
    "ensure_environment",
    "env_dir",
    "env_key",
    "envs_root",
    "installer",
    "is_built",
    "latest_requirements",
    "python_for",
    "requirements_of",
    "run_in_environment",
]

ENVS_DIR_VARIABLE = "HARNESS_ENVS_DIR"
"""Environment variable naming the directory that holds the driver environments."""

STAMP = "harness-env.json"
"""Written last into a finished environment: what it was built from."""

TAIL_LINES = 15
"""Lines of pip's output quoted in an error."""

Runner = Callable[[Sequence[str]], tuple[int, str]]
"""Runs a command; returns its exit status and its combined stdout/stderr."""

_NOISE = re.compile(r"^WARNING: Location '.*' is ignored")
"""pip warnings about configured but absent local indexes: not why an install failed."""


class DriverEnvironmentError(HarnessError):
    """A driver's environment could not be created or refreshed (pip failed, bad pin)."""


# --------------------------------------------------------------------------- naming


def requirements_of(driver_name: str) -> tuple[str, ...]:
    """The requirements ``driver_name`` declares in ``environment`` (empty: none)."""
    from harness.drivers.base import get_driver

    declared = getattr(get_driver(driver_name), "environment", ())
    return tuple(declared)


def envs_root() -> Path:
    """The directory holding all driver environments (see the module docstring)."""
    override = os.environ.get(ENVS_DIR_VARIABLE)
    if override:
        return Path(override).expanduser()
    root = checkout_root()
    if root is not None:
        return root / ".harness-envs"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "harness" / "envs"


def env_key(requirements: Sequence[str], constraints: Path | None = None, tag: str = "") -> str:
    """A short stable name for this interpreter, set of requirements and pins (``tag``:
    anything else that must give another environment, such as ``latest`` and the day)."""
    text = "\n".join([_interpreter(), *sorted(set(requirements))])
    if constraints is not None:
        text += "\n" + constraints.read_text(encoding="utf-8")
    if tag:
        text += "\n" + tag
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def env_dir(requirements: Sequence[str], constraints: Path | None = None, tag: str = "") -> Path:
    """Where the environment for ``requirements`` lives (it may not exist yet)."""
    return envs_root() / env_key(requirements, constraints, tag)


def is_built(driver_name: str) -> bool:
    """True when the driver's environment exists for its current requirements.

    Cheap and side-effect free (no build, no lock). A harness change since the build does
    not count: :func:`python_for` refreshes that in seconds. False for drivers without an
    environment of their own.
    """
    requirements = requirements_of(driver_name)
    if not requirements:
        return False
    stamp = _read_stamp(env_dir(requirements, constraints_for(driver_name)))
    return stamp is not None and stamp.get("requirements") == sorted(set(requirements))


# --------------------------------------------------------------------------- fingerprint


@dataclass(frozen=True)
class Fingerprint:
    """What harness is, for deciding whether an environment's copy of it is stale."""

    source: str
    """Changes with any change to how harness is installed (pyproject, or version)."""
    dependencies: str
    """Changes only when harness's own dependency list changes."""
    root: Path | None
    """The source checkout, or None for an installed copy."""

    @classmethod
    def current(cls) -> Fingerprint:
        root, project = checkout_root(), checkout_project()
        if root is not None and project is not None:
            raw = (root / "pyproject.toml").read_bytes()
            deps = [*project.get("dependencies", []), project.get("requires-python", "")]
            return cls(_digest(raw), _digest(json.dumps(deps).encode()), root)
        version, deps = _installed_harness()
        return cls(_digest(f"{version}\n{deps}".encode()), _digest("\n".join(deps).encode()), None)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _installed_harness() -> tuple[str, list[str]]:
    """Version and unconditional dependencies of an installed (non-checkout) harness."""
    from importlib.metadata import PackageNotFoundError, distribution

    from harness import DIST_NAME

    for name in (DIST_NAME, "harness"):  # "harness": installs made before the rename
        try:
            dist = distribution(name)
            break
        except PackageNotFoundError:
            continue
    else:
        return "unknown", []
    deps = [r for r in dist.requires or [] if "extra ==" not in r and "extra==" not in r]
    return dist.version, deps


def _interpreter() -> str:
    return f"{platform.python_implementation().lower()}-{sys.version_info[0]}.{sys.version_info[1]}"


# --------------------------------------------------------------------------- building


def python_for(driver_name: str, *, run: Runner | None = None) -> str | None:
    """The Python to run ``driver_name`` with, building its environment once.

    None when the driver declares no environment (it runs with this Python). With
    ``HARNESS_LATEST=1`` (``harness matrix --latest``) every driver with requirements runs
    in an environment of the newest releases they allow, resolved afresh each day, unpinned.
    """
    if os.environ.get(LATEST_VARIABLE) == "1":
        import datetime

        latest = latest_requirements(driver_name)
        if not latest:
            return None
        day = datetime.datetime.now(datetime.UTC).date().isoformat()
        return str(ensure_environment(latest, driver=driver_name, run=run, tag=f"latest {day}"))
    requirements = requirements_of(driver_name)
    if not requirements:
        return None
    pins = constraints_for(driver_name)
    return str(ensure_environment(requirements, driver=driver_name, run=run, constraints=pins))


def ensure_environment(
    requirements: Sequence[str],
    *,
    driver: str = "",
    run: Runner | None = None,
    constraints: Path | None = None,
    tag: str = "",
) -> Path:
    """The Python of a ready environment with harness and ``requirements`` (pinned by the
    ``constraints`` file when given); builds or refreshes it under the lock when needed.
    ``run`` replaces subprocess (for tests)."""
    reqs = _validated(requirements, driver)
    runner = run or _subprocess
    target = env_dir(reqs, constraints, tag)
    pins = ["-c", str(constraints)] if constraints is not None else []
    fingerprint = Fingerprint.current()
    if _is_current(_read_stamp(target), reqs, fingerprint):
        return _python_in(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.with_name(target.name + ".lock")):
        stamp = _read_stamp(target)  # again: another process may have built it meanwhile
        if stamp is None or stamp.get("requirements") != reqs:
            _build(target, reqs, fingerprint, driver, runner, pins)
        elif not _is_current(stamp, reqs, fingerprint):
            _refresh(target, reqs, fingerprint, stamp, driver, runner, pins)
    return _python_in(target)


def _validated(requirements: Sequence[str], driver: str) -> list[str]:
    bad = [r for r in requirements if not isinstance(r, str) or not r.strip() or r.startswith("-")]
    if bad or not requirements:
        raise DriverEnvironmentError(
            f"driver {driver or '?'!r} declares environment={tuple(requirements)!r}: expected "
            f"pip requirement strings such as 'pkg==1.2' (got {bad or 'nothing'!r})"
        )
    return sorted({r.strip() for r in requirements})


def _is_current(stamp: dict[str, object] | None, reqs: list[str], fp: Fingerprint) -> bool:
    return (
        stamp is not None
        and stamp.get("requirements") == reqs
        and stamp.get("harness") == fp.source
        and stamp.get("root") == (str(fp.root) if fp.root else None)
    )


def _build(
    target: Path, reqs: list[str], fp: Fingerprint, driver: str, run: Runner, pins: list[str]
) -> None:
    _say(f"creating the environment for {driver or 'a driver'} ({', '.join(reqs)}) in {target}")
    note(driver, "building its environment: python -m venv")
    if target.exists():  # half-built (no stamp) or built for other requirements
        shutil.rmtree(target)
    uv = installer()
    create = (
        [uv, "venv", "--seed", "--quiet", "--python", sys.executable, str(target)]
        if uv
        else [sys.executable, "-m", "venv", str(target)]
    )
    _check(run(create), target, reqs, driver, create)
    python = str(_python_in(target))
    command = [*_install_command(python, uv), *pins, *_harness_args(fp), *reqs]
    note(driver, f"building its environment: installing {', '.join(reqs)} and harness")
    _check(run(command), target, reqs, driver, command)
    _place_copy(target, fp)
    _write_stamp(target, reqs, fp)
    note(driver, "")


def _refresh(
    target: Path,
    reqs: list[str],
    fp: Fingerprint,
    stamp: dict[str, object],
    driver: str,
    run: Runner,
    pins: list[str],
) -> None:
    same_deps = stamp.get("dependencies") == fp.dependencies and fp.root is not None
    _say(f"harness changed: reinstalling it into the environment for {driver or 'a driver'}")
    python = str(_python_in(target))
    pip = _install_command(python, installer())
    if same_deps:
        command = [*pip, "--no-deps", *_harness_args(fp)]
    else:
        command = [*pip, *pins, *_harness_args(fp), *reqs]
    note(driver, "reinstalling harness into its environment" + ("" if same_deps else " with deps"))
    _check(run(command), target, reqs, driver, command)
    note(driver, "")
    _place_copy(target, fp)
    _write_stamp(target, reqs, fp)


def _harness_args(fp: Fingerprint) -> list[str]:
    """pip arguments that install harness (editable) or, for a copy, its dependencies."""
    if fp.root is not None:
        return ["-e", str(fp.root)]
    return _installed_harness()[1]


def _place_copy(target: Path, fp: Fingerprint) -> None:
    """Without a checkout, put a copy of the harness package on the environment's path."""
    if fp.root is not None:
        return
    lib = target / "harness-lib"
    shutil.rmtree(lib, ignore_errors=True)
    shutil.copytree(Path(__file__).resolve().parents[1], lib / "harness")
    paths = sysconfig.get_paths(scheme="venv", vars={"base": str(target), "platbase": str(target)})
    site = Path(paths["purelib"])
    site.mkdir(parents=True, exist_ok=True)
    (site / "harness-lib.pth").write_text(str(lib) + "\n", encoding="utf-8")


def _check(
    result: tuple[int, str],
    target: Path,
    reqs: list[str],
    driver: str,
    command: Sequence[str] | str,
) -> None:
    code, output = result
    if code == 0:
        return
    lines = [line for line in output.strip().splitlines() if line.strip()]
    tail = [line for line in lines if not _NOISE.match(line)][-TAIL_LINES:] or ["(no output)"]
    shown = command if isinstance(command, str) else " ".join(command)
    raise DriverEnvironmentError(
        f"could not create the environment for driver {driver or '?'!r}\n"
        f"  requirements: {', '.join(reqs)}\n"
        f"  directory:    {target}\n"
        f"  command:      {shown} (exit status {code})\n"
        "  last lines of its output:\n"
        + "\n".join(f"    {line}" for line in tail)
        + "\n  hint: check the pins (and the network or pip cache for offline use); the "
        f"half-built directory is rebuilt on the next run; set {ENVS_DIR_VARIABLE} to build "
        "elsewhere"
    )


def _subprocess(command: Sequence[str]) -> tuple[int, str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)  # the environment must not see this one's packages
    env.pop("VIRTUAL_ENV", None)
    try:
        done = subprocess.run(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            check=False,
        )
    except OSError as exc:
        return 127, f"{type(exc).__name__}: {exc}"
    return done.returncode, done.stdout or ""


# --------------------------------------------------------------------------- stamp and lock


def _python_in(target: Path) -> Path:
    if sys.platform == "win32":
        return target / "Scripts" / "python.exe"
    return target / "bin" / "python"


def _read_stamp(target: Path) -> dict[str, object] | None:
    try:
        data = json.loads((target / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not _python_in(target).exists():
        return None
    return data


def _write_stamp(target: Path, reqs: list[str], fp: Fingerprint) -> None:
    data = {
        "requirements": reqs,
        "harness": fp.source,
        "dependencies": fp.dependencies,
        "root": str(fp.root) if fp.root else None,
        "interpreter": _interpreter(),
    }
    partial = target / (STAMP + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, target / STAMP)


def _say(message: str) -> None:
    print(f"harness: {message}", file=sys.stderr, flush=True)
