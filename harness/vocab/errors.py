"""Exceptions harness raises on purpose, so callers can catch one family and users read
where a problem is rather than a traceback.

Exception tree::

    HarnessError
    └── ScenarioError (also a ValueError): a scenario file or text is not valid
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["HarnessError", "ScenarioError"]


class HarnessError(Exception):
    """Base of every error harness raises deliberately."""


class ScenarioError(HarnessError, ValueError):
    """A scenario cannot be loaded: YAML syntax, encoding, or a field that breaks the contract.

    The message lists every problem, one per line, each as ``file:line: field: what was
    expected (got what came)``. ``file``, ``line``, ``column`` and ``field`` locate the first
    problem, for tools that jump to it; ``problems`` holds all the lines.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.problems: tuple[str, ...] = tuple(problems) or (message,)
