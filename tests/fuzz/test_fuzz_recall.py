"""Issue 16's bar for the fuzzer: with a fixed seed and the default budget, ``harness fuzz``
finds every planted wire bug and reports it shrunk to its one case (benchmarks/RESULTS.md
has the time it takes)."""

from __future__ import annotations

import pytest

from benchmarks.fuzz_recall import CASES, fuzz_case


@pytest.mark.slow
@pytest.mark.parametrize(("name", "bugs", "case"), CASES(), ids=[c[0] for c in CASES()])
def test_fuzz_finds_the_planted_bug_shrunk_to_its_case(
    name: str, bugs: object, case: object
) -> None:
    outcome = fuzz_case(name, bugs, case)  # type: ignore[arg-type]
    assert outcome.found, f"{name}: not found in the default budget"
    assert outcome.shrunk, f"{name}: reported as\n{outcome.scenario}"


def test_a_corpus_bug_is_found_at_once() -> None:
    """The seed corpus runs first: a bug on one of its cases costs no random examples."""
    name, bugs, case = next(c for c in CASES() if c[0] == "keep_bom")
    outcome = fuzz_case(name, bugs, case)
    assert outcome.found and outcome.shrunk
    assert outcome.codes == ("sse-bom-mishandled",)
