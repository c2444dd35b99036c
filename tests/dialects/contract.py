"""The dialect contract, checked over every registered dialect: what a dialect compiles,
its own reader reads back, its recogniser recognises, and its normalizer (where it has
one) maps onto the events the scenario describes.

:func:`contract_cases` lists (dialect, scenario) pairs from the registry and the bundled
scenarios, so a dialect registered through the ``harness.dialects`` entry points is
checked the moment it is installed; :func:`contract_problems` says what breaks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from harness.cassettes.detect import detect_dialect
from harness.cassettes.import_ import scenarios_from
from harness.cassettes.model import Interaction
from harness.cassettes.replay import script_cassette
from harness.cassettes.wire import decoded_body, is_ndjson, is_sse, ndjson_events, sse_events
from harness.dialects import Dialect, dialect_names, get_dialect
from harness.dialects.chunking import split_text
from harness.scenario.bundled import default_scenario_paths
from harness.scenario.load import load_scenarios
from harness.scenario.model import (
    NO_FINISH,
    DisconnectAttempt,
    ErrorAttempt,
    RawAttempt,
    ReasoningPart,
    ReplyAttempt,
    ReplyWrapper,
    Scenario,
    TextPart,
)
from harness.vocab.events import (
    Event,
    FinishEvent,
    ReasoningEvent,
    RefusalEvent,
    TextEvent,
    ToolCallEvent,
)

__all__ = ["contract_cases", "contract_problems", "neutral_events", "neutral_reply"]

BASE_URL = "https://contract.harness.invalid"
_CUT_SHORT = {"max_output_tokens": "length", "content_filter": "content_filter"}
"""An incomplete reply's reason, as the finish reason of a reply that ended short: the
same thing said two ways (Responses says ``incomplete``, the others a finish reason)."""


def contract_cases(scenarios: Iterable[Scenario] | None = None) -> list[tuple[str, Scenario]]:
    """Every registered dialect with every scenario it expresses (``supports`` is None)."""
    pool = list(scenarios) if scenarios is not None else load_scenarios(default_scenario_paths())
    return [
        (name, scenario)
        for name in dialect_names()
        for scenario in pool
        if get_dialect(name).supports(scenario) is None
    ]


def contract_problems(dialect: Dialect, scenario: Scenario) -> list[str]:
    """What breaks the contract for this scenario: compile, detect, read back, normalize."""
    script = dialect.synthesize(scenario)
    if not script.exchanges:
        return ["synthesize gave no exchange"]
    cassette = script_cassette(script, BASE_URL, scenario)
    problems = [
        f"exchange {i.index + 1} ({i.request.method} {i.request.path}) is recognised as {seen}"
        for i in cassette.interactions
        if (seen := detect_dialect(i)) != dialect.name
    ]
    if not _comparable(scenario):
        return problems  # a dropped connection or raw bytes have no neutral reply to compare
    if dialect.reader is not None:
        problems += _read_back(scenario, cassette.interactions, cassette.source)
    if dialect.normalizer is not None:
        problems += _normalize(dialect, scenario, cassette.interactions)
    return problems


def _comparable(scenario: Scenario) -> bool:
    """Every attempt is an HTTP error or a reply with no stream fault."""
    for attempt in scenario.attempts:
        if isinstance(attempt, DisconnectAttempt | RawAttempt):
            return False
        if isinstance(attempt, ReplyWrapper) and attempt.reply.fault is not None:
            return False
    return True


def neutral_reply(reply: ReplyAttempt, stream: bool) -> dict[str, Any]:
    """What a reply says, as the wire can carry it: consecutive text (or reasoning) pieces
        run together (a reader cannot tell two parts of one kind apart), the pieces kept for a
        stream, tool calls by name and parsed arguments, the finish of a completed reply, usage
        counts when the scenario gives them (Anthropic always sends some); an incomplete reply as
    the finish reason it ends with."""
    parts: list[list[Any]] = []
    for part in reply.parts:
        if isinstance(part, TextPart | ReasoningPart):
            kind = "text" if isinstance(part, TextPart) else "reasoning"
            text = part.text if isinstance(part, TextPart) else part.reasoning
            pieces = [p for p in split_text(text, part.deltas) if p] if stream else [text]
            if parts and parts[-1][0] == kind:
                parts[-1][1] += pieces if stream else []
                parts[-1][2] += text
            else:
                parts.append([kind, pieces if stream else [], text])
        else:
            call = part.tool_call
            arguments: Any = call.arguments
            if isinstance(arguments, str):
                arguments = _parsed(arguments)
            parts.append(["tool_call", call.name, arguments])
    out: dict[str, Any] = {"parts": parts, "outcome": reply.outcome}
    if reply.outcome == "completed":
        out["finish"] = reply.finish
    elif reply.outcome == "incomplete":  # a reply cut short says so by its finish reason
        out.update(outcome="completed", finish=_CUT_SHORT[reply.incomplete_reason])
    if reply.usage is not None:
        out["usage"] = (reply.usage.input, reply.usage.output)
    if reply.refusal is not None:
        out["refusal"] = reply.refusal.text
    return out


def _parsed(text: str) -> Any:
    """Argument text as the JSON it spells (``{}`` for none), else the text itself."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_back(scenario: Scenario, interactions: Iterable[Interaction], source: str) -> list[str]:
    imported = [found for found in scenarios_from(_cassette(interactions, source))]
    read = [found.scenario.attempts[0] for found in imported if found.scenario is not None]
    if len(read) != len(scenario.attempts):
        return [f"read back {len(read)} attempts, the scenario has {len(scenario.attempts)}"]
    problems = []
    stream = scenario.request.stream
    for n, (want, got) in enumerate(zip(scenario.attempts, read, strict=True)):
        if isinstance(want, ErrorAttempt):
            if not isinstance(got, ErrorAttempt) or got.error.status != want.error.status:
                problems.append(f"attempt {n + 1}: HTTP {want.error.status} read back as {got}")
            continue
        assert isinstance(want, ReplyWrapper)
        if not isinstance(got, ReplyWrapper):
            problems.append(f"attempt {n + 1}: the reply read back as {got}")
            continue
        expected = neutral_reply(want.reply, stream)
        found = neutral_reply(got.reply, stream)
        if "usage" not in expected:
            found.pop("usage", None)
        if found != expected:
            problems.append(f"attempt {n + 1}: read back {found}, the scenario says {expected}")
    return problems


