"""The published JSON Schemas, generated from the pydantic models: scenario files (the
contract dialects and checks share), transcripts (what drivers produce) and reports.

They are checked in beside :mod:`harness.vocab.schema` (which says where); a test fails when
the checked-in files fall behind the models. Generated here, at the end of the data flow,
since the models come from every stage before it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, get_args

from harness.vocab.schema import SchemaName, schema_path

__all__ = [
    "report_schema",
    "scenario_schema",
    "schema_text",
    "transcript_schema",
    "write_schemas",
]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, as plain data (YAML parsed with a safe loader)."""
    from harness.scenario.model import Scenario

    return _publish(
        Scenario.model_json_schema(),
        "scenario",
        "harness scenario",
        "A provider-neutral conversation, what the server does on each attempt,"
        " and what a correct adapter yields.",
    )


def transcript_schema() -> dict[str, Any]:
    """JSON Schema of a transcript: the normalized events one run produced."""
    from harness.vocab.events import Transcript

    return _publish(
        Transcript.model_json_schema(),
        "transcript",
        "harness transcript",
        "The normalized events and requests of one scenario run through one driver.",
    )


def report_schema() -> dict[str, Any]:
    """JSON Schema of ``harness matrix --json`` (checked in as ``report.schema.json``): the
    counts, a per-driver summary and every cell with its findings and, unless left out,
    its transcript. The model lives here because the report itself is written as plain
    data by :func:`harness.report.writers.to_json`; a test validates a real report against it."""
    from pydantic import BaseModel, ConfigDict, Field

    from harness.run.cell import Cell, CellStatus

    class Shard(BaseModel):
        model_config = ConfigDict(extra="forbid", title="Shard")

        index: int = Field(ge=1, description="This shard's number, from 1.")
        count: int = Field(ge=1, description="How many shards the matrix was split into.")
        drivers: list[str] = Field(description="The whole matrix's driver columns, in order.")
        scenarios: list[str] = Field(description="The whole matrix's scenario rows, in order.")
        cells: int = Field(ge=0, description="How many cells this shard ran.")

    class Report(BaseModel):
        model_config = ConfigDict(extra="forbid", title="Report")

        version: Literal[1] = Field(description="Report format version.")
        drivers: list[str] = Field(description="Driver columns, in order.")
        scenarios: list[str] = Field(description="Scenario rows, in order.")
        counts: dict[CellStatus, int] = Field(description="Cells per status.")
        summary: dict[str, dict[CellStatus, int]] = Field(
            description="Per driver: its cells per status (statuses with none left out)."
        )
        wall_seconds: float = Field(description="Real time the matrix took.")
        versions: dict[str, dict[str, str]] = Field(
            default_factory=dict,
            description="Per driver: the package versions its cells ran on.",
        )
        startup_seconds: dict[str, float] = Field(
            default_factory=dict,
            description="Per driver: seconds before its first cell ran (environment, worker "
            "start-up, imports); what a shard pays per driver (harness matrix --shard).",
        )
        shard: Shard | None = Field(
            None, description="Set when this report is one shard of a matrix (--shard K/N)."
        )
        cells: list[Cell] = Field(description="One per driver x scenario, driver-major.")

    return _publish(
        Report.model_json_schema(),
        "report",
        "harness report",
        "A conformance matrix run: every scenario against every driver, with findings.",
    )


def schema_text(name: SchemaName) -> str:
    """The schema as the checked-in file holds it: sorted keys, indent 2, final newline."""
    schema = {"scenario": scenario_schema, "transcript": transcript_schema}[name]()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas() -> list[Path]:
    """Regenerate the checked-in schema files (``make schema``); returns their paths."""
    paths = []
    names: tuple[SchemaName, ...] = get_args(SchemaName)
    for name in names:
        path = schema_path(name)
        path.write_text(schema_text(name), encoding="utf-8")
        paths.append(path)
    return paths


def _publish(schema: dict[str, Any], name: str, title: str, description: str) -> dict[str, Any]:
    return {
        **schema,
        "$schema": _DRAFT,
        "$id": f"urn:harness:schema:{name}",
        "title": title,
        "description": description,
    }
