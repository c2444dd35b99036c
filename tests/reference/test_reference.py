"""Precision, measured: independent reference adapters have zero findings on the bundled
suite and on fuzzed scenarios; each planted bug is found with its own code."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.fuzz.runner import fuzz
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from tests.reference import chat, cohere, converse, messages, responses
from tests.reference._client import Bugs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ADAPTERS = {
    "chat": chat,
    "responses": responses,
    "messages": messages,
    "converse": converse,
    "cohere": cohere,
}


def run(module: ModuleType, scenario_id: str, bugs: Bugs | None = None) -> Run:
    driver = module.declare(bugs).drivers()[0]
    return run_scenario(load_scenario(SCENARIOS / f"{scenario_id}.yaml"), driver)


@pytest.mark.parametrize("name", ADAPTERS)
def test_reference_adapter_passes_the_bundled_suite(name: str) -> None:
    driver = ADAPTERS[name].declare().drivers()[0]
    ran = 0
    for path in sorted(SCENARIOS.glob("*.yaml")):
        result = run_scenario(load_scenario(path), driver)
        assert result.findings == [], f"{path.stem}:\n" + "\n".join(
            f.render() for f in result.findings
        )
        ran += result.status == "pass"
    assert ran >= 35  # most of the suite applies to a streaming adapter of each dialect


@pytest.mark.parametrize("name", ADAPTERS)
def test_reference_adapter_passes_fuzzing(name: str) -> None:
    result = fuzz(ADAPTERS[name].declare().drivers()[0], examples=25, seed=15)
    assert result.failure is None, result.render()


@pytest.mark.slow
@pytest.mark.parametrize("name", ADAPTERS)
def test_reference_adapter_passes_300_fuzz_examples(name: str) -> None:
    result = fuzz(ADAPTERS[name].declare().drivers()[0], examples=300, seed=15)
    assert result.failure is None, result.render()
    assert result.examples == 300


TRUNCATED = "truncated-stream-accepted"
NO_SPACE = "sse-data-without-space-dropped"
PLANTED: list[tuple[str, dict[str, Any], str, set[str]]] = [
    # retries
    ("chat", {"retry_500": True}, "retry-500", {"non-retryable-retried"}),
    ("messages", {"no_backoff": True}, "retry-503", {"retry-without-backoff"}),
    ("responses", {"retry_400": True}, "fault-http-400", {"non-retryable-retried"}),
    ("chat", {"retry_forever": True}, "retry-429-storm", {"retry-storm"}),
    # Retry-After in each form, and the declared cap
    ("chat", {"ignore_retry_after": True}, "retry-429-seconds", {"retry-after-ignored"}),
    ("responses", {"ignore_retry_after_ms": True}, "retry-429-ms", {"retry-after-ignored"}),
    ("responses", {"ignore_http_date": True}, "retry-429-http-date", {"retry-after-ignored"}),
    ("chat", {"wrong_cap": True}, "retry-429-long-waits", {"retry-after-ignored"}),
    # error mapping
    ("chat", {"throttle_as_server": True}, "retry-429-exhausted", {"throttling-type-mismatch"}),
    ("messages", {"leak_httpx": True}, "fault-http-400", {"transport-error-leaked"}),
    ("responses", {"undeclared_error": True}, "fault-http-404", {"error-type-undeclared"}),
    # truncation
    ("chat", {"accept_truncation": True}, "fault-truncated-stream", {TRUNCATED}),
    (
        "messages",
        {"accept_truncation": True},
        "fault-truncated-stream",
        {"truncated-stream-accepted"},
    ),
    # tool-call assembly
    ("messages", {"drop_last_fragment": True}, "tool-call-fragmented", {"tool-args-fragment-lost"}),
    ("chat", {"drop_second_call": True}, "tool-calls-parallel", {"tool-call-dropped"}),
    # usage
    ("responses", {"usage_twice": True}, "text-plain", {"usage-repeated"}),
    ("messages", {"usage_swapped": True}, "text-plain", {"usage-wrong"}),
    # Bedrock ConverseStream (the AWS event stream): a tool call fragmented over several
    # frames, a 429 with AWS's retry hint, an exception frame mid-stream, a clean truncation
    ("converse", {"drop_last_fragment": True}, "tool-call-fragmented", {"tool-args-fragment-lost"}),
    ("converse", {"throttle_as_server": True}, "retry-429-exhausted", {"throttling-type-mismatch"}),
    ("converse", {"ignore_retry_after_ms": True}, "retry-429-ms", {"retry-after-ignored"}),
    (
        "converse",
        {"swallow_stream_error": True},
        "fault-error-in-stream",
        {"stream-error-swallowed"},
    ),
    ("converse", {"accept_truncation": True}, "fault-truncated-stream", {TRUNCATED}),
    # Cohere v2 chat: the same four on its wire (an ERROR message-end is its mid-stream error)
    ("cohere", {"drop_last_fragment": True}, "tool-call-fragmented", {"tool-args-fragment-lost"}),
    ("cohere", {"throttle_as_server": True}, "retry-429-exhausted", {"throttling-type-mismatch"}),
    ("cohere", {"ignore_retry_after": True}, "retry-429-seconds", {"retry-after-ignored"}),
    ("cohere", {"swallow_stream_error": True}, "fault-error-in-stream", {"stream-error-swallowed"}),
    ("cohere", {"accept_truncation": True}, "fault-truncated-stream", {TRUNCATED}),
    # SSE framing
    ("chat", {"lf_only": True}, "wire-crlf", {"sse-line-ending-mishandled"}),
    (
        "responses",
        {"data_needs_space": True},
        "wire-data-no-space",
        {"sse-data-without-space-dropped"},
    ),
]


@pytest.mark.parametrize(
    ("name", "bug", "scenario_id", "expected"),
    PLANTED,
    ids=[f"{n}-{next(iter(b))}-{s}" for n, b, s, _ in PLANTED],
)
def test_planted_bug_is_found_with_its_code(
    name: str, bug: dict[str, Any], scenario_id: str, expected: set[str]
) -> None:
    result = run(ADAPTERS[name], scenario_id, Bugs(**bug))
    assert {f.code for f in result.findings} == expected, "\n".join(
        f.render() for f in result.findings
    )
    assert result.status == "fail"
    assert result.reason().startswith(next(iter(expected)))


def test_throttling_finding_names_the_type_that_came() -> None:
    result = run(chat, "retry-429-exhausted", Bugs(throttle_as_server=True))
    (finding,) = result.findings
    assert finding.breaks == "contract"
    assert isinstance(finding.actual, dict)
    assert finding.actual["type"] == "tests.reference._client.ServerFailed"
    assert "tests.reference._client.Throttled" in finding.message