def _cassette(interactions: Iterable[Interaction], source: str) -> Any:
    from harness.cassettes.model import Cassette

    return Cassette(tuple(interactions), source=source, format="harness")


def neutral_events(events: Iterable[Event]) -> dict[str, Any]:
    """The events a normalizer gave, in :func:`neutral_reply` terms (without pieces)."""
    parts: list[list[Any]] = []
    out: dict[str, Any] = {"parts": parts, "outcome": "completed"}
    for event in events:
        if isinstance(event, TextEvent | ReasoningEvent):
            kind = "text" if isinstance(event, TextEvent) else "reasoning"
            if parts and parts[-1][0] == kind:
                parts[-1][2] += event.text
            else:
                parts.append([kind, [], event.text])
        elif isinstance(event, ToolCallEvent):
            parts.append(["tool_call", event.name, event.arguments])
        elif isinstance(event, FinishEvent):
            # a finish with neither a reason nor a raw one: the reply gave none
            out["finish"] = event.reason or (NO_FINISH if event.raw is None else None)
        elif isinstance(event, RefusalEvent):
            out["refusal"] = out.get("refusal", "") + event.text
        elif event.kind == "usage":
            out["usage"] = (getattr(event, "input", None), getattr(event, "output", None))
    return out


def _normalize(
    dialect: Dialect, scenario: Scenario, interactions: Iterable[Interaction]
) -> list[str]:
    """Each reply's decoded items (stream chunks or the JSON body) through the dialect's
    normalizer give the reply's text, reasoning, calls, finish and usage."""
    assert dialect.normalizer is not None
    answers = list(interactions)
    if len(answers) != len(scenario.attempts):
        return [f"{len(answers)} exchanges for {len(scenario.attempts)} attempts: cannot align"]
    problems = []
    for n, (attempt, interaction) in enumerate(zip(scenario.attempts, answers, strict=True)):
        if not isinstance(attempt, ReplyWrapper):
            continue
        normalizer = dialect.normalizer()
        events: list[Event] = []
        for item in _items(dialect, interaction):
            events += normalizer.feed(item)
        events += normalizer.close()
        expected = _by_kind(neutral_reply(attempt.reply, stream=False))
        found = _by_kind(neutral_events(events))
        if "usage" not in expected:
            found.pop("usage", None)
        if found != expected:
            problems.append(f"attempt {n + 1}: normalized to {found}, the scenario says {expected}")
    return problems


def _by_kind(reply: dict[str, Any]) -> dict[str, Any]:
    """A reply with its text, reasoning and calls each in order but apart from the others:
    when a normalizer hands over a call (as it starts, or at the finish, with its arguments
    complete) is its choice, not the wire's."""
    kinds: dict[str, list[Any]] = {"text": [], "reasoning": [], "tool_call": []}
    for part in reply["parts"]:
        kinds[part[0]].append(part[1:] if part[0] == "tool_call" else part[2])
    joined = {k: "".join(v) for k, v in kinds.items() if k != "tool_call"}
    return {**reply, "parts": {**joined, "tool_call": kinds["tool_call"]}}


def _items(dialect: Dialect, interaction: Interaction) -> list[Any]:
    """The decoded JSON items of a response: each stream event's data (each NDJSON line),
    or the body; the events of a binary stream (the reader's ``decode_stream``) as its SDK
    hands them over, ``{event type: payload}``."""
    body = decoded_body(interaction.response)
    binary = getattr(dialect.reader, "decode_stream", None)
    events = binary(body) if binary is not None else None
    if events is not None:
        return [{event.event: json.loads(event.data)} for event in events]
    streamed = is_sse(interaction, body)
    if not streamed and not is_ndjson(interaction, body):
        return [json.loads(body)]
    items = []
    for event in sse_events(body) if streamed else ndjson_events(body):
        if event.data.strip() != "[DONE]":
            items.append(json.loads(event.data))
    return items
