"""``pytest --harness-fuzz=N`` fuzzes an adapter declared in an outside project's conftest,
and the reproduce line it prints repeats the failure verbatim."""

from __future__ import annotations

import re

import pytest

from tests.plugin.outside import CONFTEST, PLUGIN

pytest_plugins = ["pytester"]


@pytest.mark.slow  # two inner fuzzing runs, ~30 s
def test_fuzz_option_fuzzes_a_conftest_adapter_and_prints_a_working_rerun(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST)
    result = project.runpytest(*PLUGIN, "--harness-fuzz=10", "-k", "fuzz")
    # the outside client never retries and reads lines with httpx's aiter_lines: the seed
    # corpus alone finds a wire case it gets wrong
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "harness fuzz: chat-client FAILED" in out
    assert "Shrunk scenario" in out and "Wire bytes" in out
    (rerun,) = re.findall(r"^\s+(pytest '.*' --harness-fuzz=10)$", out, flags=re.M)
    assert rerun == "pytest 'conftest.py::chat_client[openai-chat-fuzz]' --harness-fuzz=10"
    # verbatim: the same node id and option reproduce the same report
    again = project.runpytest(
        *PLUGIN, "conftest.py::chat_client[openai-chat-fuzz]", "--harness-fuzz=10"
    )
    again.assert_outcomes(failed=1)
    first = out[out.index("harness fuzz: chat-client FAILED") :].split("Reproduce:")[0]
    second = again.stdout.str()
    assert first in second


def test_the_option_adds_one_fuzz_item_per_suite_driver(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST)
    result = project.runpytest(*PLUGIN, "--collect-only", "-q", "--harness-fuzz=5")
    result.stdout.fnmatch_lines(["conftest.py::chat_client[[]openai-chat-fuzz[]]"])
    plain = project.runpytest(*PLUGIN, "--collect-only", "-q")
    assert "fuzz" not in plain.stdout.str()
