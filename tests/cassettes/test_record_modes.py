"""The record modes are spelled once (RecordMode): the recorder, ``harness record --mode``
and the plugin's ``--harness-record-mode`` offer exactly its members and agree on them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.cassettes import RecordMode
from harness.cassettes.record import MODES, recording
from harness.cli.app import _parser
from harness.plugin.fixture_cassette import _live
from harness.plugin.pytest_plugin import RECORD_MODES


def _choices(parser: argparse.ArgumentParser, command: str, option: str) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices[command]
            return [c for a in sub._actions if option in a.option_strings for c in a.choices or ()]
    raise AssertionError(f"no command {command}")


def test_every_place_offers_the_enum_s_modes_in_its_order() -> None:
    names = ("none", "once", "new_episodes", "all")
    assert RecordMode.names() == names
    assert names == RECORD_MODES == MODES
    assert tuple(_choices(_parser(), "record", "--mode")) == names


@pytest.mark.parametrize(
    ("mode", "exists", "records"),
    [
        ("none", False, False),
        ("none", True, False),
        ("once", False, True),
        ("once", True, False),
        ("new_episodes", True, True),
        ("all", True, True),
        ("sometimes", False, False),  # not a mode: the plugin's option check reports it
    ],
)
def test_the_plugin_records_exactly_when_the_mode_says(
    mode: str, exists: bool, records: bool, tmp_path: Path
) -> None:
    cassette = tmp_path / "c.yaml"
    if exists:
        cassette.write_text("interactions: []\n")
    assert _live(mode, cassette) is records


def test_an_unknown_mode_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    from harness.cassettes import CassetteError

    expected = "expected one of none, once, new_episodes, all"
    with pytest.raises(CassetteError, match=expected), recording(tmp_path / "c.yaml", "sometimes"):
        pass
