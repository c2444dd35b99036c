"""``pytest --harness-fuzz=N``: fuzz every collected conformance suite's driver.

One extra item per suite driver, ``<name>[<dialect>-fuzz]``, runs :func:`harness.fuzz.runner.fuzz`
with N generated examples (after the seed corpus of wire cases) on the driver the suite
declares, including an adapter declared with ``@conformance`` in a ``conftest.py``: no
private module to import. The seed is fixed per driver name, so the failure report's
reproduce line, ``pytest '<node id>' --harness-fuzz=N``, repeats the run verbatim.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import pytest

from harness.vocab.errors import HarnessError

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from harness.drivers.base import Driver

__all__ = ["FuzzItem", "fuzz_examples", "fuzz_items", "fuzz_seed"]


def fuzz_examples(config: pytest.Config) -> int:
    """N of ``--harness-fuzz=N`` (0: no fuzzing)."""
    value = config.getoption("harness_fuzz", default=0)
    return int(value or 0)


def fuzz_seed(driver_name: str) -> int:
    """The seed of a driver's fuzz item: the same on every run and machine."""
    return zlib.crc32(driver_name.encode())


class FuzzFailed(HarnessError, AssertionError):
    """The fuzz report of a failing driver, with a pytest reproduce line."""


class FuzzItem(pytest.Item):
    """Fuzzes one driver; fails with the shrunk scenario, its wire bytes and a rerun line."""

    def __init__(self, *, driver: Driver, examples: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.driver = driver
        self.examples = examples

    def runtest(self) -> None:
        from dataclasses import replace

        from harness.fuzz.runner import fuzz

        seed = fuzz_seed(self.driver.name)
        result = fuzz(self.driver, examples=self.examples, seed=seed)
        if result.failure is not None:
            rerun = f"pytest '{self.nodeid}' --harness-fuzz={self.examples}"
            raise FuzzFailed(replace(result, rerun=rerun).render())

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, FuzzFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return str(self.path), None, f"harness fuzz {self.driver.name}"


def fuzz_items(parent: pytest.Collector, name: str, drivers: list[Driver]) -> list[pytest.Item]:
    """The fuzz items of one suite (none without ``--harness-fuzz``)."""
    examples = fuzz_examples(parent.config)
    if examples <= 0:
        return []
    return [
        FuzzItem.from_parent(
            parent, name=f"{name}[{driver.dialect}-fuzz]", driver=driver, examples=examples
        )
        for driver in drivers
    ]
