"""The last few things worked out for an object, found again by the object's identity.

Scenarios are frozen models, so what is worked out from one (whether a dialect can say it,
its script, its per-event twin) holds for as long as that very object lives. A fuzzed
example is asked about while it is drawn, compiled, re-cut and run; a matrix runs one
scenario through several drivers in a row. Each entry holds its object, so no id is reused
while its entry lives; the oldest entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Recent"]

V = TypeVar("V")


class Recent(Generic[V]):
    """Up to ``size`` values, each for a ``tag`` (compared by equality) and an object
    (compared by identity)."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 16) -> None:
        self._entries: OrderedDict[tuple[Hashable, int], tuple[object, V]] = OrderedDict()
        self._size = size

    def _entry(self, tag: Hashable, obj: object) -> tuple[object, V] | None:
        key = (tag, id(obj))
        entry = self._entries.get(key)
        if entry is None or entry[0] is not obj:
            return None
        self._entries.move_to_end(key)
        return entry

    def get(self, tag: Hashable, obj: object) -> V | None:
        """The value kept for ``tag`` and this very ``obj``, or None."""
        entry = self._entry(tag, obj)
        return None if entry is None else entry[1]

    def put(self, tag: Hashable, obj: object, value: V) -> V:
        """Keep ``value`` for ``tag`` and ``obj`` (dropping the oldest entry past the size)."""
        key = (tag, id(obj))
        self._entries[key] = (obj, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value

    def compute(self, tag: Hashable, obj: object, work: Callable[[], V]) -> V:
        """The value kept for ``tag`` and ``obj``, else ``work()`` kept (what it raises is
        raised, and nothing kept)."""
        entry = self._entry(tag, obj)
        return entry[1] if entry is not None else self.put(tag, obj, work())
