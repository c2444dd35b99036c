"""Drivers: run REAL adapter code through the replay transport and normalize its output.

A driver is registered under the entry-point group ``harness.drivers`` (a user registers
their own adapter the same way, or in code with :func:`register`). Driver modules import
their adapter lazily, inside ``run``, so listing drivers never imports litellm or an SDK.
"""

from __future__ import annotations

from harness.drivers.base import (
    Driver,
    DriverContext,
    DriverError,
    driver_names,
    get_driver,
    register,
)

__all__ = ["Driver", "DriverContext", "DriverError", "driver_names", "get_driver", "register"]
