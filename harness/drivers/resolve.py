"""User drivers by reference, so every command sees the adapters a user declared.

Besides a registered name (built in, the ``harness.drivers`` entry-point group, or
:func:`~harness.drivers.base.register`), ``--driver`` takes:

- ``package.module:attr``: an importable object (the working directory is importable, as
  with ``python -m``);
- ``path/to/conftest.py::name`` (or any ``.py`` file): a suite declared there with
  ``@conformance``, by the function's name or the suite's name; the file's folder is
  importable while it loads, as pytest makes it.

The object may be a Driver class or instance, a factory returning one, or a
``@conformance`` suite (``name@dialect`` picks one dialect of a multi-dialect suite). These
are the spellings harness prints in its reproduce lines, so they run verbatim.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

if TYPE_CHECKING:
    from harness.drivers.base import Driver

__all__ = ["Suite", "as_driver", "is_reference", "is_suite", "resolve_reference"]


class Suite(Protocol):
    """A ``@conformance`` suite (:class:`harness.plugin.declare.Conformance`), as drivers see
    it: named, with one driver per dialect. Told apart by its ``__harness_suite__`` marker,
    so resolving a reference never imports the pytest side."""

    name: str

    def drivers(self) -> list[Driver]: ...


def is_suite(obj: object) -> TypeGuard[Suite]:
    """Whether ``obj`` is a ``@conformance`` suite (its class carries the marker)."""
    return getattr(type(obj), "__harness_suite__", False) is True


def is_reference(spec: str) -> bool:
    """Whether ``spec`` names a driver by module or file rather than by registered name."""
    return ":" in spec


def resolve_reference(spec: str) -> Driver:
    """The driver ``spec`` points at; ``DriverError`` saying what is wrong otherwise."""
    from harness.drivers.base import DriverError

    if "::" in spec:
        where, _, attr = spec.partition("::")
        module = _load_file(Path(where), spec)
    else:
        where, _, attr = spec.rpartition(":")
        module = _import(where, spec)
    if not attr:
        raise DriverError(f"driver {spec!r}: name the object after the colon")
    return as_driver(_lookup(module, attr, spec), attr, spec)


def _import(name: str, spec: str) -> Any:
    from harness.drivers.base import DriverError

    cwd = str(Path.cwd())
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)  # as `python -m` does: the user's repository is importable
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise DriverError(
                f"driver {spec!r}: no module {name!r} importable from {cwd}"
            ) from None
        raise


def _load_file(path: Path, spec: str) -> Any:
    from harness.drivers.base import DriverError

    path = path.resolve()
    if not path.is_file() or path.suffix != ".py":
        raise DriverError(f"driver {spec!r}: {path} is not a Python file")
    for module in list(sys.modules.values()):  # pytest or an earlier lookup loaded it
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == path:
            return module
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as pytest's rootdir conftest import does
    name = f"harness_user_{abs(hash(str(path)))}_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise DriverError(f"driver {spec!r}: cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    loader_spec.loader.exec_module(module)
    return module


def _lookup(module: Any, attr: str, spec: str) -> Any:
    from harness.drivers.base import DriverError

    base = attr.split("@", 1)[0]
    obj: Any = module
    try:
        for part in base.split("."):
            obj = getattr(obj, part)
        return obj
    except AttributeError:
        pass
    suites = {k: v for k, v in vars(module).items() if is_suite(v)}
    for declared in suites.values():
        if declared.name == base:
            return declared
    known = ", ".join(sorted({*suites, *(s.name for s in suites.values())})) or "none"
    raise DriverError(f"driver {spec!r}: no {base!r} there (suites declared there: {known})")


def as_driver(obj: Any, attr: str, spec: str) -> Driver:
    """A Driver from what a reference or an entry point names: a Driver class or instance,
    a factory, or a ``@conformance`` suite (``attr@dialect`` picks one of its dialects)."""
    from harness.drivers.base import DriverError

    if is_suite(obj):
        drivers = obj.drivers()
        if "@" in attr:
            dialect = attr.split("@", 1)[1]
            chosen = [d for d in drivers if d.dialect == dialect]
            if not chosen:
                raise DriverError(
                    f"driver {spec!r}: the suite has no dialect {dialect!r} "
                    f"(it has {', '.join(d.dialect for d in drivers)})"
                )
            return chosen[0]
        if len(drivers) > 1:
            options = ", ".join(f"{spec}@{d.dialect}" for d in drivers)
            raise DriverError(f"driver {spec!r} declares several dialects; pick one: {options}")
        return drivers[0]
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "run")):
        obj = obj()
    if not all(hasattr(obj, a) for a in ("run", "dialect", "supports")):
        raise DriverError(
            f"driver {spec!r} is {type(obj).__name__}, not a driver (a Driver class or "
            "instance, a factory of one, or a @conformance suite)"
        )
    driver: Driver = obj
    return driver
