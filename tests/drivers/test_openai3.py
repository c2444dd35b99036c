"""The openai 3.x chat driver: the same driver as openai 2.x on ``httpx2``, in its own
environment, compared cell by cell with ``openai-sdk-chat``.

The end-to-end test needs ``.harness-envs`` to hold the openai 3.x environment: it runs
when it is already built (``make conformance`` or ``harness matrix --driver
openai3-sdk-chat`` builds it) or when ``HARNESS_SLOW=1`` asks to build it here.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from harness.dialects import get_dialect
from harness.drivers.base import DriverContext, get_driver
from harness.drivers.openai3_sdk import OpenAI3ChatDriver
from harness.drivers.openai_sdk import OpenAIChatDriver
from harness.matrix.envs import is_built
from harness.scenario.model import Scenario
from harness.transport.clock import Clock
from harness.transport.core import Replay

DRIVER = "openai3-sdk-chat"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_same_driver_other_library_own_environment() -> None:
    driver = get_driver(DRIVER)
    assert isinstance(driver, OpenAI3ChatDriver)
    assert OpenAI3ChatDriver.run is OpenAIChatDriver.run  # shared, not copied
    assert (driver.dialect, driver.http_library) == ("openai-chat", "httpx2")
    assert driver.environment == ("openai>=3,<4",)


def test_http_client_is_an_httpx2_client_on_the_replay() -> None:
    httpx2 = pytest.importorskip("httpx2")
    scenario = Scenario.model_validate(
        {"id": "s", "request": {"messages": [{"role": "user", "content": "Hi"}]},
         "attempts": [{"reply": {"parts": [{"text": "ok"}]}}], "expect": {}}
    )  # fmt: skip
    clock = Clock()
    replay = Replay(get_dialect("openai-chat").synthesize(scenario), clock)
    ctx = DriverContext(scenario=scenario, replay=replay, clock=clock)

    async def send() -> int:
        async with OpenAI3ChatDriver().http_client(ctx) as client:
            assert isinstance(client, httpx2.AsyncClient)
            response = await client.post(ctx.base_url + "/v1/chat/completions", json={})
            await response.aread()
            return int(response.status_code)

    assert asyncio.run(send()) == 200
    assert len(replay.log) == 1


needs_env = pytest.mark.skipif(
    not (is_built(DRIVER) or os.environ.get("HARNESS_SLOW") == "1"),
    reason=f"{DRIVER}'s environment is not built (make conformance, or HARNESS_SLOW=1)",
)
E2E = [
    "text-plain",
    "tool-calls-parallel",
    "nonstream-text",
    "retry-429-ms",
    "fault-truncated-stream",
    "fault-stream-cut",
    "fault-stream-stall",
]
WRAPPED_IN_3 = {"fault-stream-cut": "APIConnectionError", "fault-stream-stall": "APITimeoutError"}
"""Where the majors differ: 3.x wraps a transport failure while reading a stream in its own
error (``Stream._iter_events``); 2.x lets the raw ``httpx`` exception escape."""


@pytest.mark.adapters
@pytest.mark.slow
@needs_env
def test_both_majors_side_by_side() -> None:
    from harness.matrix.run import run_matrix

    m = run_matrix([DRIVER, "openai-sdk-chat"], [SCENARIOS / f"{s}.yaml" for s in E2E], E2E)
    for sid in E2E:
        three, two = m.cell(DRIVER, sid), m.cell("openai-sdk-chat", sid)
        assert three is not None and two is not None
        assert three.status != "error", three.reason
        codes3, codes2 = [f.code for f in three.findings], [f.code for f in two.findings]
        if sid in WRAPPED_IN_3:
            assert (three.status, codes3) == ("pass", [])
            assert codes2 == ["transport-error-leaked"]
            assert three.transcript is not None
            last = three.transcript.events[-1]
            assert last.kind == "error" and last.type == f"openai.{WRAPPED_IN_3[sid]}"
        else:
            assert (three.status, codes3) == (two.status, codes2), sid
    transcript = m.cell(DRIVER, "text-plain").transcript  # type: ignore[union-attr]
    assert transcript is not None and transcript.versions["openai"].startswith("3.")
    assert "httpx2" in transcript.versions
