"""``harness diff`` on responses no dialect reader understands: an event-level diff (SSE),
else key by key (JSON), else bytes, so a change is never "no semantic differences"; and the
exit status: 0 the same, 1 different, 2 an input cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cassettes.diff import diff_cassettes
from harness.cassettes.format import write_cassette
from harness.cassettes.model import Cassette
from harness.cli.app import main
from tests.cassettes.test_import import interaction, sse

AZURE = "https://x.services.ai.azure.com/api/projects/p/threads/runs?api-version=2025-05-01"
GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
UNKNOWN = "https://llm.example.invalid/v9/generate/stream"
TEXT = (("content-type", "text/plain"),)


def azure_stream(text: str, run_id: str = "run_1") -> bytes:
    content = [{"index": 0, "type": "text", "text": {"value": text}}]
    delta = {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": content}}
    return (
        f"event: thread.run.created\ndata: {json.dumps({'id': run_id, 'status': 'queued'})}\n\n"
        f"event: thread.message.delta\ndata: {json.dumps(delta)}\n\n"
        "event: done\ndata: [DONE]\n\n"
    ).encode()


def gemini_stream(text: str) -> bytes:
    return sse({"candidates": [{"content": {"parts": [{"text": text}]}}], "responseId": "r1"})


def unknown_stream(text: str) -> bytes:
    return sse({"outputs": [{"pieces": [{"value": text}]}], "trace": "r1"})


def one(uri: str, body: bytes, **kw: object) -> Cassette:
    return Cassette((interaction(uri, body, **kw),), source="c.yaml")  # type: ignore[arg-type]


def test_a_changed_azure_agents_delta_is_reported_event_by_event() -> None:
    lines = diff_cassettes(one(AZURE, azure_stream("Hello")), one(AZURE, azure_stream("Hallo")))
    assert any("events[1].delta.content[0].text.value: 'Hello' -> 'Hallo'" in x for x in lines)


def test_a_changed_sse_text_of_an_unknown_provider_is_reported_event_by_event() -> None:
    lines = diff_cassettes(one(UNKNOWN, unknown_stream("Hi")), one(UNKNOWN, unknown_stream("Bye")))
    assert any("events[0].outputs[0].pieces[0].value: 'Hi' -> 'Bye'" in x for x in lines)


def test_a_changed_gemini_sse_text_is_reported_as_the_reply_text() -> None:
    lines = diff_cassettes(one(GEMINI, gemini_stream("Hi")), one(GEMINI, gemini_stream("Bye")))
    assert any("reply.text: 'Hi' -> 'Bye'" in x for x in lines)


def test_volatile_ids_alone_are_no_difference() -> None:
    a, b = one(AZURE, azure_stream("Hi", "run_1")), one(AZURE, azure_stream("Hi", "run_2"))
    assert diff_cassettes(a, b) == []


def test_an_extra_event_is_reported() -> None:
    longer = azure_stream("Hi") + b"event: thread.run.completed\ndata: {}\n\n"
    lines = diff_cassettes(one(AZURE, azure_stream("Hi")), one(AZURE, longer))
    assert any("reply.events: 3 -> 4" in x for x in lines)


def test_bodies_that_are_neither_sse_nor_json_are_compared_as_bytes() -> None:
    uri = "https://api.openai.com/v1/chat/completions"
    a = one(uri, b"upstream connect error", headers=TEXT)
    b = one(uri, b"upstream reset", headers=TEXT)
    assert any("reply.body: 'upstream connect error' -> 'upstream reset'" in x
               for x in diff_cassettes(a, b))  # fmt: skip
    assert diff_cassettes(a, a) == []


def test_exit_status_is_0_same_1_different_2_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {}
    for name, text in (("a", "Hello"), ("same", "Hello"), ("b", "Hallo")):
        paths[name] = tmp_path / f"{name}.yaml"
        write_cassette(paths[name], one(AZURE, azure_stream(text)))
    (tmp_path / "broken.yaml").write_text("interactions: [ {", encoding="utf-8")
    assert main(["diff", str(paths["a"]), str(paths["same"])]) == 0
    assert "no semantic differences" in capsys.readouterr().out
    assert main(["diff", str(paths["a"]), str(paths["b"])]) == 1
    assert "'Hello' -> 'Hallo'" in capsys.readouterr().out
    assert main(["diff", str(paths["a"]), str(tmp_path / "broken.yaml")]) == 2


def test_the_exit_statuses_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    assert "0 the same, 1 different, 2" in capsys.readouterr().out
