"""``Recent``: values found again by their object's identity, never by an equal object."""

from __future__ import annotations

import pytest

from harness.dialects.recent import Recent


class Thing:
    def __eq__(self, other: object) -> bool:  # equal to every Thing: identity must decide
        return isinstance(other, Thing)

    __hash__ = object.__hash__


def test_a_value_is_found_for_the_very_object_and_tag_only() -> None:
    one, other = Thing(), Thing()
    recent: Recent[str] = Recent(4)
    recent.put("a", one, "kept")
    assert recent.get("a", one) == "kept"
    assert recent.get("a", other) is None and recent.get("b", one) is None


def test_the_oldest_entry_goes_first_and_a_use_makes_it_new() -> None:
    things = [Thing() for _ in range(3)]
    recent: Recent[int] = Recent(2)
    recent.put(None, things[0], 0)
    recent.put(None, things[1], 1)
    assert recent.get(None, things[0]) == 0  # used: things[1] is now the oldest
    recent.put(None, things[2], 2)
    assert [recent.get(None, t) for t in things] == [0, None, 2]


def test_compute_keeps_what_it_worked_out_and_nothing_when_it_raises() -> None:
    thing, calls = Thing(), []

    def work() -> str | None:
        calls.append(1)
        return None  # a None worked out is a value like any other

    recent: Recent[str | None] = Recent()
    assert recent.compute("t", thing, work) is None
    assert recent.compute("t", thing, work) is None and len(calls) == 1

    def fail() -> str:
        raise ValueError("cannot")

    failing: Recent[str] = Recent()
    with pytest.raises(ValueError):
        failing.compute("t", thing, fail)
    assert failing.get("t", thing) is None
