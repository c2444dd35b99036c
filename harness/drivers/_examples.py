"""Import harness's bundled examples (``examples/`` of a source checkout) on demand.

A wheel carries them as ``harness.examples.<name>`` (a top-level ``examples`` package in
site-packages would collide with every other distribution that ships one); two built-in
drivers run them: ``gateway-client`` and ``restream-app``. They are imported as
``examples.<name>``, the same name tests and users see from the checkout; when no module
``examples`` is importable, the checkout's ``examples/`` folder is imported as that package
from its location (``sys.path`` is left alone, so nothing else becomes importable);
without a checkout, ``harness.examples.<name>``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from harness.vocab.errors import HarnessError

__all__ = ["CHECKOUT", "ExampleMissing", "example_missing", "import_example"]

CHECKOUT = Path(__file__).resolve().parents[2]
"""The source checkout harness runs from (its ``examples/`` may not exist in a wheel)."""


class ExampleMissing(HarnessError, ImportError):
    """The bundled example is not available (harness is installed without its checkout)."""


def example_missing(module: str) -> str | None:
    """None when ``examples.<module>`` can be imported (nothing is imported), else why not."""
    if (CHECKOUT / "examples" / module.split(".")[0]).is_dir():
        return None
    try:
        found = importlib.util.find_spec(f"examples.{module.split('.')[0]}") is not None
    except ModuleNotFoundError:
        found = False
    if found or _packaged(module):
        return None
    return (
        f"examples.{module} is not available: it ships in the examples/ folder of a harness "
        f"source checkout, and there is none at {CHECKOUT}"
    )


def import_example(module: str) -> ModuleType:
    """``examples.<module>``, from the checkout when it is not importable as it is."""
    name = f"examples.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not _is_parent(exc.name, name):
            raise  # the example itself failed to import one of its own dependencies
        missing = exc
    folder = CHECKOUT / "examples" / module.split(".")[0]
    if not folder.is_dir() and _packaged(module):
        return importlib.import_module(f"harness.{name}")
    if not folder.is_dir():
        raise ExampleMissing(
            f"{name} is not available: it ships in the examples/ folder of a harness source "
            f"checkout, and there is none at {CHECKOUT}"
        )
    if missing.name == "examples":  # no such package anywhere: the checkout's folder is it
        _import_checkout_examples()
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not _is_parent(exc.name, name):
                raise
            missing = exc
    raise ExampleMissing(
        f"{name} is not importable although {folder} exists: another module named "
        f"{missing.name!r} shadows it ({sys.modules.get('examples')!r})"
    ) from missing


def _import_checkout_examples() -> None:
    """Import the checkout's ``examples/`` folder as the package ``examples`` (a namespace
    package: the folder has no ``__init__.py``), from its location, not via ``sys.path``."""
    spec = importlib.machinery.ModuleSpec("examples", None, is_package=True)
    spec.submodule_search_locations = [str(CHECKOUT / "examples")]
    sys.modules["examples"] = importlib.util.module_from_spec(spec)  # as ``import`` would


def _packaged(module: str) -> bool:
    """A wheel carries the examples as ``harness.examples.<name>`` (see setup.py)."""
    try:
        return importlib.util.find_spec(f"harness.examples.{module.split('.')[0]}") is not None
    except ModuleNotFoundError:
        return False


def _is_parent(missing: str | None, name: str) -> bool:
    """``missing`` is ``name`` or one of its parent packages."""
    return missing is not None and (name == missing or name.startswith(missing + "."))
