"""``harness repro``: a failing cell written as a standalone reproducer (the exact wire
bytes, chunk for chunk, through the library's own client seam; nothing of harness) that
fails with the finding's message, and a bug report next to it."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.app import main
from harness.dialects.script import HttpDate, Script
from harness.drivers.base import get_driver
from harness.drivers.recipe import Recipe
from harness.report.repro_assertions import ASSERTIONS, condition
from harness.report.repro_files import (
    NotReproducible,
    recipe_of,
    reproducer_for,
    write_reproducer,
)
from harness.report.reproducer import asserted_findings, reproducer_source
from harness.run.runner import run_scenario
from harness.scenario.bundled import scenario_file
from harness.scenario.load import load_scenario
from harness.vocab.codes import Code
from harness.vocab.findings import Finding


def _reproducer(driver: str, scenario: str) -> Any:
    d = get_driver(driver)
    return reproducer_for(d, run_scenario(load_scenario(scenario_file(Path(scenario))), d))


def _literal(tree: ast.Module, name: str) -> Any:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} = ... in the reproducer")


def _imported(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def _asserted_messages(tree: ast.Module) -> list[str]:
    return [
        node.msg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and isinstance(node.msg, ast.Constant)
    ]


def _served(script: Script) -> list[tuple[Any, ...]]:
    return [
        (
            ex.status,
            [(k, v) for k, v in ex.headers if not isinstance(v, HttpDate)],
            [c.data for c in ex.chunks],
            ex.end,
        )
        for ex in script.exchanges
    ]


@pytest.mark.parametrize(
    ("driver", "scenario", "library"),
    [
        ("openai-sdk-chat", "fault-truncated-tool-args", "httpx"),
        ("anthropic-sdk", "retry-after-huge", "httpx2"),
        ("strands-litellm", "chat-tool-calls-index-zero", "httpx"),
        ("langchain-openai", "fault-stream-stall", "httpx"),
        ("langchain-anthropic", "retry-after-huge", "httpx2"),
        ("llama-index-openai", "fault-truncated-tool-args", "httpx"),
        ("pydantic-ai-openai-chat", "chat-tool-calls-index-zero", "httpx"),
        ("pydantic-ai-agent", "reply-empty", "httpx"),
        ("openai-agents-chat", "finish-length-partial-text", "httpx"),
        ("openai-agents-responses", "outcome-incomplete-max-tokens", "httpx"),
    ],
)
def test_the_file_serves_the_exact_chunks_and_asserts_each_finding(
    driver: str, scenario: str, library: str
) -> None:
    r = _reproducer(driver, scenario)
    source = reproducer_source(r)
    tree = ast.parse(source)
    assert "harness" not in _imported(tree)
    assert library in _imported(tree)
    exchanges = _literal(tree, "EXCHANGES")
    assert [(s, h, c, e) for s, h, c, e in exchanges] == _served(r.script)
    asserted = asserted_findings(r.findings, r.recipe)
    assert asserted and asserted[0].message == r.findings[0].message  # the root first
    assert _asserted_messages(tree) == [f.message for f in asserted]
    assert _literal(tree, "REQUEST") == dict(r.recipe.request)


def test_a_reproducer_run_alone_fails_with_the_findings_message(tmp_path: Path) -> None:
    """Run outside harness's checkout, isolated (``-I``): no harness import, and the
    AssertionError carries the finding's message."""
    written = write_reproducer(_reproducer("openai-sdk-chat", "fault-truncated-stream"), tmp_path)
    assert "harness" not in _imported(ast.parse(written.script.read_text()))
    done = subprocess.run(
        [sys.executable, "-I", written.script.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert f"AssertionError: {written.message}" in done.stderr.splitlines()
    assert written.message == "expected a protocol error, but the adapter ended without any event"
    assert "finish: None" in done.stdout  # what the adapter gave back is printed first


def test_the_report_has_versions_the_reproducer_and_the_fix(tmp_path: Path) -> None:
    written = write_reproducer(_reproducer("anthropic-sdk", "retry-after-huge"), tmp_path)
    report = written.report.read_text()
    assert report.startswith(
        "<!-- file at https://github.com/anthropics/anthropic-sdk-python/issues -->\n"
        "# anthropic-sdk-python: The adapter slept through a Retry-After"
    )
    assert "anthropic 2." in report and "httpx2 " in report
    assert "pip install anthropic==" in report
    assert written.script.read_text().rstrip() in report  # the reproducer, inline
    assert f"AssertionError: {written.message}" in report
    assert "Suggested fix: Cap the wait you honour" in report
    assert "max(SLEPT, default=0.0) <= 120.0" in written.script.read_text()


def test_a_passing_cell_and_a_driver_without_a_recipe_say_why(tmp_path: Path) -> None:
    with pytest.raises(NotReproducible, match="is pass: no finding to reproduce"):
        _reproducer("openai-sdk-chat", "text-plain")
    scenario = load_scenario(scenario_file(Path("fault-truncated-stream")))
    with pytest.raises(NotReproducible, match="declares no reproduction recipe"):
        recipe_of(get_driver("gateway-client"), scenario)


def test_the_command_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "repro"
    argv = ["repro", "--driver", "openai-sdk-chat", "--scenario", "wire-bom", "--out", str(out)]
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "openai-sdk-chat--wire-bom.md",
        "openai-sdk-chat--wire-bom.py",
    ]
    said = capsys.readouterr().out
    assert "fails with: AssertionError: text differs from what the server sent" in said
    assert main(["repro", "--driver", "openai-sdk-chat", "--scenario", "text-plain"]) == 2


def test_the_assertion_table_names_only_finding_codes() -> None:
    assert all(isinstance(code, Code) for code in ASSERTIONS)
    assert not [c for c in ASSERTIONS if c.startswith("setup-")]


def _defined(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def test_a_synchronous_library_gets_a_synchronous_file() -> None:
    """LangChain's ``stream`` is synchronous: a sync transport, ``def call``/``def main``,
    and the retry wait patched at ``time.sleep`` (what the OpenAI SDK's sync client sleeps
    with); the async files keep their shape."""
    sync = ast.parse(reproducer_source(_reproducer("langchain-openai", "fault-stream-stall")))
    defined = _defined(sync)
    assert isinstance(defined["call"], ast.FunctionDef)
    assert isinstance(defined["main"], ast.FunctionDef)
    assert isinstance(defined["no_wait"], ast.FunctionDef)
    server = defined["Server"]
    assert isinstance(server, ast.ClassDef)
    assert [ast.unparse(b) for b in server.bases] == ["httpx.BaseTransport"]
    assert "handle_request" in {n.name for n in server.body if isinstance(n, ast.FunctionDef)}
    assert "asyncio" not in _imported(sync)
    assert "time.sleep = no_wait" in ast.unparse(sync)

    not_sync = ast.parse(reproducer_source(_reproducer("openai-sdk-chat", "fault-stream-cut")))
    defined = _defined(not_sync)
    assert isinstance(defined["call"], ast.AsyncFunctionDef)
    server = defined["Server"]
    assert isinstance(server, ast.ClassDef)
    assert [ast.unparse(b) for b in server.bases] == ["httpx.AsyncBaseTransport"]


def _stall_with(read_timeout: float | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The stalled cell's reproducer on a planted client (plain httpx) whose read timeout
    is ``read_timeout``."""
    import dataclasses

    r = _reproducer("langchain-openai", "fault-stream-stall")
    recipe = Recipe(
        library="planted",
        tracker="https://example.invalid",
        imports="import time\n\nimport httpx\n",
        request={"model": "m"},
        call=(
            f"with httpx.Client(transport=transport, timeout={read_timeout!r}) as http:\n"
            '    with http.stream("POST", BASE_URL + "/v1/chat/completions", json=REQUEST) as r:\n'
            "        for line in r.iter_lines():\n"
            '            out["text"] += line\n'
        ),
        retry_sleep="time.sleep",
        sync=True,
    )
    planted = dataclasses.replace(r, recipe=recipe)
    written = write_reproducer(planted, tmp_path)
    return subprocess.run(
        [sys.executable, "-I", written.script.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_stall_hangs_only_a_client_without_a_read_timeout(tmp_path: Path) -> None:
    """``adapter-hung`` on a stalled server: a client with no read timeout fails the
    assertion (the file notes the stall and ends it at once), one with a timeout gets
    the ReadTimeout and passes."""
    hangs = _stall_with(None, tmp_path)
    assert hangs.returncode == 1, hangs.stderr
    message = hangs.stderr.splitlines()[-1]
    assert message.startswith("AssertionError: the adapter would wait forever")
    assert "hung: [1]" in hangs.stdout and "Stalled(" in hangs.stdout
    times_out = _stall_with(5.0, tmp_path)
    assert times_out.returncode == 0, times_out.stderr
    assert "hung: []" in times_out.stdout and "ReadTimeout(" in times_out.stdout


def _helpers() -> dict[str, Any]:
    """The helper functions every reproducer defines (``causes``, ``class_names``...)."""
    tree = ast.parse(reproducer_source(_reproducer("openai-sdk-chat", "fault-stream-cut")))
    names = ("parsed", "qualname", "causes", "class_names")
    module = ast.Module(
        body=[n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names],
        type_ignores=[],
    )
    space: dict[str, Any] = {"json": json}
    exec(compile(module, "<helpers>", "exec"), space)
    return space


def _holds(code: Code, expected: Any, out: dict[str, Any]) -> bool:
    finding = Finding(code=code, check="test", message="m", expected=expected)
    recipe = recipe_of(
        get_driver("openai-sdk-chat"), load_scenario(scenario_file(Path("text-plain")))
    )
    cond = condition(finding, recipe)
    assert cond is not None
    return bool(eval(cond, {**_helpers(), "out": out}))


class _Status(Exception):
    def __init__(self, status: int) -> None:
        self.status_code = status


def test_error_kind_is_read_as_harness_reads_it() -> None:
    import httpx

    assert not _holds(Code.ERROR_KIND_MISMATCH, "protocol", {"error": ValueError("no chunks")})
    assert not _holds(Code.ERROR_KIND_MISMATCH, "protocol", {"error": None})
    try:
        try:
            raise httpx.RemoteProtocolError("cut")
        except httpx.RemoteProtocolError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as wrapped:
        assert _holds(Code.ERROR_KIND_MISMATCH, "protocol", {"error": wrapped})
    assert _holds(Code.ERROR_KIND_MISMATCH, "server", {"error": _Status(503)})
    assert not _holds(Code.ERROR_KIND_MISMATCH, "server", {"error": _Status(429)})
    assert _holds(Code.ERROR_KIND_MISMATCH, "rate_limit", {"error": _Status(429)})


def test_declared_types_match_subclasses_and_joined_arguments_their_fragments() -> None:
    declared = [f"{__name__}._Status"]
    assert _holds(Code.ERROR_TYPE_UNDECLARED, declared, {"error": _Status(500)})
    assert not _holds(Code.ERROR_TYPE_UNDECLARED, declared, {"error": ValueError()})
    joined = {"tool_calls": [{"arguments": '{"city": "Paris"}'}]}
    assert _holds(Code.TOOL_ARGS_NOT_JOINED, {"city": "Paris"}, joined)
    merged = {"tool_calls": [{"arguments": '{"city": "Paris"}{"city": "Rome"}'}]}
    assert not _holds(Code.TOOL_ARGS_NOT_JOINED, {"city": "Paris"}, merged)


def test_a_hang_that_is_not_a_stall_is_not_asserted() -> None:
    recipe = recipe_of(
        get_driver("openai-sdk-chat"), load_scenario(scenario_file(Path("text-plain")))
    )
    budget = Finding(
        code=Code.ADAPTER_HUNG,
        check="budget",
        message="the adapter did not finish within the cell's wall budget",
        expected="the adapter returns within the cell's wall budget",
    )
    assert condition(budget, recipe) is None


RECIPE = Recipe(
    library="lib",
    tracker="https://example.invalid/issues",
    imports="",
    request={},
    call="",
    finish={"stop": "stop", "length": "length"},
    pieces=True,
)
RIGHT: dict[str, Any] = {
    "text": "Hi",
    "tool_calls": [{"id": "c1", "name": "get_weather", "arguments": '{"city": "Paris"}'}],
    "finish": "stop",
    "error": None,
    "requests": 1,
    "refused": 0,
    "pieces": ["H", "i"],
}


def _planted_holds(code: str, expected: Any, out: dict[str, Any], slept: list[float]) -> bool:
    """The table's condition for a finding of ``code`` expecting ``expected``, evaluated on a
    planted ``out`` and ``SLEPT`` as the reproducer evaluates it."""
    finding = Finding(code=code, check="planted", message="m", expected=expected)
    cond = condition(finding, RECIPE)
    assert cond is not None
    namespace = {"out": out, "SLEPT": slept, "parsed": _parsed, "qualname": _qualname}
    return bool(eval(cond, namespace))  # the line the reproducer asserts


def _parsed(arguments: Any) -> Any:
    try:
        return json.loads(arguments)
    except (TypeError, ValueError):
        return None


def _qualname(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


@pytest.mark.parametrize(
    ("code", "expected", "wrong", "slept_right", "slept_wrong"),
    [
        (Code.RETRY_AFTER_IGNORED, {"wait_s": 60.0}, {}, [2.0, 60.0], [0.4, 0.8]),
        (Code.RETRY_AFTER_IGNORED, {"min_wait_s": 7.0}, {}, [3.0, 4.0], [1.0]),
        (Code.EXTRA_REQUESTS, 1, {"refused": 3}, [], []),
        (Code.EXTRA_REQUESTS, {"requests": 2}, {"requests": 2, "refused": 1}, [], []),
        (Code.UNEXPECTED_ERROR, {"finish": "stop"}, {"error": RuntimeError("x")}, [], []),
        (
            Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR,
            {"finish": "length"},
            {"error": RuntimeError("incomplete")},
            [],
            [],
        ),
        (
            Code.TOOL_ARGS_DONE_IGNORED,
            {"name": "get_weather", "arguments": {"city": "Paris"}},
            {"tool_calls": [{"id": "c1", "name": "get_weather", "arguments": ""}]},
            [],
            [],
        ),
        (Code.EMPTY_TEXT_EVENT, "no empty text events", {"pieces": ["", "Hi", ""]}, [], []),
        (Code.SSE_BOM_MISHANDLED, {"finish": "stop"}, {"error": ValueError("bom")}, [], []),
    ],
)
def test_each_new_assertion_holds_on_a_correct_out_and_fails_on_the_defect(
    code: str,
    expected: Any,
    wrong: dict[str, Any],
    slept_right: list[float],
    slept_wrong: list[float],
) -> None:
    assert _planted_holds(code, expected, dict(RIGHT), slept_right)
    assert not _planted_holds(code, expected, {**RIGHT, **wrong}, slept_wrong)


def test_a_failed_run_reported_as_success_asserts_an_error() -> None:
    code = Code.FAILED_RUN_REPORTED_AS_SUCCESS
    assert _planted_holds(code, {"error": "server"}, {**RIGHT, "error": RuntimeError("failed")}, [])
    assert not _planted_holds(code, {"error": "server"}, dict(RIGHT), [])


def test_an_empty_text_finding_is_not_asserted_by_a_recipe_that_keeps_no_pieces() -> None:
    finding = Finding(code=Code.EMPTY_TEXT_EVENT, check="c", message="m", expected="none")
    assert condition(finding, RECIPE) is not None
    assert condition(finding, dataclasses.replace(RECIPE, pieces=False)) is None


def test_a_description_with_backslashes_and_quotes_stays_in_the_docstring() -> None:
    r = _reproducer("openai-sdk-chat", "fault-truncated-stream")
    said = 'escapes like \\u00e9 and \\n, and """ quotes'
    tree = ast.parse(reproducer_source(dataclasses.replace(r, description=said)))
    doc = ast.get_docstring(tree) or ""
    assert "escapes like \\u00e9 and \\n, and ''' quotes" in doc


def test_no_finish_expected_asserts_the_library_reports_none() -> None:
    code = Code.FINISH_MISMATCH
    assert _planted_holds(code, "none", {**RIGHT, "finish": None}, [])
    assert not _planted_holds(code, "none", dict(RIGHT), [])  # "stop" invented
