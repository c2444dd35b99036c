"""Suggestions for mistyped names."""

from __future__ import annotations

import pytest

from harness.checks.catalogue import explain
from harness.dialects import DialectError, get_dialect
from harness.drivers.base import DriverError, get_driver
from harness.vocab.suggest import closest, did_you_mean

DRIVERS = ["anthropic-sdk", "litellm-chat", "openai-sdk-chat", "openai3-sdk-chat"]


def test_spelling_neighbours_come_first() -> None:
    assert closest("openai-chat", DRIVERS)[:2] == ["openai-sdk-chat", "openai3-sdk-chat"]
    assert closest("antropic-sdk", DRIVERS) == ["anthropic-sdk"]


def test_a_fragment_finds_the_names_containing_it() -> None:
    assert closest("litellm", DRIVERS) == ["litellm-chat"]
    assert closest("x", DRIVERS) == []  # one letter is in too many names to mean anything


def test_did_you_mean_reads_as_a_sentence() -> None:
    assert did_you_mean("antropic-sdk", DRIVERS) == "; did you mean 'anthropic-sdk'?"
    assert did_you_mean("openai-chat", DRIVERS).endswith("'openai-sdk-chat' or 'openai3-sdk-chat'?")
    assert did_you_mean("zzz", DRIVERS) == ""


def test_unknown_driver_dialect_and_code_suggest() -> None:
    with pytest.raises(DriverError, match="did you mean 'openai-sdk-chat'"):
        get_driver("openai-sdk-chta")
    with pytest.raises(DialectError, match="did you mean 'openai-chat'"):
        get_dialect("openai-caht")
    with pytest.raises(KeyError, match="did you mean 'retry-after-ignored'"):
        explain("retry-after-ignord")
