"""Verdicts: an adapter nothing ran on is NO DATA and fails the gate, never a PASS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest

from harness.cli.app import main
from harness.drivers.base import DriverContext, driver_status
from harness.matrix.verdict import gate_failed, render_verdicts, verdict
from harness.run.cell import Cell
from harness.scenario.model import Scenario
from harness.vocab.events import Event
from harness.vocab.findings import Finding

ROOT = Path(__file__).resolve().parents[2]


def _cell(driver: str, scenario: str, status: str, *findings: Finding) -> Cell:
    return Cell.model_validate(
        {
            "driver": driver,
            "scenario": scenario,
            "dialect": "gateway",
            "status": status,
            "findings": [f.model_dump() for f in findings],
        }
    )


def test_only_na_cells_give_no_data_and_fail_the_gate() -> None:
    cells = [_cell("d", "a", "n/a"), _cell("d", "b", "n/a"), _cell("other", "a", "pass")]
    v = verdict(cells, "d")
    assert v.outcome == "NO DATA"
    assert gate_failed([v])
    assert "NO DATA (2 n/a)" in render_verdicts([v])
    assert "nothing was checked" in render_verdicts([v])


def test_a_driver_with_no_cells_at_all_is_no_data() -> None:
    v = verdict([_cell("other", "a", "pass")], "d")
    assert v.outcome == "NO DATA"
    assert "no cells" in render_verdicts([v])


def test_one_passing_cell_among_na_is_a_pass() -> None:
    v = verdict([_cell("d", "a", "n/a"), _cell("d", "b", "pass")], "d")
    assert v.outcome == "PASS"
    assert not gate_failed([v])


def test_an_error_cell_judges_nothing_yet_fails_the_gate() -> None:
    """An error is harness's failure to run the cell: never the adapter's verdict (with
    nothing else run, there is NO DATA on the adapter), always a failed gate."""
    v = verdict([_cell("d", "a", "n/a"), _cell("d", "b", "error")], "d")
    assert v.outcome == "NO DATA"
    assert v.errors == ["b"]
    assert gate_failed([v])


class _GatewayOnlyOnAzure:
    """A gateway driver that declines every scenario: every cell is n/a."""

    name: ClassVar[str] = "declines-everything"
    dialect: ClassVar[str] = "gateway"
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""

    def supports(self, scenario: Scenario) -> str | None:
        return "this adapter supports no scenario"

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        raise AssertionError("never run")
        yield  # pragma: no cover


def test_verdict_command_exits_non_zero_on_no_data(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the matrix worker imports the driver by module:attr from here
    spec = "tests.matrix.test_verdict:_GatewayOnlyOnAzure"
    scenario = str(ROOT / "scenarios" / "gateway-404.yaml")
    code = main(["verdict", "--driver", spec, "--scenarios", scenario])
    assert code == 1
    assert f"{spec}: NO DATA (1 n/a)" in capsys.readouterr().out


class _Broken(_GatewayOnlyOnAzure):
    name: ClassVar[str] = "broken-import"
    requires: ClassVar[tuple[str, ...]] = ("tests.fixtures_broken_adapter",)


def test_drivers_says_installed_only_when_the_adapter_imports() -> None:
    assert driver_status(_GatewayOnlyOnAzure()) == "installed"
    status = driver_status(_Broken())
    assert status.startswith("broken: import tests.fixtures_broken_adapter fails: ")
    assert "RuntimeError" in status


def test_drivers_names_what_is_missing_with_the_install_line() -> None:
    class Missing(_GatewayOnlyOnAzure):
        requires: ClassVar[tuple[str, ...]] = ("no_such_adapter_module_xyz",)
        extra: ClassVar[str] = "openai"

    status = driver_status(Missing())
    assert status == (
        "missing no_such_adapter_module_xyz (pip install 'llm-adapter-harness[openai]')"
    )


def test_a_stand_in_driver_is_never_installed() -> None:
    class StandIn(_GatewayOnlyOnAzure):
        unavailable: ClassVar[str] = "the example is not in this install"

    assert driver_status(StandIn()) == "unavailable: the example is not in this install"
