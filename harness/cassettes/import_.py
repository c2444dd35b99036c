"""Cassette -> scenarios: one neutral scenario per interaction a dialect reader understands.

A real recording is the best evidence of what a provider sends; as a neutral scenario it
replays into any driver of any dialect. The reply keeps the recorded pieces (text deltas,
argument fragments), ``expect`` states what the recording says a correct adapter yields,
and what could not be carried over is listed in the description. Retryable HTTP errors
become a server that keeps answering the recorded error, so adapters that retry meet the
same answer again instead of a replay miss.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.cassettes.detect import OTHER, WireDialect, detect_dialect
from harness.cassettes.model import Cassette, CassetteError, Interaction
from harness.cassettes.reply import read_interaction, readable
from harness.cassettes.request import neutral_request
from harness.cassettes.wire import decoded_body, is_sse
from harness.dialects.azure_agents.read import RunFlow, messages_text, read_json, run_flows
from harness.dialects.reading import Reading
from harness.scenario.model import (
    Attempt,
    ErrorKind,
    Expect,
    ExpectedToolCall,
    ExpectedUsage,
    Message,
    ReasoningPart,
    ReplyWrapper,
    Request,
    Scenario,
    TextPart,
    ToolCallPart,
)

__all__ = [
    "Imported",
    "cassette_stem",
    "import_cassette",
    "scenario_for",
    "scenario_yaml",
    "scenarios_from",
]

RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
REPEATS = 11
"""How many times a retryable recorded error is served (more than any default retry budget)."""


@dataclass
class Imported:
    """One interaction's import: its scenario, or why there is none."""

    interaction: Interaction
    dialect: WireDialect
    scenario: Scenario | None = None
    reading: Reading | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


