"""``harness diff``: what changed in the conversation and the requests, and nothing about
ids, timestamps or header order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassettes.diff import diff_cassettes, diff_paths
from harness.cassettes.format import write_cassette
from harness.cassettes.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from harness.cli.app import main


def chunk(n: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    body = {
        "id": f"chatcmpl-{n}",
        "created": 1700000000 + n,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body)}\n\n"


def recording(
    *,
    text: str = "Hello there",
    args: str = '{"city": "Paris"}',
    usage: tuple[int, int] = (9, 4),
    temperature: float = 0.5,
    run: int = 0,
    headers: tuple[tuple[str, str], ...] = (("User-Agent", "OpenAI/Python 2.0"), ("Accept", "*/*")),
) -> Cassette:
    stream = "".join(
        [
            chunk(run, {"content": text}),
            chunk(
                run,
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": f"call_{run}",
                            "function": {"name": "w", "arguments": args},
                        }
                    ]
                },
            ),
            chunk(
                run,
                {},
                "tool_calls",
                usage={"prompt_tokens": usage[0], "completion_tokens": usage[1]},
            ),
            "data: [DONE]\n\n",
        ]
    )
    request = {
        "model": "gpt-4o",
        "temperature": temperature,
        "messages": [{"role": "user", "content": "hi"}],
    }
    interaction = Interaction(
        RecordedRequest(
            "POST",
            "https://api.openai.com/v1/chat/completions",
            (*headers, ("x-request-id", f"req-{run}"), ("Date", f"Mon, 0{run + 1} Jan 2026")),
            json.dumps(request).encode(),
        ),
        RecordedResponse(200, "OK", (("content-type", "text/event-stream"),), stream.encode()),
    )
    return Cassette((interaction,))


def test_a_re_record_with_new_ids_timestamps_and_header_order_is_the_same() -> None:
    before = recording(run=0)
    after = recording(run=1, headers=(("Accept", "*/*"), ("user-agent", "OpenAI/Python 2.0")))
    assert diff_cassettes(before, after) == []


def test_changes_in_the_conversation_are_shown() -> None:
    lines = diff_cassettes(
        recording(), recording(text="Hi!", args='{"city": "Oslo"}', usage=(9, 7))
    )
    assert lines[0] == "interaction 1 (POST /v1/chat/completions):"
    body = "\n".join(lines)
    assert "~ reply.text: 'Hello there' -> 'Hi!'" in body
    assert "~ reply.tool_calls[0]:" in body and "Oslo" in body
    assert '~ reply.usage: {"input": 9, "output": 4} -> {"input": 9, "output": 7}' in body


def test_changes_in_the_request_are_shown() -> None:
    after = recording(temperature=1.0, headers=(("User-Agent", "OpenAI/Python 2.1"),))
    body = "\n".join(diff_cassettes(recording(), after))
    assert "~ request.temperature: 0.5 -> 1.0" in body
    assert "~ header user-agent: 'OpenAI/Python 2.0' -> 'OpenAI/Python 2.1'" in body
    assert "- header accept" in body


def test_added_and_removed_interactions() -> None:
    one = recording()
    two = Cassette(one.interactions * 2)
    assert diff_cassettes(one, two) == ["+ interaction 2: POST /v1/chat/completions"]
    assert diff_cassettes(two, one) == ["- interaction 2: POST /v1/chat/completions"]


def transcript(text: str, finish: str = "stop") -> dict[str, Any]:
    return {
        "scenario": "s",
        "driver": "d",
        "dialect": "openai-chat",
        "wall_seconds": 0.3,
        "events": [{"kind": "text", "text": text}, {"kind": "finish", "reason": finish}],
        "requests": [
            {
                "method": "POST",
                "path": "/v1/chat/completions",
                "url": "u",
                "headers": {},
                "body": {"model": "m", "stream": True},
                "at": 0.1,
            }
        ],
    }


def test_transcripts_and_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    a.write_text(json.dumps(transcript("Hi")), encoding="utf-8")
    b.write_text(json.dumps({"transcript": transcript("Hi")}), encoding="utf-8")  # run --json
    c.write_text(json.dumps(transcript("Hello", "length")), encoding="utf-8")
    assert diff_paths(a, b) == []
    assert main(["diff", str(a), str(b)]) == 0
    assert "no semantic differences" in capsys.readouterr().out
    assert main(["diff", str(a), str(c)]) == 1
    out = capsys.readouterr().out
    assert "~ events.text: 'Hi' -> 'Hello'" in out and "~ events.finish: 'stop' -> 'length'" in out
    cassette = tmp_path / "c.yaml"
    write_cassette(cassette, recording())
    assert main(["diff", str(a), str(cassette)]) == 2
    assert "cannot compare a transcript" in capsys.readouterr().err
