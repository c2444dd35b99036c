"""The contract every SDK driver keeps, one test per promise, each run on every driver: it
is registered as declared, and its REAL adapter, end to end through the runner, its dialect
and the replay transport, yields exactly what the wire said (text deltas, a fragmented tool
call, a non-streamed answer after a tool turn, usage, the finish), retries as shipped and
honours ``max_retries``. ``adapters`` marker; a driver whose extra is not installed skips.

What differs between drivers is data, in :data:`PROFILES`: how each reports its finish
(strands and Anthropic say ``end_turn``/``tool_use``, a Responses stream its status) and
whether its wire always carries cache counts. Tests of one wire's mapping or one adapter's
quirks stay beside that driver (``test_drivers.py``, ``test_responses_anthropic_drivers.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from harness.drivers.base import get_driver
from harness.scenario.model import Scenario
from harness.vocab.events import (
    ErrorEvent,
    Event,
    FinishEvent,
    ReasoningEvent,
    TextEvent,
    ToolCallEvent,
    UsageEvent,
)
from tests.drivers.adapters import events_of, installed, scenario_of

_STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}
_STATUS = {"stop": "completed", "tool_calls": "completed", "length": "max_output_tokens"}
_ZERO_CACHE = {"cache_read": 0, "cache_write": 0}


@dataclass(frozen=True)
class Profile:
    """What one driver declares, and how its adapter reports what the contract checks."""

    name: str
    dialect: str
    http_library: str
    extra: str
    finish_raw: Mapping[str, str] = field(default_factory=dict)
    """The raw finish the adapter reports for a neutral reason (default: the reason)."""
    cache: Mapping[str, int] = field(default_factory=dict)
    """Cache counts the wire always sends (zero when the scenario gives none)."""

    def finish(self, reason: str) -> FinishEvent:
        return FinishEvent(reason=reason, raw=self.finish_raw.get(reason, reason))  # type: ignore[arg-type]

    def usage(self, **counts: int) -> UsageEvent:
        return UsageEvent(**{**self.cache, **counts})


PROFILES = [
    Profile("openai-sdk-chat", "openai-chat", "httpx", "openai"),
    Profile("litellm-chat", "openai-chat", "httpx", "litellm"),
    Profile("litellm-chat-aiohttp", "openai-chat", "aiohttp", "litellm"),
    Profile("strands-litellm", "openai-chat", "httpx", "strands", _STOP_REASONS),
    Profile("openai-sdk-responses", "openai-responses", "httpx", "openai", _STATUS, _ZERO_CACHE),
    Profile(
        "llama-stack-responses", "openai-responses", "httpx", "llama-stack", _STATUS, _ZERO_CACHE
    ),
    Profile(
        "anthropic-sdk", "anthropic-messages", "httpx2", "anthropic", _STOP_REASONS, _ZERO_CACHE
    ),
]
each_driver = pytest.mark.parametrize("profile", PROFILES, ids=[p.name for p in PROFILES])

WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
USER = [{"role": "user", "content": "Hi"}]
CALLS = [
    {"id": "call_p", "name": "get_weather", "arguments": {"city": "Paris"}},
    {"id": "call_r", "name": "get_weather", "arguments": {"city": "Rome"}},
]
RESULTS = [
    {"role": "tool", "tool_call_id": "call_p", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_r", "content": "rain"},
]
TOOL_TURNS = {
    "calls-only": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "tool_calls": CALLS},
        *RESULTS,
    ],
    "text-and-calls": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": CALLS},
        *RESULTS,
    ],
}


@each_driver
def test_each_driver_is_registered_as_declared(profile: Profile) -> None:
    driver = get_driver(profile.name)
    assert (driver.name, driver.dialect, driver.http_library, driver.extra) == (
        profile.name,
        profile.dialect,
        profile.http_library,
        profile.extra,
    )


@pytest.mark.adapters
@each_driver
def test_text_stream(profile: Profile) -> None:
    scenario = scenario_of(
        "text-stream",
        {"messages": USER},
        [{"reply": {"parts": [{"text": "Héllo, wörld", "deltas": ["Hé", "llo, ", "wörld"]}],
                    "usage": {"input": 5, "output": 3}}}],
    )  # fmt: skip
    events, requests = _run(profile, scenario)
    assert events == [
        TextEvent(text="Hé"),
        TextEvent(text="llo, "),
        TextEvent(text="wörld"),
        profile.usage(input=5, output=3),
        profile.finish("stop"),
    ]
    assert requests == 1


@pytest.mark.adapters
@each_driver
def test_fragmented_tool_call(profile: Profile) -> None:
    call = {"id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"},
            "fragments": ['{"ci', 'ty":', '"Par', 'is"}']}  # fmt: skip
    scenario = scenario_of(
        "tool-fragments",
        {"messages": USER, "tools": [WEATHER]},
        [{"reply": {"parts": [{"tool_call": call}], "finish": "tool_calls",
                    "usage": {"input": 9, "output": 7}}}],
    )  # fmt: skip
    events, _ = _run(profile, scenario)
    assert events == [
        ToolCallEvent(id="call_w1", name="get_weather", arguments={"city": "Paris"}),
        profile.usage(input=9, output=7),
        profile.finish("tool_calls"),
    ]


@pytest.mark.adapters
@each_driver
def test_fragmented_tool_call_after_reasoning(profile: Profile) -> None:
    think = {"reasoning": "Use the tool.", "deltas": ["Use the ", "tool."]}
    call = {"id": "call_w1", "name": "get_weather", "arguments": '{"city": "Paris"}',
            "fragments": ['{"ci', 'ty": ', '"Par', 'is"}']}  # fmt: skip
    scenario = scenario_of(
        "tool-fragments",
        {"messages": USER, "tools": [WEATHER]},
        [{"reply": {"parts": [think, {"tool_call": call}], "finish": "tool_calls",
                    "usage": {"input": 9, "output": 7}}}],
    )  # fmt: skip
    events, _ = _run(profile, scenario)
    assert [e for e in events if not isinstance(e, UsageEvent)] == [
        ReasoningEvent(text="Use the "),
        ReasoningEvent(text="tool."),
        ToolCallEvent(id="call_w1", name="get_weather", arguments={"city": "Paris"}),
        profile.finish("tool_calls"),
    ]


@pytest.mark.adapters
@each_driver
@pytest.mark.parametrize("history", sorted(TOOL_TURNS))
def test_non_stream_with_tool_turn_history(profile: Profile, history: str) -> None:
    scenario = scenario_of(
        "non-stream",
        {"messages": TOOL_TURNS[history], "tools": [WEATHER], "stream": False, "max_tokens": 50},
        [{"reply": {"parts": [{"text": "Sunny in Paris, rain in Rome."}],
                    "usage": {"input": 30, "output": 8}}}],
    )  # fmt: skip
    events, requests = _run(profile, scenario)
    assert events == [
        TextEvent(text="Sunny in Paris, rain in Rome."),
        profile.usage(input=30, output=8),
        profile.finish("stop"),
    ]
    assert requests == 1


@pytest.mark.adapters
@each_driver
def test_reasoning_stream_and_cached_usage(profile: Profile) -> None:
    scenario = scenario_of(
        "reasoning",
        {"messages": USER},
        [{"reply": {"parts": [{"reasoning": "Let me think", "deltas": ["Let me", " think"]},
                              {"text": "42"}],
                    "usage": {"input": 3, "output": 4, "cache_read": 2}}}],
    )  # fmt: skip
    events, _ = _run(profile, scenario)
    assert events == [
        ReasoningEvent(text="Let me"),
        ReasoningEvent(text=" think"),
        TextEvent(text="42"),
        profile.usage(input=3, output=4, cache_read=2),
        profile.finish("stop"),
    ]


@pytest.mark.adapters
@each_driver
def test_rate_limited_until_retries_run_out(profile: Profile) -> None:
    """Every adapter here ships with two retries: three 429s, then the typed error."""
    error = {"error": {"status": 429, "retry_after": 2}}
    scenario = scenario_of("rate-limited", {"messages": USER}, [error, error, error])
    events, requests = _run(profile, scenario)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert (events[0].error, events[0].status, events[0].leaked) == ("rate_limit", 429, False)
    assert events[0].type.endswith("RateLimitError")
    assert requests == 3


@pytest.mark.adapters
@each_driver
def test_rate_limited_once_then_served_after_retry_after(profile: Profile) -> None:
    from harness.run.runner import run_scenario

    scenario = scenario_of(
        "rate-limited-once",
        {"messages": USER},
        [{"error": {"status": 429, "retry_after": 3}}, {"reply": {"parts": [{"text": "ok"}]}}],
    )
    run = run_scenario(scenario, installed(profile.name), checks=[])
    assert run.transcript is not None, run.na_reason
    assert [e for e in run.transcript.events if not isinstance(e, UsageEvent)] == [
        TextEvent(text="ok"),
        profile.finish("stop"),
    ]
    assert len(run.transcript.requests) == 2
    assert run.transcript.waits()[0] >= 3


@pytest.mark.adapters
@each_driver
def test_max_retries_option_overrides_the_shipped_default(profile: Profile) -> None:
    from harness.dialects import get_dialect
    from harness.drivers.base import DriverContext
    from harness.drivers.classify import classify
    from harness.transport.clock import Clock
    from harness.transport.core import Replay

    driver = installed(profile.name)
    error = {"error": {"status": 503}}
    scenario = scenario_of("no-retries", {"messages": USER}, [error, error, error])
    clock = Clock()
    replay = Replay(get_dialect(profile.dialect).synthesize(scenario), clock)
    ctx = DriverContext(scenario=scenario, replay=replay, clock=clock, options={"max_retries": 0})

    async def collect() -> list[Event]:
        try:
            return [event async for event in driver.run(ctx)]
        except Exception as exc:
            return [classify(exc)]

    events = clock.run(collect)
    assert [(e.kind, getattr(e, "error", None)) for e in events] == [("error", "server")]
    assert len(replay.log) == 1


# --------------------------------------------------------------------------- helpers


def _run(profile: Profile, scenario: Scenario) -> tuple[list[Event], int]:
    return events_of(profile.name, scenario)
