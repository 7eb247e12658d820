"""robot_node's /diagnostics levels: the bus (from the driver's status) and each motor's alarms."""

from __future__ import annotations

from typing import Sequence

from ..health import Health, Level, first_problem
from .driver import DriverStatus


def bus_health(status: DriverStatus) -> Health:
    """ERROR while the bus does not answer (the arm holds), WARN after any communication error."""
    return first_problem(
        (status.faulted, Level.ERROR, f"not answering: {status.last_error}"),
        (bool(status.read_failures or status.write_failures), Level.WARN,
         f"communication errors; last: {status.last_error}"))


def motor_health(alarms: Sequence[str]) -> Health:
    """WARN naming every alarm a servo reports (overheating, overload, voltage...)."""
    return first_problem((bool(alarms), Level.WARN, ", ".join(alarms)))
