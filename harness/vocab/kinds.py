"""The words shared by scenarios (what a correct adapter does) and transcripts (what an
adapter did): how a reply finished, and what kind of failure an adapter surfaced.

Re-exported by :mod:`harness.scenario.model`, where scenario files use them.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["NO_FINISH", "ErrorKind", "FinishReason", "NoFinish"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "paused"]
"""One vocabulary for every dialect's finish/stop reason. ``paused``: the provider paused a
long-running turn that is not complete (Anthropic's ``pause_turn``); the caller sends the
reply back to let the model continue, so it must not read as a finished ``stop``."""

NoFinish = Literal["none"]
"""A scenario's word for "no finish reason": a reply that carries none (OpenAI chat's
``finish_reason: null``), and the expectation that the adapter reports none."""

NO_FINISH: NoFinish = "none"

ErrorKind = Literal[
    "rate_limit",
    "auth",
    "not_found",
    "bad_request",
    "context_window",
    "server",
    "timeout",
    "protocol",
    "unknown",
]
"""What kind of failure an adapter surfaced, whatever its exception class is called."""
