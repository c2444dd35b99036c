"""One family: every exception harness raises on purpose is a HarnessError, and the CLI
prints any of them as one line (exit 2), never a traceback."""

from __future__ import annotations

import argparse
import importlib
import re

import pytest

import harness.vocab.errors
from harness.cli import app
from harness.vocab.errors import HarnessError

# the tree drawn in harness/vocab/errors.py, as (module, name); the builtin base each keeps
FAMILY = {
    ("harness.vocab.errors", "ScenarioError"): ValueError,
    ("harness.dialects", "DialectError"): LookupError,
    ("harness.drivers.base", "DriverError"): LookupError,
    ("harness.drivers", "DriverError"): LookupError,
    ("harness.drivers._examples", "ExampleMissing"): ImportError,
    ("harness.matrix.envs", "DriverEnvironmentError"): Exception,
    ("harness.matrix.baseline", "BaselineError"): ValueError,
    ("harness.cassettes.model", "CassetteError"): ValueError,
    ("harness.cassettes.model", "CassetteMiss"): AssertionError,
    ("harness.transport.clock", "ClockError"): RuntimeError,
    ("harness.transport.guard", "NetworkBlocked"): ConnectionError,
    ("harness.transport.core", "ReplayMiss"): AssertionError,
    ("harness.transport.core", "ReplayIncomplete"): AssertionError,
    ("harness.transport.core", "StaleClient"): AssertionError,
    ("harness.transport.core", "EndlessStall"): AssertionError,
    ("harness.plugin.declare", "AdapterOutputError"): TypeError,
    ("harness.plugin.suite", "ConformanceFailure"): AssertionError,
    ("harness.plugin.fuzz", "FuzzFailed"): AssertionError,
    ("harness.fuzz.runner", "FuzzFailure"): AssertionError,
}


@pytest.mark.parametrize(("module", "name"), sorted(FAMILY))
def test_every_deliberate_error_is_a_harness_error(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, HarnessError)
    assert issubclass(cls, FAMILY[module, name]), "it keeps the builtin base callers catch"


def test_the_docstring_draws_every_member_of_the_family() -> None:
    drawn = set(re.findall(r"[├└]── (\w+)", harness.vocab.errors.__doc__ or ""))
    assert drawn == {name for _, name in FAMILY}


@pytest.mark.parametrize("kind", ["dialect", "driver", "cassette"])
def test_main_prints_any_harness_error_as_one_line(
    kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cassettes.model import CassetteError
    from harness.dialects import get_dialect
    from harness.drivers.base import get_driver

    def command(args: argparse.Namespace) -> int:
        if kind == "dialect":
            get_dialect("opneai-chat")
        elif kind == "driver":
            get_driver("opneai-sdk-chat")
        else:
            raise CassetteError("c.yaml: interaction 3 has no response")
        return 0

    monkeypatch.setattr(app, "_cmd_explain", command)
    assert app.main(["explain"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    expected = {
        "dialect": "harness: unknown dialect 'opneai-chat'",
        "driver": "harness: unknown driver 'opneai-sdk-chat'",
        "cassette": "harness: c.yaml: interaction 3 has no response",
    }[kind]
    assert err.startswith(expected), err


def test_the_http_error_reply_is_data_and_its_old_name_still_imports() -> None:
    from harness.scenario.model import HttpError, HttpErrorReply

    assert HttpError is HttpErrorReply
    assert not issubclass(HttpErrorReply, BaseException)
