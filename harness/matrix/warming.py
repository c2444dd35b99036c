"""What a warm worker imports before it forks (:mod:`harness.matrix.warm_worker`): harness's
run machinery once, then per driver its dialect's modules and its adapter's, one module at a
time so a request waits behind one import at most, not behind a whole driver's."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "adapter_modules",
    "compile_for",
    "import_quietly",
    "modules_of",
    "prepare",
    "warm_up",
]


def adapter_modules(driver_name: str) -> list[str]:
    """What warming ``driver_name`` imports: its ``requires``, then the modules of those
    packages its driver module imports inside functions (adapters are imported lazily)."""
    from harness.drivers.base import get_driver

    driver = get_driver(driver_name)
    wanted = list(driver.requires)
    tops = {m.split(".")[0] for m in wanted}
    module = sys.modules.get(type(driver).__module__)
    source = getattr(module, "__file__", None)
    if source is None or not source.endswith(".py"):
        return wanted
    tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        wanted += [n for n in names if n.split(".")[0] in tops and n not in wanted]
    return wanted


def prepare() -> None:
    """Import what every child runs: harness's run machinery and its checks (the schema
    check's validators built)."""
    import harness.run.cell
    import harness.run.rechunk
    import harness.run.runner  # noqa: F401
    from harness.checks import default_checks
    from harness.checks.schema import load_validators

    default_checks()
    load_validators()


def compile_for(driver_name: str, scenarios: Sequence[Any]) -> None:
    """Compile ``scenarios`` on ``driver_name``'s dialect once, for every child of that
    dialect (:func:`harness.dialects.compiled.precompile`); nothing if that fails (the
    child compiles again and reports it, with its cell)."""
    try:
        from harness.dialects import get_dialect
        from harness.dialects.compiled import precompile
        from harness.drivers.base import get_driver

        precompile(get_dialect(get_driver(driver_name).dialect), scenarios)
    except Exception:  # an unknown driver or dialect: its child says so
        return


def modules_of(driver_name: str) -> list[str]:
    """What running ``driver_name`` imports: its dialect's modules and its adapter's
    (:func:`adapter_modules`); nothing for a driver or dialect that is unknown (its child
    says so, as a worker of its own would)."""
    try:
        from harness.dialects import get_dialect
        from harness.drivers.base import get_driver

        package = type(get_dialect(get_driver(driver_name).dialect)).__module__
        modules = [f"{package}.{part}" for part in ("read", "synthesize", "normalize")]
        return modules + adapter_modules(driver_name)
    except Exception:
        return []


def import_quietly(module: str) -> None:
    """Import ``module``; what fails is left for the child to report."""
    try:
        importlib.import_module(module)
    except Exception:  # absent (a dialect without normalize), not installed, or broken
        return


def warm_up(driver_name: str) -> None:
    """Import everything running ``driver_name`` imports (:func:`modules_of`)."""
    for module in modules_of(driver_name):
        import_quietly(module)
