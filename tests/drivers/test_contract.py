"""Adapter contracts: defaults are the protocol, relaxations are listed, data loss is refused,
and a framework's "throttling surfaces as T" is enforced on a real SDK."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.drivers.base import DriverContext
from harness.drivers.contract import (
    DATA_LOSS,
    Contract,
    ErrorTaxonomy,
    Features,
    RetryRules,
    StreamEnd,
    contract_of,
)
from harness.run.runner import run_scenario
from harness.scenario.load import load_scenario
from harness.scenario.model import Request, Scenario
from harness.vocab.events import Event, FinishEvent, TextEvent

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml")


def test_the_default_contract_is_the_protocol_and_deviates_in_nothing() -> None:
    assert Contract().deviations() == []
    assert contract_of(object()) == Contract()


@pytest.mark.parametrize("code", sorted(DATA_LOSS))
def test_no_contract_can_accept_data_loss(code: str) -> None:
    with pytest.raises(ValidationError, match="data loss"):
        Contract(accepts=frozenset({code}))


def test_a_status_cannot_be_both_retried_and_final() -> None:
    with pytest.raises(ValidationError, match=r"\[429\] are declared both retried and final"):
        RetryRules(final_statuses=frozenset({429}))


def test_every_relaxation_is_listed() -> None:
    contract = Contract(
        retry=RetryRules(
            statuses=frozenset({429, 503}),
            max_attempts=4,
            retry_after_cap=60,
            empty_reply=3,
        ),
        errors=ErrorTaxonomy(throttling=("fw.Throttled",)),
        stream_end=StreamEnd(lone_terminator="empty-stop"),
        features=Features(reasoning=False),
        accepts=frozenset({"stream-not-closed"}),
    )
    assert contract.deviations() == [
        "does not retry HTTP 408, 500, 502, 504, 529",
        "at most 4 attempt(s) per call",
        "honours Retry-After up to 60 s",
        "re-sends up to 3 time(s) after an empty reply",
        "throttling surfaces as fw.Throttled",
        "a lone stream terminator is an empty reply finished with stop",
        "no reasoning",
        "accepts stream-not-closed",
    ]


class Base(Exception):
    pass


class Derived(Base):
    pass


def test_taxonomy_takes_classes_or_names_and_matches_subclasses() -> None:
    taxonomy = ErrorTaxonomy(types={Base: "server"}, throttling=[f"{__name__}.Derived"])
    assert taxonomy.types == {f"{__name__}.Base": "server"}
    assert taxonomy.match(Derived()) == (f"{__name__}.Derived", "rate_limit")
    assert taxonomy.match(Base()) == (f"{__name__}.Base", "server")
    assert taxonomy.match(ValueError()) is None


def test_features_make_scenarios_not_applicable() -> None:
    contract = Contract(features=Features(parallel_tool_calls=False, non_streaming=False))
    assert contract.not_supported(scenario("tool-calls-parallel")) is not None
    assert contract.not_supported(scenario("nonstream-text")) is not None
    assert contract.not_supported(scenario("text-plain")) is None


def test_declared_resends_depend_on_how_the_last_reply_fails() -> None:
    contract = Contract(retry=RetryRules(empty_reply=3, broken_stream=2))
    assert contract.repeats(scenario("fault-empty-stream")) == 3
    assert contract.repeats(scenario("reply-empty")) == 3
    assert contract.repeats(scenario("fault-stream-cut")) == 2
    assert contract.repeats(scenario("fault-error-in-stream")) == 2
    assert contract.repeats(scenario("text-plain")) == 0
    lone = contract.model_copy(update={"stream_end": StreamEnd(lone_terminator="empty-stop")})
    assert lone.repeats(scenario("fault-terminator-only")) == 0


# ---------------------------------------------------------------- "throttling surfaces as T"


class FrameworkThrottled(Exception):
    """The agent framework's own throttling error: its retry loop catches only this."""


FRAMEWORK = Contract(errors=ErrorTaxonomy(throttling=(FrameworkThrottled,)))


def framework(map_rate_limit: bool) -> object:
    """A framework with one model class on the real OpenAI SDK; ``map_rate_limit`` is whether
    that model class turns the SDK's rate-limit error into the framework's type."""
    from harness.plugin.declare import conformance

    async def model(request: Request, ctx: DriverContext) -> AsyncIterator[Event]:
        import openai

        client = openai.AsyncOpenAI(base_url=ctx.base_url + "/v1", api_key=ctx.api_key)
        client = client.with_options(max_retries=0)
        for attempt in range(3):
            try:
                reply = await client.chat.completions.create(
                    model=request.model,
                    messages=[{"role": "user", "content": request.messages[0].content}],
                )
            except openai.RateLimitError as exc:
                if not map_rate_limit:
                    raise  # the bug: the provider library's type reaches the caller
                if attempt == 2:
                    raise FrameworkThrottled(str(exc)) from exc
                await asyncio.sleep(1.0)
                continue
            yield TextEvent(text=reply.choices[0].message.content or "")
            yield FinishEvent(reason="stop", raw="stop")
            return

    return conformance("openai-chat", name="framework", contract=FRAMEWORK)(model)


def test_a_429_surfacing_as_another_type_is_a_finding_naming_it() -> None:
    pytest.importorskip("openai")
    driver = framework(map_rate_limit=False).drivers()[0]  # type: ignore[attr-defined]
    run = run_scenario(scenario("retry-429-exhausted"), driver)
    assert run.status == "fail"
    assert [f.code for f in run.findings] == ["throttling-type-mismatch"]
    (finding,) = run.findings
    assert finding.breaks == "contract"
    assert "openai.RateLimitError" in finding.message
    assert isinstance(finding.actual, dict) and finding.actual["type"] == "openai.RateLimitError"


def test_the_same_framework_mapping_its_throttling_passes() -> None:
    pytest.importorskip("openai")
    driver = framework(map_rate_limit=True).drivers()[0]  # type: ignore[attr-defined]
    run = run_scenario(scenario("retry-429-exhausted"), driver)
    assert run.findings == [], "\n".join(f.render() for f in run.findings)


def test_a_suite_of_a_registered_driver_can_replace_its_contract() -> None:
    from harness.drivers.base import get_driver
    from harness.plugin.declare import suite

    mine = Contract(retry=RetryRules(max_attempts=2))
    (driver,) = suite("gateway-client", contract=mine).drivers()
    assert contract_of(driver) is mine
    assert contract_of(get_driver("gateway-client")) != mine  # the registered one is intact
