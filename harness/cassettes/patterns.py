"""The cassette-side names of the secret policy (kept for imports; the rules themselves
live in :mod:`harness.vocab.secrets`, shared with scan, the request log and the reports)."""

from __future__ import annotations

from harness.vocab.secrets import PLACEHOLDER, field_rule, header_rule, is_placeholder, param_rule

__all__ = ["PLACEHOLDER", "is_placeholder", "is_secret_header", "is_secret_key", "is_secret_param"]


def is_secret_header(name: str) -> str | None:
    """The kind of secret header ``name`` carries, or None."""
    rule = header_rule(name)
    return None if rule is None else rule.kind


def is_secret_param(name: str) -> bool:
    """A query parameter whose value is secret (also ignored when matching requests)."""
    return param_rule(name) is not None


def is_secret_key(name: str) -> bool:
    """A JSON field named like a credential."""
    return field_rule(name, "x" * 16) is not None
