"""Built-in name ``gateway-client`` for the reference gateway client's driver.

The driver itself lives beside the client, in ``examples/gateway_client/harness_driver.py``,
written as a user writes a driver for their own adapter; this module only makes it
loadable from harness's registry (``BUILTIN``) although ``examples/`` is not installed
with the package. Loading it imports ``examples.gateway_client`` from the source checkout
(see :mod:`harness.drivers._examples`); without a checkout the driver answers n/a.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.drivers._examples import ExampleMissing, import_example
from harness.drivers.base import DriverContext
from harness.scenario.model import Scenario
from harness.vocab.events import Event

__all__ = ["GatewayClientDriver"]  # noqa: F822 - provided by __getattr__, on first use


def __getattr__(name: str) -> Any:
    if name == "GatewayClientDriver":
        try:
            return import_example("gateway_client.harness_driver").GatewayClientDriver
        except ExampleMissing as exc:
            return _unavailable(str(exc))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _unavailable(reason: str) -> type[Any]:
    class GatewayClientDriver:
        """Stands in when the reference client is not there: every cell is n/a."""

        name: ClassVar[str] = "gateway-client"
        dialect: ClassVar[str] = "gateway"
        http_library: ClassVar[str] = "httpx"
        requires: ClassVar[tuple[str, ...]] = ()
        extra: ClassVar[str] = ""
        unavailable: ClassVar[str] = reason

        def supports(self, scenario: Scenario) -> str | None:
            return reason

        async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
            raise ExampleMissing(reason)
            yield  # pragma: no cover - makes this an async generator

    return GatewayClientDriver
