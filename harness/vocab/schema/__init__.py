"""Where the published JSON Schemas live: scenario files, transcripts and ``harness matrix
--json`` reports, checked in beside this module so editors
(``# yaml-language-server: $schema=...``) and non-Python tools can validate without
importing harness. They are generated from the pydantic models by
:mod:`harness.report.schema`; a test fails when the checked-in files fall behind the models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["SchemaName", "schema_path"]

SchemaName = Literal["scenario", "transcript"]

_HERE = Path(__file__).parent
_NAMES: tuple[SchemaName, ...] = ("scenario", "transcript")


def schema_path(name: SchemaName) -> Path:
    """Where the checked-in ``<name>.schema.json`` lives (it ships with the package)."""
    if name not in _NAMES:
        raise ValueError(f"unknown schema {name!r}: expected one of {', '.join(_NAMES)}")
    return _HERE / f"{name}.schema.json"
