"""Wire dialects: each owns one provider's wire (synthesize, read, recognise, normalize).

The registry is the one list of dialects: the ``harness.dialects`` entry-point group
(``name = "package.module:DIALECT"``). Detection, import, diff, the plugin and the runner
ask it and nothing else lists dialects. It is read-only, and a name registered twice
with two different objects is an error naming both.

harness's own dialects are the entry points ``pyproject.toml`` declares, read from it in a
source checkout (:mod:`harness.vocab.registry`, shared with the drivers), so a dialect
added there works before the package is reinstalled.

A new wire touches one folder and its registration: ``harness/dialects/<wire>/`` with a
``DIALECT`` (see :class:`Dialect`; the shared mechanics are in :mod:`.common` with its
:class:`~harness.dialects.common.WireDialect` base, :mod:`.exchanges`, :mod:`.framing`,
:mod:`.reading`, :mod:`.request` and :mod:`.normalize`), and one line in
the ``harness.dialects`` entry points.
``tests/dialects/test_contract.py`` then checks it on every bundled scenario it
expresses: compile, recognise, read back, normalize.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint

from harness.dialects.base import BY_MARKER, BY_PATH, Dialect, DialectError, Reader
from harness.vocab.registry import builtin_entry_points, group_entry_points

__all__ = [
    "BUILTIN",
    "BY_MARKER",
    "BY_PATH",
    "Dialect",
    "DialectError",
    "Reader",
    "all_dialects",
    "dialect_names",
    "get_dialect",
]

ENTRY_POINT_GROUP = "harness.dialects"


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return group_entry_points(ENTRY_POINT_GROUP, DialectError, "dialect")


def __getattr__(name: str) -> dict[str, str]:
    if name == "BUILTIN":  # harness's own dialects, as pyproject.toml declares them
        return builtin_entry_points(ENTRY_POINT_GROUP)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _load(name: str) -> Dialect:
    ep = _entry_points()[name]
    dialect: Dialect = ep.load()
    if dialect.name != name:
        raise DialectError(
            f"the entry point {name!r} ({ep.value}) names a dialect called {dialect.name!r}"
        )
    return dialect


def dialect_names() -> list[str]:
    """Every registered dialect, sorted."""
    return sorted(_entry_points())


def get_dialect(name: str) -> Dialect:
    """The dialect registered as ``name``; :class:`DialectError` listing the known ones else."""
    if name not in _entry_points():
        from harness.vocab.suggest import did_you_mean

        hint = did_you_mean(name, dialect_names())
        raise DialectError(
            f"unknown dialect {name!r}{hint}\n  known: {', '.join(dialect_names())}"
        ) from None
    return _load(name)


def all_dialects() -> list[Dialect]:
    """Every registered dialect, in name order."""
    return [get_dialect(name) for name in dialect_names()]


def _forget() -> None:
    """Read the entry points again (tests that install a dialect call this)."""
    _entry_points.cache_clear()
    _load.cache_clear()
