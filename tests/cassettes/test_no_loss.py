"""No recording is lost, no bad input crashes: empty bodies record, the destination is
checked before the first real call, writes are atomic (temporary files cleaned on every exit
path, also after a killed writer), symlinks are written through, ``import`` never overwrites
silently, decompression is bounded, a truncated cassette is an error naming the file and the
interaction, and every cassette command turns bad input into one line and exit 2."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import httpx
import pytest

from harness.cassettes import format as cassette_format
from harness.cassettes import wire
from harness.cassettes.format import load_cassette, write_atomic
from harness.cassettes.model import CassetteError
from harness.cassettes.record import recording
from harness.cassettes.redact import Redactor
from harness.cli.app import main


def _answers(request: httpx.Request) -> httpx.Response:
    """An in-memory server: the transport a recording wraps, with no network at all."""
    if request.url.path == "/204":
        return httpx.Response(204)
    if request.method == "HEAD" or request.url.path == "/empty":
        return httpx.Response(200, headers={"content-length": "0"})
    return httpx.Response(200, json={"ok": True, "path": request.url.path})


def _record(path: Path, *paths: str, mode: str = "once") -> None:
    with (
        recording(path, mode),  # type: ignore[arg-type]
        httpx.Client(transport=httpx.MockTransport(_answers)) as client,
    ):
        for p in paths:
            method, _, url = p.partition(" ")
            client.request(method, "http://api.test" + url)


def test_empty_bodies_are_recorded_with_the_rest(tmp_path: Path) -> None:
    cassette = tmp_path / "empty.yaml"
    _record(cassette, "GET /204", "HEAD /head", "POST /empty", "POST /json")
    statuses = [
        (i.request.method, i.response.status, i.response.body)
        for i in load_cassette(cassette).interactions
    ]
    assert statuses[:3] == [("GET", 204, b""), ("HEAD", 200, b""), ("POST", 200, b"")]
    assert statuses[3][1] == 200 and b"ok" in statuses[3][2]


def test_an_unwritable_destination_fails_before_the_first_real_call(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    for target in (blocker / "sub" / "c.yaml", tmp_path):
        with (
            pytest.raises(CassetteError, match=r"no request was sent|is a directory"),
            recording(target, "all"),
            httpx.Client(transport=httpx.MockTransport(handler)) as c,
        ):
            c.get("http://api.test/")
    assert calls == []


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.yaml"

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cassette_format.os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_temporary_files_of_a_killed_writer_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    dead = 2**22 + 7  # above any pid_max: no such process
    stale = tmp_path / f".c.yaml.{dead}.abc123.tmp"
    stale.write_bytes(b"x" * 1000)
    mine = tmp_path / f".c.yaml.{os.getpid()}.def456.tmp"  # a live writer's: kept
    mine.write_bytes(b"y")
    write_atomic(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "c.yaml"]


def test_a_symlinked_cassette_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "store" / "real.yaml"
    real.parent.mkdir()
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    _record(link, "POST /json", mode="all")
    assert link.is_symlink() and real.is_file()
    assert len(load_cassette(real)) == 1


def test_redaction_failure_keeps_every_other_interaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Redactor.interaction

    def flaky(self: Redactor, interaction):  # type: ignore[no-untyped-def]
        if interaction.request.path == "/bad":
            raise ValueError("boom")
        return real(self, interaction)

    monkeypatch.setattr(Redactor, "interaction", flaky)
    cassette = tmp_path / "c.yaml"
    with pytest.raises(CassetteError, match=r"wrote 2 interaction.*left out 1.*POST /bad"):
        _record(cassette, "POST /a", "POST /bad", "POST /b")
    assert [i.request.path for i in load_cassette(cassette).interactions] == ["/a", "/b"]


def test_decompression_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_INFLATED", 100_000)
    bomb = tmp_path / "bomb.yaml.gz"
    bomb.write_bytes(gzip.compress(b"interactions: []\n" + b"#" * 1_000_000))
    with pytest.raises(CassetteError, match=r"bomb\.yaml\.gz: compressed data expands beyond"):
        load_cassette(bomb)
    assert main(["scan", str(bomb)]) == 2


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.97])
def test_a_truncated_cassette_is_an_error_naming_file_and_interaction(
    tmp_path: Path, fraction: float
) -> None:
    whole = tmp_path / "whole.yaml"
    _record(whole, "POST /one", "POST /two", "POST /three", "POST /four")
    data = whole.read_bytes()
    cut = tmp_path / "cut.yaml"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(CassetteError) as caught:
        load_cassette(cut)
    message = str(caught.value)
    assert str(cut) in message
    assert "interaction" in message or "YAML error" in message


def test_a_cut_body_is_an_error_naming_the_interaction(tmp_path: Path) -> None:
    whole = tmp_path / "whole.yaml"
    _record(whole, "POST /one", "POST /two")
    text = whole.read_text(encoding="utf-8")  # a vcrpy-style body (no chunk list), cut short
    text = re.sub(r"\"path\":\"/two\"\}'\n\s+chunks: \S+", "\"pa'", text)
    cut = tmp_path / "edited.yaml"
    cut.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError, match=r"edited.yaml:\d+ \(interaction 2\).*Content-Length"):
        load_cassette(cut)


def test_import_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cassettes.server import chat_event

    cassette = tmp_path / "c.yaml"

    def stream(request: httpx.Request) -> httpx.Response:
        body = chat_event(0, "hi") + b"data: [DONE]\n\n"
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    with recording(cassette, "all"), httpx.Client(transport=httpx.MockTransport(stream)) as c:
        c.post("http://api.test/v1/chat/completions", json={"model": "m", "stream": True})
    out = tmp_path / "scenarios"
    assert main(["import", str(cassette), "-o", str(out)]) == 0
    (written,) = out.iterdir()
    written.write_text("# edited by hand\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(cassette), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "would overwrite" in err and "--force" in err and len(err.splitlines()) == 1
    assert written.read_text(encoding="utf-8") == "# edited by hand\n"
    assert main(["import", str(cassette), "-o", str(out), "--force"]) == 0
    assert written.read_text(encoding="utf-8") != "# edited by hand\n"


def _bad_inputs(tmp: Path) -> list[list[str]]:
    (tmp / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp / "deep2.json").write_text(
        '{"interactions": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8"
    )
    (tmp / "deep.yaml").write_text("interactions: " + "[" * 20000 + "]" * 20000, encoding="utf-8")
    (tmp / "bad.gz").write_bytes(gzip.compress(b"interactions: []\n" * 100)[:20])
    (tmp / "ok.json").write_text("{}", encoding="utf-8")
    (tmp / "a-file").write_text("x", encoding="utf-8")
    (tmp / "script.py").write_text("print('never run')\n", encoding="utf-8")
    t = str(tmp)
    return [
        ["diff", f"{t}/missing.yaml", f"{t}/ok.json"],
        ["diff", t, f"{t}/ok.json"],
        ["diff", f"{t}/deep.json", f"{t}/deep.json"],
        ["diff", f"{t}/deep.yaml", f"{t}/deep.yaml"],
        ["scan", f"{t}/bad.gz"],
        ["scan", f"{t}/ok.json", "--allow", "("],
        ["scan", f"{t}/missing.yaml"],
        ["import", f"{t}/deep.json"],
        ["import", f"{t}/deep2.json"],
        ["import", f"{t}/deep.yaml"],
        ["import", f"{t}/bad.gz"],
        ["import", f"{t}/missing.yaml"],
        ["record", f"{t}/a-file/c.yaml", "--", f"{t}/script.py"],
        ["record", t, "--", f"{t}/script.py"],
        ["record", f"{t}/c.yaml", "--", f"{t}/missing.py"],
        ["record", f"{t}/c.yaml", "--redact-regex", "(", "--", f"{t}/script.py"],
    ]


def test_every_cassette_command_turns_bad_input_into_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in _bad_inputs(tmp_path):
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 2, (argv, captured.err)
        assert "Traceback" not in captured.err + captured.out, argv
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("harness: "), (argv, captured.err)
    assert "never run" not in capsys.readouterr().out
