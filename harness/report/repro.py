"""Reproductions: a scenario as a file ready to save in ``scenarios/``, and a script's wire
bytes read by read, so a failure found by fuzzing can be replayed and read by a person.
"""

from __future__ import annotations

import yaml

from harness.dialects.script import HttpDate, Script
from harness.run.rechunk import split_points
from harness.scenario.model import Scenario

__all__ = ["SCHEMA_HEADER", "scenario_yaml", "wire_text"]

SCHEMA_HEADER = "# yaml-language-server: $schema=../harness/vocab/schema/scenario.schema.json\n"


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as a file for ``scenarios/``: schema header, fields left at their
    defaults omitted, unicode kept readable (YAML escapes what it must)."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data = {"id": scenario.id, **data}  # the id first, even if a default one
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=92)
    return SCHEMA_HEADER + body


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key and short lists of scalars on one line, as the
    bundled scenarios are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list[object]) -> yaml.Node:
    flat = len(data) <= 8 and all(isinstance(x, int | float | bool) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """YAML folds a raw NEL, LS or PS into a line break: quote (and so escape) them."""
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029\ufeff") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def wire_text(script: Script, *, width: int = 96) -> str:
    """Every exchange's status, headers and body, one line per chunk (read), so the split
    points are visible where they fall."""
    lines: list[str] = []
    points = split_points(script)
    for n, (ex, cuts) in enumerate(zip(script.exchanges, points, strict=True), start=1):
        lines.append(
            f"exchange {n}: {ex.method} {ex.path} -> HTTP {ex.status}, {len(ex.body)} bytes, "
            f"end {ex.end}, split at {cuts}"
        )
        for name, value in ex.headers:
            if name.lower().startswith("retry-after"):
                shown = (
                    f"<HTTP date {value.seconds:g} s ahead>"
                    if isinstance(value, HttpDate)
                    else value
                )
                lines.append(f"  {name}: {shown}")
        at = 0
        for chunk in ex.chunks:
            lines.extend(_chunk_lines(at, chunk.data, width))
            at += len(chunk.data)
    return "\n".join(lines) + "\n"


def _chunk_lines(at: int, data: bytes, width: int) -> list[str]:
    """``@offset b'...'``, long reads wrapped at event ends so they stay legible."""
    pieces = data.split(b"\n")
    out: list[str] = []
    first = True
    for i, piece in enumerate(pieces):
        text = piece + (b"\n" if i < len(pieces) - 1 else b"")
        if not text:
            continue
        prefix = f"  @{at:<6}" if first else "  " + " " * 7
        out.append(prefix + repr(text)[: width * 4])
        first = False
    return out or [f"  @{at:<6}b''"]
