"""Hypothesis examples per second through the OpenAI SDK driver (``harness.fuzz.runner``).

``harness fuzz`` runs each generated scenario the way the matrix runs a cell: a fresh
virtual clock, event loop, SDK client and replay per example, then the expectations and
invariants. Every finding code is ignored here so the run never stops at the first
failure (the rate, not the verdict, is measured). Two settings: each example once, and
with the re-chunking comparison (invariant 5) that reruns every example whose body is not
cut per event. For scale, one bundled scenario through ``run_scenario`` alone, and the
DESIGN.md anchor: ~490 examples/s with one event loop and one client reused for every
example (no isolation between examples, no checks).
"""

from __future__ import annotations

import time

from benchmarks import ROOT, Row, median

__all__ = ["DRIVER", "measure", "run"]

DRIVER = "openai-sdk-chat"
SEED = 20261125
ANCHOR = 490.0


def measure(examples: int) -> dict[str, float]:
    """Examples (or runs) per second, per setting."""
    from harness.checks.catalogue import CATALOGUE
    from harness.drivers.base import get_driver
    from harness.fuzz.runner import fuzz
    from harness.run.runner import run_scenario
    from harness.scenario.load import load_scenario

    ignore = list(CATALOGUE)
    fuzz(
        DRIVER, examples=5, seed=SEED, rechunk=False, ignore=ignore, corpus=False
    )  # imports, warm-up
    rates: dict[str, float] = {}
    for label, rechunk in (("each example once", False), ("with re-chunk comparison", True)):
        result = fuzz(
            DRIVER, examples=examples, seed=SEED, rechunk=rechunk, ignore=ignore, corpus=False
        )
        rates[label] = result.examples / result.seconds
    scenario = load_scenario(ROOT / "scenarios" / "text-plain.yaml")
    driver = get_driver(DRIVER)
    times = []
    for _ in range(max(5, examples // 5)):
        started = time.perf_counter()
        run_scenario(scenario, driver)
        times.append(time.perf_counter() - started)
    rates["run_scenario alone (text-plain)"] = 1 / median(times)
    return rates


def run(quick: bool) -> list[Row]:
    rates = measure(20 if quick else 200)
    rows = [
        Row(
            benchmark=f"Hypothesis examples/s through {DRIVER}",
            subject=f"harness fuzz, {label}" if "alone" not in label else label,
            measured=f"{rate:.0f}/s",
            ratio=f"{rate / ANCHOR:.2f}x anchor",
            note="cells/s, checks included" if "alone" in label else f"seed {SEED}",
        )
        for label, rate in rates.items()
    ]
    rows.append(
        Row(
            benchmark=f"Hypothesis examples/s through {DRIVER}",
            subject="anchor: loop and client reused",
            measured=f"~{ANCHOR:.0f}/s",
            note="DESIGN.md; no isolation between examples, no checks",
        )
    )
    return rows
