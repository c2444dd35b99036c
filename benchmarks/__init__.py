"""Benchmarks against the tools users would pick instead; ``python -m benchmarks`` runs them.

Absolute times are noisy (shared 2-core machines), so every result is a median over repeats
and, where a baseline exists, a ratio measured in the same round as that baseline. Each
module exposes ``run(quick: bool) -> list[Row]``; ``__main__`` prints one Markdown table with
the machine it ran on and writes it to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "Row", "machine", "median", "ratio_text", "spread", "timed", "verdict"]

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (scenarios/, .venv/)."""


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    benchmark: str
    subject: str
    measured: str
    ratio: str = ""
    note: str = ""
    goal: str = ""
    result: str = ""
    """``PASS`` / ``MISS`` when the row has a goal, else empty."""


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: Iterable[float], fmt: str = "{:.2f}", unit: str = "") -> str:
    """``min / median / max`` of ``values`` over the repeats, each formatted with ``fmt``."""
    ordered = sorted(values)
    low, mid, high = ordered[0], statistics.median(ordered), ordered[-1]
    return f"{fmt.format(low)} / {fmt.format(mid)} / {fmt.format(high)}{unit}"


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds one call of ``fn`` takes (``perf_counter``)."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ratio_text(value: float) -> str:
    return f"{value:.2f}x"


def machine() -> str:
    """``nproc``, CPU model, Python and OS: what the numbers were measured on."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    py = sys.version.split()[0]
    return (
        f"{os.cpu_count()} CPUs (nproc), {model}, Python {py} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )
