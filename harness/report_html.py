"""The matrix as one self-contained HTML page (work in progress)."""

from __future__ import annotations

from harness.matrix import Matrix

__all__ = ["to_html"]


def to_html(m: Matrix) -> str:
    return "<!doctype html><title>harness</title>\n"
