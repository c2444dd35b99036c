"""A helper a reproducer carries, rebuilt as the reproducer has it: from its source alone."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["as_in_a_reproducer"]


def as_in_a_reproducer(function: Any) -> Any:
    """``function`` defined from its source alone, as a reproducer writes it: a module of
    its own with no globals, only ``from __future__ import annotations`` (and ``__name__``,
    which pydantic's ``create_model`` reads from its caller's globals)."""
    space: dict[str, Any] = {"__name__": "__main__"}
    source = "from __future__ import annotations\n" + inspect.getsource(function)
    exec(compile(source, "<reproducer>", "exec"), space)
    return space[function.__name__]
