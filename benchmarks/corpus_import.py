"""Import and replay the real-world corpus (``../shared/corpus``) and count, per source
folder: files, interactions, scenarios imported, and scenarios whose replay through a real
driver of their dialect gives back the recorded text and tool calls (identical output).

``python benchmarks/corpus_import.py [CORPUS]``; prints a Markdown table. Not a test: the
numbers describe the corpus and the drivers installed, they do not gate anything.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenarios_from
from harness.cassettes.model import CassetteError
from harness.drivers.base import get_driver
from harness.run.runner import run_scenario
from harness.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[1]
DRIVERS = {
    "openai-chat": "openai-sdk-chat",
    "openai-responses": "openai-sdk-responses",
    "anthropic-messages": "anthropic-sdk",
    "gateway": "gateway-client",
}


def driver_for(scenario: Scenario, dialect: str) -> str | None:
    if dialect == "azure-agents":
        return "litellm-azure-agents-stream" if scenario.request.stream else "litellm-azure-agents"
    return DRIVERS.get(dialect)


def identical(scenario: Scenario, driver: str) -> bool:
    """The replay gives the caller the recorded text and tool calls (or the failure)."""
    run = run_scenario(scenario, get_driver(driver))
    events = run.transcript.events
    if scenario.expect.error is not None:
        return any(e.kind == "error" for e in events)
    text = "".join(getattr(e, "text", "") for e in events if e.kind == "text")
    calls = [(e.name, json.dumps(e.arguments, sort_keys=True))  # type: ignore[attr-defined]
             for e in events if e.kind == "tool_call"]  # fmt: skip
    wanted = [(c.name, json.dumps(c.arguments, sort_keys=True))
              for c in scenario.expect.tool_calls or ()]  # fmt: skip
    return text == (scenario.expect.text or "") and calls == wanted


def main(corpus: Path) -> None:
    rows: dict[str, Counter[str]] = {}
    for path in sorted(corpus.glob("*/*")):
        if path.suffix not in (".yaml", ".json") or path.parent.name == "LICENSES":
            continue
        row = rows.setdefault(path.parent.name, Counter())
        row["files"] += 1
        try:
            cassette = load_cassette(path)
        except CassetteError:
            row["unreadable"] += 1
            continue
        row["interactions"] += len(cassette.interactions)
        for found in scenarios_from(cassette):
            if found.scenario is None:
                continue
            row["imported"] += 1
            driver = driver_for(found.scenario, found.dialect)
            try:
                ok = driver is not None and identical(found.scenario, driver)
            except Exception:  # a driver that cannot run here counts as not replayed
                ok = False
            row["identical"] += ok
    print("| source | files | interactions | imported | replayed identical |")
    print("|---|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for name, row in rows.items():
        total.update(row)
        print(f"| {name} | {row['files']} | {row['interactions']} | {row['imported']} | "
              f"{row['identical']} |")  # fmt: skip
    print(f"| **all** | {total['files']} | {total['interactions']} | {total['imported']} | "
          f"{total['identical']} |")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "../shared/corpus")
