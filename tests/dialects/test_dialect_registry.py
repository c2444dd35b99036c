"""The dialect registry: the ``harness.dialects`` entry points, the one list of dialects.

A toy dialect installed in a temporary folder (one module and its entry point) is seen by
the registry, detection and the contract test machinery with nothing else edited; a name
registered twice fails naming both."""

from __future__ import annotations

import re
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import dialects as registry
from harness.cassettes.detect import detect_dialect
from harness.cassettes.replay import script_cassette
from harness.dialects import BUILTIN, DialectError, dialect_names, get_dialect
from harness.plugin.declare import normalizer
from tests.dialects.builders import error, reply, scenario
from tests.dialects.contract import contract_cases, contract_problems

ROOT = Path(__file__).resolve().parents[2]

TOY = '''
"""A toy wire: ``POST /toy`` answers ``{"toy": TEXT}``; errors are ``{"oops": STATUS}``."""

import json
import sys

from harness.dialects import BY_PATH
from harness.dialects.common import compile_attempts, error_headers, limited_to
from harness.dialects.framing import framing_support
from harness.dialects.script import Chunk, Exchange
from harness.scenario.model import TextPart

PER_INTERACTION = True


class ToyDialect:
    name = "NAME"
    normalizer = None
    base_url = None

    def supports(self, scenario):
        limited = limited_to(self.name, scenario)
        if limited is not None:
            return limited
        if scenario.request.stream:
            return "the toy wire does not stream"
        for reply in scenario.replies():
            if reply.fault or reply.usage or reply.outcome != "completed":
                return "the toy wire says nothing but text"
            if reply.finish != "stop" or not all(isinstance(p, TextPart) for p in reply.parts):
                return "the toy wire says nothing but text"
        return framing_support(scenario, named_events=False)

    def synthesize(self, scenario):
        return compile_attempts(self.name, scenario, self.supports(scenario), _error, _reply)

    def recognise(self, path, head):
        return BY_PATH if path.endswith("/toy") else 0


def _reply(scenario, n, reply):
    text = "".join(p.text for p in reply.parts)
    return Exchange("POST", "/toy", headers=(("content-type", "application/json"),),
                    chunks=(Chunk(json.dumps({"toy": text}).encode()),))


def _error(scenario, n, error):
    headers = error_headers(error, {"content-type": "application/json"})
    return Exchange("POST", "/toy", status=error.status, headers=tuple(headers.items()),
                    chunks=(Chunk(json.dumps({"oops": error.status}).encode()),))


def read_stream(events, reading):
    reading.refuse("the toy wire does not stream")


def read_json(obj, reading):
    reading.parts.text(obj.get("toy")BROKEN)
    reading.finish = "stop"


def read_messages(body, notes):
    return []


ToyDialect.reader = sys.modules[__name__]
DIALECT = ToyDialect()
'''


def _install(folder: Path, module: str, entry_points: str, source: str) -> None:
    """One module and a distribution's metadata declaring its entry points, as pip would."""
    (folder / f"{module}.py").write_text(textwrap.dedent(source))
    info = folder / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[harness.dialects]\n{entry_points}\n")


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    registry._forget()
    yield
    registry._forget()


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None) -> str:
    _install(
        tmp_path,
        "toy_wire",
        "toy = toy_wire:DIALECT",
        TOY.replace("NAME", "toy").replace("BROKEN", ""),
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._forget()
    return "toy"


def test_pyproject_declares_every_builtin_dialect() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["harness.dialects"] == BUILTIN


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_builtin_dialect_says_who_it_is(name: str) -> None:
    dialect = get_dialect(name)
    assert dialect.name == name
    assert name in dialect_names()


def test_an_unknown_dialect_lists_the_known_ones() -> None:
    with pytest.raises(DialectError, match=r"unknown dialect 'openai-chta'.*openai-chat"):
        get_dialect("openai-chta")


def test_wire_normalizers_are_the_dialects_that_have_one() -> None:
    for name in ("openai-chat", "gemini", "ollama", "bedrock-converse"):
        assert normalizer(name) is get_dialect(name).normalizer
    with pytest.raises(ValueError, match=r"known: .*openai-chat"):
        normalizer("anthropic-messages")


def test_a_registered_toy_dialect_is_checked_by_the_contract(toy: str) -> None:
    assert toy in dialect_names()
    text = scenario(reply(parts=[{"text": "Hello, toy."}]), stream=False, id="toy-text")
    retry = scenario(error(503), reply(parts=[{"text": "ok"}]), stream=False, id="toy-retry")
    streamed = scenario(reply(parts=[{"text": "no"}]), id="toy-stream")
    cases = contract_cases([text, retry, streamed])
    assert [(n, s.id) for n, s in cases if n == toy] == [(toy, "toy-text"), (toy, "toy-retry")]
    for name, s in cases:
        assert contract_problems(get_dialect(name), s) == [], (name, s.id)
    (exchange,) = script_cassette(
        get_dialect(toy).synthesize(text), "https://x.invalid"
    ).interactions
    assert detect_dialect(exchange) == toy


def test_the_contract_fails_a_toy_whose_reader_loses_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    source = TOY.replace("NAME", "lossy").replace("BROKEN", '[:2] if obj.get("toy") else None')
    _install(tmp_path, "lossy_wire", "lossy = lossy_wire:DIALECT", source)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._forget()
    text = scenario(reply(parts=[{"text": "Hello, toy."}]), stream=False)
    (problem,) = contract_problems(get_dialect("lossy"), text)
    assert "read back" in problem and "'He'" in problem


def test_a_name_registered_twice_fails_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    source = TOY.replace("NAME", "openai-chat").replace("BROKEN", "")
    _install(tmp_path, "rival_wire", "openai-chat = rival_wire:DIALECT", source)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._forget()
    both = "harness.dialects.openai_chat:DIALECT and rival_wire:DIALECT"
    with pytest.raises(DialectError, match=re.escape(f"'openai-chat' is registered twice: {both}")):
        dialect_names()


def test_an_entry_point_naming_another_dialect_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    _install(tmp_path, "misnamed_wire", "alias = misnamed_wire:DIALECT",
             TOY.replace("NAME", "toy").replace("BROKEN", ""))  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._forget()
    with pytest.raises(DialectError, match=r"entry point 'alias'.*called 'toy'"):
        get_dialect("alias")
