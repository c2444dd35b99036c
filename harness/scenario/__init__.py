"""Scenario input: the neutral conversation model, the shape of its wire, and loading files.

Modules, one job each::

    model ........ Scenario and its parts (pydantic): conversation, attempts, expectations
    wire ......... how a streamed reply's bytes look: chunking, line endings, SSE framing
    load ......... YAML files in (safely), a validated Scenario out, or one ScenarioError
    messages ..... pydantic errors as scenario-file messages (``line: field: expected ...``)
    yaml_budget .. a bound on alias expansion, so a hostile file cannot hang a loader
    bundled ...... where the bundled scenarios are

The model's public names and the loaders are importable from here (``from harness.scenario.model
import Scenario, load_scenario``); they load on first use, so importing ``bundled`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.scenario.load import load_scenario as load_scenario
    from harness.scenario.load import load_scenarios as load_scenarios
    from harness.scenario.model import *  # noqa: F403

_LOADERS = {"load_scenario", "load_scenarios"}


def __getattr__(name: str) -> Any:
    if name in _LOADERS:
        module = importlib.import_module("harness.scenario.load")
    elif name[:1].isupper() or name in {"__all__"}:
        module = importlib.import_module("harness.scenario.model")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "__all__":
        return [*module.__all__, *sorted(_LOADERS)]
    if name not in module.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
