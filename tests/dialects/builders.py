"""Builders the dialect tests share: a scenario from attempt dicts, a reply, an error, and
the bundled scenarios a dialect expresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.dialects import get_dialect
from harness.scenario.load import load_scenarios
from harness.scenario.model import Scenario

__all__ = ["SCENARIOS", "USER", "bundled", "error", "reply", "scenario"]

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
USER = [{"role": "user", "content": "hi"}]


def scenario(
    *attempts: dict[str, Any],
    stream: bool = True,
    model: str | None = None,
    request: dict[str, Any] | None = None,
    **extra: Any,
) -> Scenario:
    """A scenario of these attempts answering ``hi`` (``model`` if given, else the
    default); ``request`` adds to (or replaces) request fields, ``extra`` sets scenario
    fields (``id`` is ``demo`` and ``expect`` empty unless given)."""
    fields: dict[str, Any] = {"messages": USER, "stream": stream}
    if model is not None:
        fields["model"] = model
    fields |= request or {}
    return Scenario.model_validate(
        {
            "id": extra.pop("id", "demo"),
            "request": fields,
            "attempts": list(attempts),
            "expect": extra.pop("expect", {}),
            **extra,
        }
    )


def reply(**fields: Any) -> dict[str, Any]:
    """A reply attempt with these fields."""
    return {"reply": fields}


def error(status: int, **fields: Any) -> dict[str, Any]:
    """An HTTP error attempt."""
    return {"error": {"status": status, **fields}}


def bundled(dialect: str) -> list[Scenario]:
    """The bundled scenarios ``dialect`` expresses."""
    speaker = get_dialect(dialect)
    return [s for s in load_scenarios(SCENARIOS) if speaker.supports(s) is None]