def slug(text: str, limit: int = 80) -> str:
    """A kebab-case id fragment: lower case letters, digits and single hyphens."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:limit].strip("-") or "recording"


_SUFFIXES = (".gz", ".yaml", ".yml", ".json", ".jsonl", ".cassette")
STEM_LIMIT = 60


def cassette_stem(source: str) -> str:
    """The id stem of a cassette: its whole file name without the recording suffixes, in
    kebab case, so ``TestX.test_y.yaml.gz`` and ``TestX.test_z.yaml.gz`` (or Azure's
    ``test_file.pyTestClass.test_a.json``) never share one. A name longer than
    :data:`STEM_LIMIT` is cut and keeps a short hash of the whole name, so it stays unique
    and the same on every run."""
    import hashlib

    name = Path(source).name if source else "cassette"
    lowered = name.lower()
    while lowered.endswith(_SUFFIXES):
        cut = next(s for s in _SUFFIXES if lowered.endswith(s))
        name, lowered = name[: -len(cut)], lowered[: -len(cut)]
    whole = slug(name, limit=10_000)
    if len(whole) <= STEM_LIMIT:
        return whole
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{whole[: STEM_LIMIT - 9].strip('-')}-{digest}"


def scenarios_from(cassette: Cassette, *, portable: bool = False) -> list[Imported]:
    """Every interaction of ``cassette``, imported or skipped with a reason (``portable``:
    see :func:`scenario_for`)."""
    stem = cassette_stem(cassette.source)
    flows = None
    out = []
    for i in cassette.interactions:
        scenario_id = f"{stem}-{i.index + 1}"
        if detect_dialect(i) == "azure-agents":
            if flows is None:
                flows = run_flows(cassette)
            out.append(azure_scenario(i, flows, cassette.source, scenario_id))
        else:
            out.append(scenario_for(i, cassette.source, scenario_id, portable=portable))
    return out


def _json(interaction: Interaction) -> object:
    try:
        return json.loads(decoded_body(interaction.response))
    except (ValueError, RecursionError):
        return None


def azure_scenario(
    interaction: Interaction, flows: dict[int, RunFlow], source: str, scenario_id: str
) -> Imported:
    """One azure-agents scenario per run (streamed, or polled to its final status); the
    thread, message, poll and listing interactions around it are part of that run."""
    flow = flows.get(interaction.index)
    found = Imported(interaction, "azure-agents")
    if flow is None:
        owner = next((n for n, f in flows.items() if interaction.index in f.members), None)
        found.skipped = (
            f"part of the azure-agents run imported from #{owner + 1}"
            if owner is not None
            else "azure-agents bookkeeping (agents, threads, messages): no run to replay"
        )
        return found
    notes: list[str] = []
    polled = not is_sse(interaction, decoded_body(interaction.response))
    if not polled or interaction.response.status >= 400:
        reading = read_interaction(interaction, "azure-agents")
        polls = 0
    else:
        last = flow.polls[-1] if flow.polls else interaction
        reading = Reading(dialect="azure-agents")
        if flow.listing is not None:
            reading.parts.text(messages_text(_json(flow.listing)))
        else:
            notes.append("no messages list after the run: the reply text is not known")
        read_json(_json(last), reading)
        polls = max(len(flow.polls) - 1, 0)
    found.reading = reading
    if reading.refused is not None:  # the azure-agents dialect serves no raw bytes in a run
        found.skipped = f"azure-agents run: {reading.refused}; not imported"
        return found
    notes += reading.notes
    if not flow.messages:
        notes.append("the recorded run has no user message; a placeholder is sent")
    messages = flow.messages or [Message(role="user", content="(recorded run had no message)")]
    attempt = reading.attempt()
    if isinstance(attempt, ReplyWrapper) and polls:
        attempt = ReplyWrapper(reply=attempt.reply.model_copy(update={"polls": polls}))
    found.notes = notes
    status = interaction.response.status
    description = (
        f"Imported from {interaction.where(source)}: azure-agents run, HTTP {status}, "
        + (f"polled {polls + 1} time(s)" if polled else "streamed")
    )
    if notes:
        description += ". Not carried over: " + "; ".join(dict.fromkeys(notes))
    expect = _expect(reading, reading.error_kind(), 1)
    if polled:
        expect = expect.model_copy(update={"requests": None})
    found.scenario = Scenario(
        id=scenario_id,
        description=description + ".",
        dialects=["azure-agents"],
        request=Request(model=flow.assistant, messages=messages, stream=not polled),
        attempts=[attempt],
        expect=expect,
    )
    return found


def scenario_for(
    interaction: Interaction, source: str, scenario_id: str, *, portable: bool = False
) -> Imported:
    """The neutral scenario of one interaction (``skipped`` says why there is none).

    ``portable=True`` leaves out what only one dialect can carry (Anthropic thinking
    signatures), so every dialect can replay the scenario; by default the scenario is as
    faithful to the recording as possible, and dialects that cannot express it say n/a.
    """
    dialect = detect_dialect(interaction)
    found = Imported(interaction, dialect)
    if dialect not in readable():
        where = f"{interaction.request.host}{interaction.request.path}"
        found.skipped = (
            f"{where}: a provider harness has no dialect for (no neutral reader)"
            if dialect == OTHER
            else f"{dialect} replies have no neutral reader ({where})"
        )
        return found
    reading = read_interaction(interaction, dialect)
    reading.portable = portable
    found.reading = reading
    notes = list(reading.notes)
    if portable and reading.parts.has_signatures():
        notes.append("thinking signatures (portable import)")
    request = neutral_request(interaction.request, dialect, reading.stream, notes)
    attempt = reading.attempt()
    attempts: list[Attempt] = [attempt]
    kind = reading.error_kind()
    if reading.http_error is not None and reading.http_error.status in RETRYABLE:
        attempts = [attempt] * REPEATS
        notes.append(f"the recorded {reading.http_error.status} is served on every retry")
    found.notes = notes
    where = interaction.where(source)
    status = interaction.response.status
    description = f"Imported from {where}: {dialect}, HTTP {status}" + (
        ", streamed" if reading.stream else ""
    )
    if notes:
        description += ". Not carried over: " + "; ".join(dict.fromkeys(notes))
    found.scenario = Scenario(
        id=scenario_id,
        description=description + ".",
        # raw bytes mean something only in the dialect they were recorded in
        dialects=[dialect] if reading.raw is not None else None,
        request=request,
        attempts=attempts,
        expect=_expect(reading, kind, len(attempts)),
    )
    return found


def _expect(reading: Reading, kind: ErrorKind | None, attempts: int) -> Expect:
    """What the recording says a correct adapter yields."""
    if kind is not None:
        return Expect(error=kind, requests=1 if attempts == 1 else None)
    attempt = reading.attempt()
    assert isinstance(attempt, ReplyWrapper)
    parts = attempt.reply.parts
    expected_calls: list[ExpectedToolCall] | None = []
    for part in parts:
        if not isinstance(part, ToolCallPart) or expected_calls is None:
            continue
        call = part.tool_call
        args: object = call.arguments
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                args = None
        if isinstance(args, dict):
            expected_calls.append(ExpectedToolCall(name=call.name, arguments=args, id=call.id))
        else:
            expected_calls = None  # arguments that are not an object cannot be expected
    usage = attempt.reply.usage
    return Expect(
        text="".join(p.text for p in parts if isinstance(p, TextPart)),
        reasoning="".join(p.reasoning for p in parts if isinstance(p, ReasoningPart)) or None,
        tool_calls=expected_calls,
        finish=attempt.reply.finish,
        usage=ExpectedUsage(input=usage.input, output=usage.output) if usage else None,
        requests=1,
    )


def scenario_yaml(scenario: Scenario, schema_ref: str) -> str:
    """The scenario as a file: the yaml-language-server header, then compact YAML."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data = {"id": scenario.id, **data}
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return f"# yaml-language-server: $schema={schema_ref}\n{text}"


