"""The ``litellm-chat-aiohttp`` driver: registry and honest n/a reasons (no adapter needed),
then litellm's default aiohttp path end to end through the runner, served by the vcrpy
engine (``adapters`` marker; skipped without litellm).

The end-to-end tests pin what litellm 1.82.5 does on that path: that the requests went out
through aiohttp, and that where both paths can be judged the findings are litellm-chat's."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from harness.drivers.base import get_driver
from harness.run.runner import Run, run_scenario
from harness.scenario.load import load_scenario
from harness.transport import blob
from harness.vocab.events import FinishEvent, TextEvent
from tests.drivers.adapters import imported_by_lookup

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAME = "litellm-chat-aiohttp"
JUDGED_ON_BOTH = ["fault-truncated-stream", "retry-429-seconds", "chat-refusal"]
needs_litellm = pytest.mark.skipif(
    importlib.util.find_spec("litellm") is None, reason="litellm is not installed"
)


def run(name: str, driver: str = NAME) -> Run:
    return run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), get_driver(driver))


def test_registered_and_lazy() -> None:
    driver = get_driver(NAME)
    assert (driver.name, driver.dialect, driver.http_library, driver.extra) == (
        NAME,
        "openai-chat",
        "aiohttp",
        "litellm",
    )
    assert imported_by_lookup([NAME], ("litellm", "aiohttp", "vcr")) == []


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        ("fault-stream-cut", "is cut mid-body"),
        ("fault-stream-stall", "stalls after its last chunk"),
        ("retry-disconnect-then-reply", "drops the connection before the head"),
        ("wire-split-utf8", "cuts a body as mid_utf8"),
        ("wire-crlf-split", "cuts a body as crlf_split"),
    ],
)
def test_chunk_boundaries_and_timing_are_na_with_the_reason(scenario: str, why: str) -> None:
    reason = get_driver(NAME).supports(load_scenario(SCENARIOS / f"{scenario}.yaml"))
    assert reason is not None and reason.startswith(blob.BLOB_ONLY) and why in reason


def test_scenarios_a_blob_can_carry_are_supported() -> None:
    for scenario in ("chat-refusal", "fault-truncated-stream", "fault-http-401"):
        assert get_driver(NAME).supports(load_scenario(SCENARIOS / f"{scenario}.yaml")) is None


@pytest.mark.adapters
@needs_litellm
def test_requests_go_out_through_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    played: list[str] = []
    real_play = blob.play

    def counting(replay: Any, request: Any) -> dict[str, Any]:
        played.append(request.uri)
        return real_play(replay, request)

    monkeypatch.setattr(blob, "play", counting)
    result = run("chat-role-only-first")
    assert result.setup is None and result.transcript is not None
    assert played == [r.url for r in result.transcript.requests]
    assert played and played[0].endswith("/v1/chat/completions")
    assert any(isinstance(e, TextEvent) for e in result.transcript.events)
    assert isinstance(result.transcript.events[-1], FinishEvent)
    import aiohttp
    import litellm

    assert litellm.disable_aiohttp_transport is True  # harness's hygiene, put back
    gc.collect()
    open_sessions = [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession)]
    assert all(s.closed for s in open_sessions)
    assert aiohttp.ClientSession._request.__module__ == "aiohttp.client"  # unpatched


@pytest.mark.adapters
@needs_litellm
@pytest.mark.parametrize("scenario", JUDGED_ON_BOTH)
def test_findings_where_both_paths_are_judged_are_litellm_chats(scenario: str) -> None:
    on_aiohttp, on_httpx = run(scenario), run(scenario, "litellm-chat")
    assert on_aiohttp.setup is None and on_aiohttp.na_reason is None
    assert {f.code for f in on_aiohttp.findings} == {f.code for f in on_httpx.findings}
