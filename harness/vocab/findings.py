"""Findings: what a failing check reports, as a stable code a maintainer can look up.

A :class:`Finding` is one concrete failure in one cell (code, expected, actual, where).
The catalogue (:mod:`harness.checks.catalogue`) explains each code: why it is wrong on the wire,
and how to fix it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["Breaks", "Finding", "Severity"]

Severity = Literal["error", "warning"]
Breaks = Literal["protocol", "contract"]
"""What a finding breaks: the provider's protocol, or the adapter's own declared contract
(:mod:`harness.drivers.contract`)."""


class Finding(BaseModel):
    """One failure of one check in one run, with a stable ``code``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Catalogue code.")
    check: str = Field(description="The check or invariant that found it.")
    message: str = Field(description="One line: what went wrong.")
    expected: JsonValue = None
    actual: JsonValue = None
    where: str = Field("", description="Scenario file:line, attempt, event index or offset.")
    severity: Severity = "error"
    breaks: Breaks = Field(
        "protocol",
        description="``protocol``: the provider's wire protocol; ``contract``: what the "
        "adapter itself declared (a stricter or different rule than the protocol's).",
    )
    count: int = Field(1, ge=1, description="How many identical findings this one stands for.")

    def render(self) -> str:
        """Multi-line text for terminals and pytest reports."""
        times = f" (x{self.count})" if self.count > 1 else ""
        against = " [breaks the adapter's contract]" if self.breaks == "contract" else ""
        lines = [f"[{self.code}] {self.message}{times}{against}"]
        if self.expected is not None or self.actual is not None:
            lines.append(f"  expected: {_short(self.expected)}")
            lines.append(f"  actual:   {_short(self.actual)}")
        if self.where:
            lines.append(f"  where:    {self.where}")
        return "\n".join(lines)


def _short(value: JsonValue, limit: int = 300) -> str:
    text = repr(value) if isinstance(value, str) else _json(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json(value: JsonValue) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)
