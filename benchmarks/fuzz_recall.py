"""Recall of ``harness fuzz``: each planted wire bug of ``tests/checks/planted_wire.py`` and
``planted_responses.py`` (one realistic mishandling of one wire case of issue 16, on the
OpenAI chat wire, or on the Anthropic Messages / OpenAI Responses wire for the cases named
``messages_*`` / ``responses_*``) fuzzed with a fixed seed and the
default budget (100 examples), as ``harness fuzz --driver X --seed S`` would; found means
the fuzzer failed the driver, and shrunk means the reported scenario has the planted case
and nothing else of note (what :func:`shrunk_to_case` checks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import Row

__all__ = ["CASES", "SEED", "Outcome", "fuzz_case", "run"]

SEED = 20261206
BUDGET = 100


@dataclass(frozen=True)
class Outcome:
    name: str
    found: bool
    shrunk: bool
    codes: tuple[str, ...]
    found_at: int
    seconds: float
    scenario: str


def _cases() -> list[tuple[str, object, Callable[..., bool]]]:
    from harness.scenario.model import DisconnectAttempt, ErrorAttempt, Scenario
    from tests.checks.planted_wire import WireBugs

    def wire(option: str) -> Callable[[Scenario], bool]:
        def has(s: Scenario) -> bool:
            return any(getattr(r.wire, option) for r in s.replies())

        return has

    def line_ending(value: str) -> Callable[[Scenario], bool]:
        return lambda s: any(r.wire.line_ending == value for r in s.replies())

    def status(code: int) -> Callable[[Scenario], bool]:
        return lambda s: any(
            isinstance(a, ErrorAttempt) and a.error.status == code for a in s.attempts
        )

    def header(pred: Callable[[ErrorAttempt], bool]) -> Callable[[Scenario], bool]:
        return lambda s: any(isinstance(a, ErrorAttempt) and pred(a) for a in s.attempts)

    def errors(n: int) -> Callable[[Scenario], bool]:
        return lambda s: sum(isinstance(a, ErrorAttempt) for a in s.attempts) == n

    def calls(s: Scenario) -> bool:
        return any(type(p).__name__ == "ToolCallPart" for r in s.replies() for p in r.parts)

    def refusal(s: Scenario) -> bool:
        return any(r.refusal is not None for r in s.replies())

    disconnect: Callable[[Scenario], bool] = lambda s: any(  # noqa: E731
        isinstance(a, DisconnectAttempt) for a in s.attempts
    )

    def finish(reason: str) -> Callable[[Scenario], bool]:
        return lambda s: any(r.finish == reason for r in s.replies())

    def incomplete(s: Scenario) -> bool:
        return finish("length")(s) or finish("content_filter")(s)

    def failed(s: Scenario) -> bool:
        return any(r.outcome == "failed" for r in s.replies())

    def kinds(s: Scenario) -> list[str]:
        return [type(p).__name__ for r in s.replies() for p in r.parts]

    def messages(n: int) -> Callable[[Scenario], bool]:
        return lambda s: kinds(s).count("TextPart") >= n

    def text_then_call(s: Scenario) -> bool:
        parts = kinds(s)
        return "TextPart" in parts and "ToolCallPart" in parts[parts.index("TextPart") :]

    return [
        ("data_line_is_event", WireBugs(data_line_is_event=True), wire("multiline_data")),
        ("colon_required", WireBugs(colon_required=True), wire("extra_fields")),
        ("comment_resets_event", WireBugs(comment_resets_event=True), wire("comment_in_event")),
        ("keep_bom", WireBugs(keep_bom=True), wire("bom")),
        ("lf_only", WireBugs(lf_only=True), line_ending("cr")),
        (
            "crlf_per_chunk",
            WireBugs(crlf_per_chunk=True),
            lambda s: line_ending("crlf")(s) or line_ending("cr")(s),
        ),
        ("dispatch_partial", WireBugs(dispatch_partial=True), wire("unterminated_tail")),
        ("merge_by_index", WireBugs(merge_by_index=True), wire("tool_index_zero")),
        ("skip_delta_on_finish", WireBugs(skip_delta_on_finish=True), wire("args_with_finish")),
        ("sum_usage", WireBugs(sum_usage=True), wire("usage_repeated")),
        ("usage_every_time", WireBugs(usage_every_time=True), wire("usage_repeated")),
        ("null_content_crash", WireBugs(null_content_crash=True), lambda s: True),
        ("yield_empty_text", WireBugs(yield_empty_text=True), lambda s: True),
        (
            "role_chunk_content_required",
            WireBugs(role_chunk_content_required=True),
            wire("role_only_first"),
        ),
        ("decode_per_chunk", WireBugs(decode_per_chunk=True), lambda s: True),
        ("drop_refusal", WireBugs(drop_refusal=True), refusal),
        ("refusal_as_text", WireBugs(refusal_as_text=True), refusal),
        (
            "ignore_function_call",
            WireBugs(ignore_function_call=True),
            wire("legacy_function_call"),
        ),
        (
            "ignore_choice_index",
            WireBugs(ignore_choice_index=True),
            lambda s: any(r.wire.choices > 1 for r in s.replies()),
        ),
        ("retry_403", WireBugs(retry_statuses=frozenset({403})), status(403)),
        ("retry_413", WireBugs(retry_statuses=frozenset({413})), status(413)),
        ("retry_422", WireBugs(retry_statuses=frozenset({422})), status(422)),
        ("kind_408_as_server", WireBugs(kind_408_as_server=True), status(408)),
        (
            "gateway_no_backoff",
            WireBugs(gateway_no_backoff=True),
            lambda s: status(502)(s) or status(504)(s),
        ),
        (
            "seconds_before_ms",
            WireBugs(seconds_before_ms=True),
            header(lambda a: a.error.retry_after_form == "ms" and bool(a.error.headers)),
        ),
        (
            "zero_as_missing",
            WireBugs(zero_as_missing=True),
            header(lambda a: a.error.retry_after == 0),
        ),
        (
            "abs_past_date",
            WireBugs(abs_past_date=True),
            header(
                lambda a: (a.error.retry_after or 0) < 0 and a.error.retry_after_form == "http_date"
            ),
        ),
        (
            "crash_on_negative",
            WireBugs(crash_on_negative=True),
            header(lambda a: (a.error.retry_after or 0) < 0),
        ),
        (
            "crash_on_garbage",
            WireBugs(crash_on_garbage=True),
            header(lambda a: "retry-after" in a.error.headers),
        ),
        ("no_cap", WireBugs(no_cap=True), header(lambda a: (a.error.retry_after or 0) > 120)),
        (
            "ignore_x_should_retry",
            WireBugs(ignore_x_should_retry=True),
            header(lambda a: "x-should-retry" in a.error.headers),
        ),
        ("leak_connect_error", WireBugs(leak_connect_error=True), disconnect),
        ("budget_off_by_one", WireBugs(budget_off_by_one=True), errors(3)),
        ("exhaust_as_server", WireBugs(exhaust_as_server=True), errors(3)),
        # Anthropic Messages (PlantedAnthropicDriver): names start with messages_
        ("messages_ping_after_start_only", WireBugs(ping_after_start_only=True), wire("pings")),
        ("messages_pause_as_stop", WireBugs(pause_as_stop=True), finish("paused")),
        ("messages_refusal_as_stop", WireBugs(refusal_as_stop=True), finish("content_filter")),
        ("messages_empty_fragment_crash", WireBugs(empty_fragment_crash=True), calls),
        ("messages_sum_usage", WireBugs(sum_usage=True), lambda s: True),
        # OpenAI Responses (PlantedResponsesDriver): names start with responses_
        ("responses_incomplete_as_completed", WireBugs(incomplete_as_completed=True), incomplete),
        (
            "responses_incomplete_reason_ignored",
            WireBugs(incomplete_reason_ignored=True),
            finish("content_filter"),
        ),
        ("responses_failed_as_completed", WireBugs(failed_as_completed=True), failed),
        ("responses_first_message_only", WireBugs(first_message_only=True), messages(2)),
        ("responses_one_delta_buffer", WireBugs(one_delta_buffer=True), text_then_call),
        (
            "responses_args_from_deltas_only",
            WireBugs(args_from_deltas_only=True),
            wire("args_without_deltas"),
        ),
    ]


CASES = _cases


def fuzz_case(
    name: str, bugs: object, case: Callable[..., bool], seed: int = SEED, corpus: bool = True
) -> Outcome:
    from harness.fuzz.runner import fuzz
    from harness.fuzz.strategies import scenarios
    from tests.checks.planted_responses import PlantedResponsesDriver
    from tests.checks.planted_wire import PlantedAnthropicDriver, PlantedWireDriver

    base: type[PlantedWireDriver] = PlantedWireDriver
    if name.startswith("messages_"):
        base = PlantedAnthropicDriver
    elif name.startswith("responses_"):
        base = PlantedResponsesDriver

    class Driver(base):  # type: ignore[valid-type,misc]
        def supports(self, scenario):  # type: ignore[no-untyped-def]
            if any(
                "reasoning" in type(p).__name__.lower() for r in scenario.replies() for p in r.parts
            ):
                return "the planted client ignores reasoning"
            return super().supports(scenario)

    Driver.name = f"planted-{name.replace('_', '-')}"
    started = time.perf_counter()
    strategy = None if corpus else scenarios(dialect=Driver.dialect)
    result = fuzz(Driver(bugs), examples=BUDGET, seed=seed, scenarios=strategy)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    failure = result.failure
    if failure is None:
        return Outcome(name, False, False, (), 0, seconds, "")
    from harness.report.repro import scenario_yaml

    return Outcome(
        name,
        True,
        bool(case(failure.scenario)),
        tuple(failure.codes()),
        result.found_at,
        seconds,
        scenario_yaml(failure.scenario),
    )


def run(quick: bool) -> list[Row]:
    cases = _cases()[:3] if quick else _cases()
    outcomes = [fuzz_case(name, bugs, case) for name, bugs, case in cases]
    found = [o for o in outcomes if o.found]
    shrunk = [o for o in found if o.shrunk]
    total = sum(o.seconds for o in outcomes)
    missed = ", ".join(o.name for o in outcomes if not o.found) or "none"
    rows = [
        Row(
            "fuzz recall: planted wire bugs (issue 16)",
            f"harness fuzz, seed {SEED}, {BUDGET} examples each",
            f"{len(found)}/{len(outcomes)} found, {len(shrunk)} shrunk to their case",
            "",
            f"{total:.0f} s for all {len(outcomes)} ({total / len(outcomes):.1f} s each); "
            f"missed: {missed}",
            "every planted bug found and shrunk",
            "PASS" if len(shrunk) == len(outcomes) else "FAIL",
        )
    ]
    if quick:
        return rows
    alone = [fuzz_case(name, bugs, case, corpus=False) for name, bugs, case in cases]
    seconds = sum(o.seconds for o in alone)
    rows.append(
        Row(
            "fuzz recall: planted wire bugs (issue 16)",
            "generated examples alone (no seed corpus)",
            f"{sum(o.found for o in alone)}/{len(alone)} found, "
            f"{sum(o.found and o.shrunk for o in alone)} shrunk to their case",
            "",
            f"{seconds:.0f} s; missed: {', '.join(o.name for o in alone if not o.found)}",
        )
    )
    return rows
