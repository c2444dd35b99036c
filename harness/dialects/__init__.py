"""Wire dialects: each compiles a neutral Scenario into the Script of one provider's wire.

A dialect is a small object with a ``name``, ``supports()`` (None, or why the dialect cannot
express the scenario: the matrix shows that as an honest n/a) and ``synthesize()``.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from harness.dialects.script import Script
from harness.scenario.model import Scenario
from harness.vocab.errors import HarnessError

__all__ = ["Dialect", "DialectError", "dialect_names", "get_dialect"]

_MODULES: dict[str, str] = {
    "openai-chat": "harness.dialects.openai_chat",
    "openai-responses": "harness.dialects.openai_responses",
    "anthropic-messages": "harness.dialects.anthropic_messages",
    "gateway": "harness.dialects.gateway",
    "azure-agents": "harness.dialects.azure_agents",
}


class DialectError(HarnessError, LookupError):
    """An unknown dialect name."""


class Dialect(Protocol):
    """Compiles scenarios into one provider's wire."""

    name: str

    def supports(self, scenario: Scenario) -> str | None:
        """None if the dialect can express the scenario, else the feature it lacks."""
        ...

    def synthesize(self, scenario: Scenario) -> Script:
        """The exchanges a server of this dialect sends for the scenario's attempts."""
        ...


def dialect_names() -> list[str]:
    return sorted(_MODULES)


def get_dialect(name: str) -> Dialect:
    try:
        module = _MODULES[name]
    except KeyError:
        from harness.vocab.suggest import did_you_mean

        hint = did_you_mean(name, dialect_names())
        raise DialectError(
            f"unknown dialect {name!r}{hint}\n  known: {', '.join(dialect_names())}"
        ) from None
    dialect: Dialect = importlib.import_module(module).DIALECT
    return dialect
