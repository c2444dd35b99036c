"""The real-world corpus (``../shared/corpus``, beside the repository): every file loads,
and every recorded OpenAI-chat, Responses and Anthropic stream, imported as a neutral
scenario and replayed through a driver of its dialect, yields the recording's text and tool
calls. The recording's own text and calls are read here independently of the importer.

Skipped cleanly when the corpus is not there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.detect import detect_dialect
from harness.cassettes.format import load_cassette
from harness.cassettes.import_ import scenario_for
from harness.cassettes.model import CassetteError, Interaction
from harness.cassettes.wire import decoded_body, is_sse
from harness.dialects.sse import decode

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"
DRIVERS = {
    "openai-chat": "openai-sdk-chat",
    "openai-responses": "openai-sdk-responses",
    "anthropic-messages": "anthropic-sdk",
}
REPLAYED_DIRS = ("openai-chat", "openai-responses", "anthropic-messages", "groq", "mistral")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.glob("*/*")
        if p.suffix in (".yaml", ".json") and p.parent.name != "LICENSES"
    )


def stream_cases() -> list[Any]:
    """(file, interaction index, dialect) of every stream of a replayable dialect."""
    cases = []
    for path in corpus_files():
        if path.parent.name not in REPLAYED_DIRS:
            continue
        try:
            cassette = load_cassette(path)
        except CassetteError:
            continue
        for interaction in cassette.interactions:
            dialect = detect_dialect(interaction)
            if dialect in DRIVERS and interaction.response.status == 200 and is_sse(interaction):
                name = f"{path.parent.name}/{path.stem[:60]}#{interaction.index + 1}"
                cases.append(pytest.param(path, interaction.index, dialect, id=name))
    return cases


CASES = stream_cases()
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


@needs_corpus
def test_at_least_110_of_the_119_recordings_load() -> None:
    files = corpus_files()
    loaded, failed = 0, []
    for path in files:
        try:
            load_cassette(path)
            loaded += 1
        except CassetteError as exc:
            failed.append(str(exc))
    assert len(files) == 119
    assert loaded >= 110, "\n".join(failed)


@needs_corpus
def test_every_stream_dialect_is_represented() -> None:
    assert {case.values[2] for case in CASES} == set(DRIVERS)


# --------------------------------------------------------------------------- ground truth


def recorded(interaction: Interaction, dialect: str) -> tuple[str, list[tuple[str, Any]]]:
    """The text and tool calls (name, parsed arguments) the recorded stream carries, read
    straight from its events."""
    events = decode(decoded_body(interaction.response))
    text: list[str] = []
    calls: dict[Any, dict[str, Any]] = {}
    for event in events:
        try:
            data = json.loads(event.data)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        kind = event.event or data.get("type")
        if dialect == "openai-chat":
            for choice in data.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                text.append(delta.get("content") or "")
                for call in delta.get("tool_calls") or []:
                    slot = calls.setdefault(call.get("index", 0), {"name": "", "args": ""})
                    function = call.get("function") or {}
                    slot["name"] = slot["name"] or function.get("name") or ""
                    slot["args"] += function.get("arguments") or ""
        elif dialect == "openai-responses":
            if kind == "response.output_text.delta":
                text.append(data["delta"])
            elif kind == "response.output_item.done" and data["item"]["type"] == "function_call":
                item = data["item"]
                calls[item["id"]] = {"name": item["name"], "args": item["arguments"]}
        elif kind == "content_block_start" and data["content_block"]["type"] == "tool_use":
            block = data["content_block"]
            calls[data["index"]] = {"name": block["name"], "args": "", "input": block["input"]}
        elif kind == "content_block_delta":
            delta = data["delta"]
            if delta["type"] == "text_delta":
                text.append(delta["text"])
            elif delta["type"] == "input_json_delta" and data["index"] in calls:
                calls[data["index"]]["args"] += delta["partial_json"]
    parsed = []
    for call in calls.values():
        args = call["args"] or json.dumps(call.get("input") or {})
        try:
            parsed.append((call["name"], json.loads(args)))
        except ValueError:
            parsed.append((call["name"], args))
    return "".join(text), parsed


def driver_for(dialect: str) -> Any:
    from harness.dialects import DialectError, get_dialect
    from harness.drivers.base import DriverError, get_driver, missing_requirements

    try:
        get_dialect(dialect)
        driver = get_driver(DRIVERS[dialect])
    except (DialectError, DriverError) as exc:
        pytest.skip(f"{dialect}: {exc} (its dialect or driver is not available yet)")
    missing = missing_requirements(driver)
    if missing:
        pytest.skip(f"driver {driver.name} needs {', '.join(missing)}")
    return driver


@needs_corpus
@pytest.mark.parametrize(("path", "index", "dialect"), CASES)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SDKs warn about retired models
def test_recorded_stream_replays_through_a_driver_of_its_dialect(
    path: Path, index: int, dialect: str
) -> None:
    from harness.run.runner import run_scenario

    interaction = load_cassette(path).interactions[index]
    driver = driver_for(dialect)
    imported = scenario_for(interaction, str(path), f"corpus-{index + 1}")
    assert imported.scenario is not None, imported.skipped
    run = run_scenario(imported.scenario, driver)
    assert run.na_reason is None, run.na_reason
    assert run.transcript is not None and not run.misses, run.misses
    text, calls = recorded(interaction, dialect)
    got_calls = [
        (c.name, c.arguments if c.raw is None else c.raw) for c in run.transcript.tool_calls()
    ]
    findings = "\n".join(f.render() for f in run.findings)
    assert run.transcript.text() == text, findings
    assert got_calls == calls, findings
