"""Drivers by reference (module:attr, conftest.py::name) and by entry point, whatever the
object is: a Driver class, a factory, or a @conformance suite."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from harness.drivers import base
from harness.drivers.base import DriverError, get_driver

SUITES = """
from harness.plugin.declare import conformance
from harness.vocab.events import TextEvent

@conformance(dialect="openai-chat")
async def test_mine(request, ctx):
    yield TextEvent(text="x")

@conformance(dialect=["openai-chat", "gateway"], name="both")
async def two(request, ctx):
    yield TextEvent(text="x")
"""


def test_conftest_path_by_function_or_suite_name(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SUITES)
    for spec in (f"{tmp_path}/conftest.py::mine", f"{tmp_path}/conftest.py::test_mine"):
        driver = get_driver(spec)
        assert (driver.name, driver.dialect) == ("mine", "openai-chat")
    assert get_driver(f"{tmp_path}/conftest.py::both@gateway").dialect == "gateway"
    with pytest.raises(DriverError, match=r"several dialects; pick one: .*both@gateway"):
        get_driver(f"{tmp_path}/conftest.py::both")
    with pytest.raises(DriverError, match=r"no 'nope' there .*mine"):
        get_driver(f"{tmp_path}/conftest.py::nope")
    with pytest.raises(DriverError, match="not a Python file"):
        get_driver(f"{tmp_path}/absent.py::mine")


def test_module_attr_class_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    driver = get_driver("tests.matrix.test_verdict:_GatewayOnlyOnAzure")
    assert driver.name == "declines-everything"
    with pytest.raises(DriverError, match="no module 'no_such_mod_xyz'"):
        get_driver("no_such_mod_xyz:Driver")
    with pytest.raises(DriverError, match="not a driver"):
        get_driver("tests.drivers.test_resolve:SUITES")
    with pytest.raises(DriverError, match=r"module:attr, path/to/conftest\.py::name"):
        get_driver("no-such-driver")


def test_an_entry_point_may_name_a_suite_or_a_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    found = base._entry_points()
    extra = {
        "mine-class": EntryPoint(
            "mine-class", "tests.matrix.test_verdict:_GatewayOnlyOnAzure", base.ENTRY_POINT_GROUP
        ),
    }
    monkeypatch.setattr(base, "_entry_points", lambda: {**found, **extra})
    assert get_driver("mine-class").name == "declines-everything"
    assert get_driver("openai-sdk-chat").name == "openai-sdk-chat"
