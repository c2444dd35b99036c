"""A driver run with ``ctx.options["max_retries"] = 0``: how many requests it sends."""

from __future__ import annotations

import pytest

from harness.drivers.base import Driver
from harness.scenario.model import Scenario


def single_attempt(driver: Driver, scenario: Scenario) -> int:
    """Requests sent when ``ctx.options["max_retries"]`` is 0 (the call then fails)."""
    from harness.dialects import get_dialect
    from harness.drivers.base import DriverContext
    from harness.transport.clock import Clock
    from harness.transport.core import Replay

    clock = Clock()
    replay = Replay(get_dialect(driver.dialect).synthesize(scenario), clock)
    ctx = DriverContext(scenario=scenario, replay=replay, clock=clock, options={"max_retries": 0})

    async def drain() -> None:
        async for _ in driver.run(ctx):
            pass

    with pytest.raises(Exception, match="503"):
        clock.run(drain)
    return len(replay.log)
