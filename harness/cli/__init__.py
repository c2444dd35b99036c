"""The ``harness`` command line: ``app`` parses and dispatches; ``adopt`` (``harness init``,
``harness scenarios``) and ``cassettes`` (``record``, ``import``, ``scan``, ``diff``) hold the
commands that bring harness into a repository and work on recordings."""

from __future__ import annotations

from harness.cli.app import main

__all__ = ["main"]
