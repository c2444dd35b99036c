"""harness: record/replay testing and conformance for LLM provider adapters.

The public surface is small and loaded lazily, so ``import harness`` (and the pytest
plugin) costs almost nothing until a name is used.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
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
    "Clock": "harness.transport.clock",
    "Contract": "harness.drivers.contract",
    "ErrorTaxonomy": "harness.drivers.contract",
    "Features": "harness.drivers.contract",
    "RetryRules": "harness.drivers.contract",
    "StreamEnd": "harness.drivers.contract",
    "Finding": "harness.vocab.findings",
    "Replay": "harness.transport.core",
    "ReplayMiss": "harness.transport.core",
    "Scenario": "harness.scenario.model",
    "ScenarioError": "harness.vocab.errors",
    "Script": "harness.dialects.script",
    "Transcript": "harness.vocab.events",
    "load_scenario": "harness.scenario.load",
    "load_scenarios": "harness.scenario.load",
    "register": "harness.drivers.base",
    "run_scenario": "harness.run.runner",
    "serving": "harness.transport",
    "transport_for": "harness.transport",
}

if TYPE_CHECKING:
    from harness.dialects.script import Script
    from harness.drivers.base import register
    from harness.drivers.contract import Contract, ErrorTaxonomy, Features, RetryRules, StreamEnd
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenario, load_scenarios
    from harness.scenario.model import Scenario
    from harness.transport import serving, transport_for
    from harness.transport.clock import Clock
    from harness.transport.core import Replay, ReplayMiss
    from harness.vocab.errors import ScenarioError
    from harness.vocab.events import Transcript
    from harness.vocab.findings import Finding


_MOVED = {
    "harness.adopt": "harness.cli.adopt",
    "harness.baseline": "harness.matrix.baseline",
    "harness.blocked": "harness.transport.blocked",
    "harness.budget": "harness.transport.budget",
    "harness.cassettes.commands": "harness.cli.cassettes",
    "harness.cassettes.read_anthropic": "harness.dialects.anthropic_messages.read",
    "harness.cassettes.read_azure": "harness.dialects.azure_agents.read",
    "harness.cassettes.read_chat": "harness.dialects.openai_chat.read",
    "harness.cassettes.read_gateway": "harness.dialects.gateway.read",
    "harness.cassettes.read_responses": "harness.dialects.openai_responses.read",
    "harness.cassettes.record_transport": "harness.transport.record",
    "harness.catalogue": "harness.checks.catalogue",
    "harness.cell": "harness.run.cell",
    "harness.checks._corpus": "harness.fuzz.corpus",
    "harness.checks._faults": "harness.fuzz.faults",
    "harness.checks._values": "harness.fuzz.values",
    "harness.checks.rechunk": "harness.run.rechunk",
    "harness.checks.strategies": "harness.fuzz.strategies",
    "harness.chunking": "harness.dialects.chunking",
    "harness.clock": "harness.transport.clock",
    "harness.conformance": "harness.plugin.declare",
    "harness.dialects._azure_agents_objects": "harness.dialects.azure_agents.objects",
    "harness.dialects._compile": "harness.dialects.common",
    "harness.dialects._framing": "harness.dialects.framing",
    "harness.drivers._common": "harness.drivers.common",
    "harness.contract": "harness.drivers.contract",
    "harness.env_policy": "harness.matrix.env_policy",
    "harness.envs": "harness.matrix.envs",
    "harness.errors": "harness.vocab.errors",
    "harness.events": "harness.vocab.events",
    "harness.file_lock": "harness.matrix.file_lock",
    "harness.findings": "harness.vocab.findings",
    "harness.fixture": "harness.plugin.fixture",
    "harness.fixture_cassette": "harness.plugin.fixture_cassette",
    "harness.guard": "harness.transport.guard",
    "harness.loader": "harness.scenario.load",
    "harness.loader_messages": "harness.scenario.messages",
    "harness.locate": "harness.scenario.bundled",
    "harness.matrix_doc": "harness.report.matrix_doc",
    "harness.progress": "harness.matrix.progress",
    "harness.pytest_fuzz": "harness.plugin.fuzz",
    "harness.pytest_paths": "harness.plugin.paths",
    "harness.pytest_plugin": "harness.plugin.pytest_plugin",
    "harness.pytest_suite": "harness.plugin.suite",
    "harness.report_html": "harness.report.html",
    "harness.report.progress": "harness.matrix.progress",
    "harness.repro": "harness.report.repro",
    "harness.run.budget": "harness.transport.budget",
    "harness.run.clock": "harness.transport.clock",
    "harness.secrets": "harness.vocab.secrets",
    "harness.secrets.mask": "harness.vocab.secrets.mask",
    "harness.secrets.names": "harness.vocab.secrets.names",
    "harness.secrets.values": "harness.vocab.secrets.values",
    "harness.runner": "harness.run.runner",
    "harness.scenario_wire": "harness.scenario.wire",
    "harness.schema": "harness.vocab.schema",
    "harness.script": "harness.dialects.script",
    "harness.setup_errors": "harness.run.setup_errors",
    "harness.sse": "harness.dialects.sse",
    "harness.suggest": "harness.vocab.suggest",
    "harness.summary": "harness.report.summary",
    "harness.timeline": "harness.report.timeline",
    "harness.verdict": "harness.matrix.verdict",
    "harness.worker": "harness.matrix.worker",
    "harness.yaml_budget": "harness.scenario.yaml_budget",
}
"""Module paths before the package was grouped by stage (issue 18) -> where they live now.
Old imports keep working: the finder below hands out the new module under the old name."""


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> Any:
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module: Any) -> None:
        """The module is the moved one, already executed."""


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
