"""A scenario's script re-cut from its per-event script is the script synthesized for it:
fuzzing compiles each example once and re-cuts it (``harness.dialects.compiled.recut``)."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from harness.dialects import dialect_names, get_dialect
from harness.dialects.compiled import compiled, recut
from harness.fuzz.strategies import per_event_twin, scenarios
from harness.run.rechunk import with_chunking
from harness.scenario.model import Chunking, EveryN, Scenario, SplitAt

EVERY_N = st.integers(1, 40).map(lambda n: EveryN(every=n))
CHUNKINGS: st.SearchStrategy[Chunking] = (
    st.sampled_from(["split_at", "whole", "mid_utf8", "crlf_split"]) | EVERY_N
)
"""The cuts to compare ("split_at" is replaced by one offset within the body)."""


@pytest.mark.parametrize("name", dialect_names())
def test_recut_is_the_synthesized_script(name: str) -> None:
    dialect = get_dialect(name)
    checked: list[Chunking] = []

    @settings(
        max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(scenarios(dialect=name), CHUNKINGS, st.integers(0, 10**6))
    def same(scenario: Scenario, chunking: Chunking, offset: int) -> None:
        per_event = with_chunking(scenario, "per_event")
        if dialect.supports(per_event) is not None:
            return
        script = dialect.synthesize(per_event)
        if chunking == "split_at":
            size = min((len(e.body) for e in script.exchanges if e.status < 400), default=0)
            chunking = SplitAt(at=[offset % (size + 1)])
        final = with_chunking(per_event, chunking)
        if dialect.supports(final) is not None:
            return
        assert recut(dialect, final, script) == dialect.synthesize(final)
        assert compiled(dialect, final) is compiled(dialect, final)  # kept for the run
        checked.append(chunking)

    same()
    assert checked  # some examples were not refused


def test_a_drawn_example_has_its_compiled_per_event_twin() -> None:
    """The per-event run of the re-chunk comparison reuses what drawing compiled."""
    dialect = get_dialect("openai-chat")
    twins: list[Scenario] = []

    @settings(max_examples=40, database=None, deadline=None)
    @given(scenarios(dialect="openai-chat"))
    def twin(scenario: Scenario) -> None:
        per_event = per_event_twin(scenario)
        assert per_event == with_chunking(scenario, "per_event")
        if scenario.replies()[-1].wire.chunking != "per_event":
            assert per_event_twin(scenario) is per_event  # the one drawing compiled
            assert compiled(dialect, per_event) == dialect.synthesize(per_event)
            twins.append(per_event)

    twin()
    assert twins
