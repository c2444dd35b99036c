"""harness: record/replay testing and conformance for LLM provider adapters.

The public surface is small and loaded lazily, so ``import harness`` (and the pytest
plugin) costs almost nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
DIST_NAME = "llm-adapter-harness"
"""The distribution name on PyPI (``harness`` there is an unrelated project); the import
package and the command stay ``harness``."""

__all__ = [
    "Clock",
    "Contract",
    "ErrorTaxonomy",
    "Features",
    "Finding",
    "Replay",
    "ReplayMiss",
    "RetryRules",
    "Scenario",
    "ScenarioError",
    "Script",
    "StreamEnd",
    "Transcript",
    "__version__",
    "load_scenario",
    "load_scenarios",
    "register",
    "run_scenario",
    "serving",
    "transport_for",
]

_LAZY = {
    "Clock": "harness.clock",
    "Contract": "harness.contract",
    "ErrorTaxonomy": "harness.contract",
    "Features": "harness.contract",
    "RetryRules": "harness.contract",
    "StreamEnd": "harness.contract",
    "Finding": "harness.findings",
    "Replay": "harness.transport.core",
    "ReplayMiss": "harness.transport.core",
    "Scenario": "harness.scenario",
    "ScenarioError": "harness.errors",
    "Script": "harness.script",
    "Transcript": "harness.events",
    "load_scenario": "harness.loader",
    "load_scenarios": "harness.loader",
    "register": "harness.drivers.base",
    "run_scenario": "harness.runner",
    "serving": "harness.transport",
    "transport_for": "harness.transport",
}

if TYPE_CHECKING:
    from harness.clock import Clock
    from harness.contract import Contract, ErrorTaxonomy, Features, RetryRules, StreamEnd
    from harness.drivers.base import register
    from harness.errors import ScenarioError
    from harness.events import Transcript
    from harness.findings import Finding
    from harness.loader import load_scenario, load_scenarios
    from harness.runner import run_scenario
    from harness.scenario import Scenario
    from harness.script import Script
    from harness.transport import serving, transport_for
    from harness.transport.core import Replay, ReplayMiss


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
