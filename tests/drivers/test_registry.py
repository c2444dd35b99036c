"""Every built-in driver: registered once, in pyproject.toml, and cheap to list (no adapter
is imported until a driver runs)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness.drivers.base import (
    BUILTIN,
    DriverError,
    builtin_drivers,
    driver_names,
    get_driver,
    register,
)
from harness.transport.blob import BLOB_LIBRARIES
from harness.transport.botocore_send import LIBRARY as BOTOCORE
from harness.transport.seams import LIBRARIES

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = (
    "anthropic",
    "boto3",
    "botocore",
    "fastapi",
    "framework",
    "httpx2",
    "litellm",
    "llama_stack_client",
    "openai",
    "strands",
)


def test_builtin_drivers_equal_the_entry_points() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = project["project"]["entry-points"]["harness.drivers"]
    assert declared == BUILTIN == builtin_drivers()
    assert set(declared) <= set(driver_names())


def test_an_installed_harness_reads_its_drivers_from_its_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib.metadata import EntryPoint, EntryPoints

    from harness import DIST_NAME
    from harness.drivers import base
    from harness.vocab import registry

    class Dist:
        name = DIST_NAME
        entry_points = EntryPoints(
            [
                EntryPoint("toy", "toys:ToyDriver", "harness.drivers"),
                EntryPoint("harness", "harness.plugin.pytest_plugin", "pytest11"),
            ]
        )

    asked: list[str] = []
    monkeypatch.setattr(registry, "checkout_project", lambda: None)
    monkeypatch.setattr(registry, "distribution", lambda name: asked.append(name) or Dist())
    assert base.builtin_drivers() == {"toy": "toys:ToyDriver"}
    assert asked == [DIST_NAME]


def test_listing_drivers_imports_no_adapter() -> None:
    code = (
        "import sys\n"
        "from harness.drivers.base import BUILTIN, get_driver\n"
        "for name in BUILTIN:\n"
        "    d = get_driver(name); (d.name, d.dialect, d.http_library, d.extra, d.supports)\n"
        f"print(sorted(set({ADAPTERS!r}) & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_driver_says_who_it_is(name: str) -> None:
    driver = get_driver(name)
    assert driver.name == name
    assert driver.http_library in (*LIBRARIES, *BLOB_LIBRARIES, BOTOCORE)  # harness serves it
    assert name in driver_names()


def test_a_duplicate_name_is_an_error() -> None:
    with pytest.raises(DriverError, match="already registered"):
        register("openai-sdk-chat", lambda: get_driver("openai-sdk-chat"))
