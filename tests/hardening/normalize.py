"""A matrix JSON report without its timing, so two runs can be compared for equality.

What is dropped, and why it cannot be deterministic:

- ``wall_seconds`` (the matrix and each transcript): real time;
- ``virtual_seconds``, each request's ``at``, each response's ``head_at``, ``end_at`` and
  ``pauses``, and ``event_times``: virtual time is real time plus the skipped
  seconds (``harness.transport.clock``), so they carry the real time the adapter spent, and a
  process's first cell also carries the adapter's import (the clock starts before the
  driver imports its SDK). Checks only use differences between two ``at`` values;
- the waits that retry findings quote (``wait_s``, ``waited_s``, ``waits_s``,
  ``next_request_after_s``) and the same numbers inside finding messages ("came 0.473 s
  later", "at 0.012s"): differences of ``at`` values, so they carry the same real time
  (and an adapter's random backoff jitter).

Everything else must be equal: statuses, codes, events, request bodies and headers.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TIMING_KEYS", "normalize_report"]

TIMING_KEYS = frozenset(
    {"at", "wall_seconds", "virtual_seconds", "wait_s", "waited_s", "waits_s",
     "next_request_after_s", "head_at", "end_at", "event_times", "pauses"}
)  # fmt: skip
_SECONDS = re.compile(r"\b\d+\.\d+ ?s\b")


def normalize_report(value: Any) -> Any:
    """``value`` (a parsed JSON report, or any part of one) with timing replaced."""
    if isinstance(value, dict):
        return {k: normalize_report(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [normalize_report(v) for v in value]
    if isinstance(value, str):
        return _SECONDS.sub("<seconds>", value)
    return value
