"""harness: record/replay testing and conformance for LLM provider adapters."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
