"""Wire dialects: each owns one provider's wire (synthesize, read, recognise, normalize).

The registry is the one list of dialects: the ``harness.dialects`` entry-point group
(``name = "package.module:DIALECT"``). Detection, import, diff, the plugin and the runner
ask it and nothing else lists dialects. It is read-only, and a name registered twice
with two different objects is an error naming both.

harness's own dialects are also written down here (:data:`BUILTIN`) and merged with the
installed entry points: an editable install made from an older ``pyproject.toml`` keeps
the old metadata until it is reinstalled, and a source checkout must still see every
built-in dialect. ``tests/dialects/test_dialect_registry.py`` keeps :data:`BUILTIN` equal to the
entry points ``pyproject.toml`` declares, so the two cannot drift apart.

A new wire touches one folder and its registration: ``harness/dialects/<wire>/`` with a
``DIALECT`` (see :class:`Dialect`; the shared mechanics are in :mod:`.common`,
:mod:`.framing`, :mod:`.reading`, :mod:`.request` and :mod:`.normalize`), and one line in
the ``harness.dialects`` entry points (plus :data:`BUILTIN` for one of harness's own).
``tests/dialects/test_contract.py`` then checks it on every bundled scenario it
expresses: compile, recognise, read back, normalize.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points

from harness.dialects.base import BY_MARKER, BY_PATH, Dialect, DialectError, Reader

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

BUILTIN: dict[str, str] = {
    "anthropic-messages": "harness.dialects.anthropic_messages:DIALECT",
    "azure-agents": "harness.dialects.azure_agents:DIALECT",
    "gateway": "harness.dialects.gateway:DIALECT",
    "openai-chat": "harness.dialects.openai_chat:DIALECT",
    "openai-responses": "harness.dialects.openai_responses:DIALECT",
}
"""harness's own dialects, as declared in pyproject.toml (see the module docstring)."""


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    found = {name: EntryPoint(name, value, ENTRY_POINT_GROUP) for name, value in BUILTIN.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            raise DialectError(
                f"dialect {ep.name!r} is registered twice: {found[ep.name].value} and {ep.value}"
            )
        found[ep.name] = ep
    return found


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