class _Dumper(yaml.SafeDumper):
    """Block style, leaf lists and mappings inline, multi-line text as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[object]) -> yaml.SequenceNode:
    """Lists of text pieces (deltas, fragments) inline, one quoted piece after another."""
    pieces = [v for v in value if isinstance(v, str)]
    if value and len(pieces) == len(value):
        tag = "tag:yaml.org,2002:str"
        items = [yaml.ScalarNode(tag, v, style='"' if "\n" in v else None) for v in pieces]
        return yaml.SequenceNode("tag:yaml.org,2002:seq", items, flow_style=True)
    return dumper.represent_list(value)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def schema_ref(out_dir: Path) -> str:
    """The published scenario schema, relative to ``out_dir`` when possible."""
    from harness.vocab.schema import schema_path

    target = schema_path("scenario")
    try:
        return os.path.relpath(target, out_dir.resolve())
    except ValueError:  # another drive (Windows)
        return target.as_uri()


def import_cassette(
    cassette: Cassette, out_dir: Path, *, portable: bool = False, force: bool = False
) -> list[tuple[Imported, Path | None]]:
    """Write one scenario file per importable interaction into ``out_dir``; each file is
    parsed back with the scenario loader before it is written, so only valid files land.

    An existing scenario file is never overwritten unless ``force``: then nothing is written
    and the error lists them all (a scenario someone edited by hand is not lost).
    """
    from harness.cassettes.format import write_atomic
    from harness.scenario.load import parse_scenario

    if out_dir.exists() and not out_dir.is_dir():
        raise CassetteError(f"{out_dir}: not a directory (-o names the folder for scenarios)")
    ref = schema_ref(out_dir)
    results: list[tuple[Imported, Path | None]] = []
    planned: list[tuple[Path, str]] = []
    for found in scenarios_from(cassette, portable=portable):
        if found.scenario is None:
            results.append((found, None))
            continue
        path = out_dir / f"{found.scenario.id}.yaml"
        text = scenario_yaml(found.scenario, ref)
        parse_scenario(text, source=str(path))
        planned.append((path, text))
        results.append((found, path))
    existing = [str(path) for path, _ in planned if path.exists()]
    if existing and not force:
        raise CassetteError(
            f"{cassette.source}: import would overwrite {', '.join(existing)}; nothing written "
            "(pass --force to overwrite)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, text in planned:
        write_atomic(path, text.encode("utf-8"))
    return results
