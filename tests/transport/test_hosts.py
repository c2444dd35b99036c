"""Scripts are served at the provider's own URL by default (libraries that branch on the host
behave as in production), in-process, and a driver or a test can choose another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from harness.drivers.base import DriverContext
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Scenario
from harness.transport.hosts import FALLBACK_BASE_URL, PROVIDER_BASE_URLS, base_url_for
from harness.vocab.events import Event

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_each_provider_dialect_has_its_real_url_and_an_override_wins() -> None:
    assert base_url_for("openai-chat") == "https://api.openai.com"
    assert base_url_for("openai-responses") == "https://api.openai.com"
    assert base_url_for("anthropic-messages") == "https://api.anthropic.com"
    assert base_url_for("gateway") == FALLBACK_BASE_URL  # no single provider owns it
    assert base_url_for("openai-chat", "http://localhost:4000/") == "http://localhost:4000"
    assert base_url_for("bedrock-converse") == "https://bedrock-runtime.us-east-1.amazonaws.com"
    assert set(PROVIDER_BASE_URLS) <= {
        "openai-chat", "openai-responses", "anthropic-messages", "azure-agents",
        "bedrock-converse", "gemini", "ollama", "cohere-v2",
    }  # fmt: skip


class _Posts:
    """Sends one request to wherever the context points (and says where that was)."""

    name: ClassVar[str] = "hosts-probe"
    dialect: ClassVar[str] = "openai-chat"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def supports(self, scenario: Scenario) -> str | None:
        return None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        async with httpx.AsyncClient(transport=ctx.transport()) as http:
            await http.post(ctx.base_url + "/v1/chat/completions", json={})
        return
        yield


class _OwnHost(_Posts):
    base_url: ClassVar[str] = "http://gateway.internal:8080"


@pytest.mark.parametrize(
    ("driver", "url"),
    [
        (_Posts(), "https://api.openai.com/v1/chat/completions"),
        (_OwnHost(), "http://gateway.internal:8080/v1/chat/completions"),
    ],
    ids=["provider-url", "driver-override"],
)
def test_a_cell_is_served_at_the_provider_url_unless_the_driver_says(
    driver: _Posts, url: str
) -> None:
    run = run_scenario(load_scenario(SCENARIOS / "nonstream-text.yaml"), driver)  # type: ignore[arg-type]
    assert run.transcript is not None
    assert [r.url for r in run.transcript.requests] == [url]
    assert run.transcript.requests[0].exchange == 0  # served in-process, nothing blocked
    assert run.misses == []
