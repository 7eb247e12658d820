"""The bus of a motor table's vendor: Feetech or Dynamixel.

Its own module because it imports both vendor buses, which import :mod:`.bus`; robot types pick their
bus through :func:`lerobot_ros.robots.ports.robot_bus`.
"""

from __future__ import annotations

from typing import Mapping

from .bus import BusMotor, MotorsBus
from .dynamixel import DynamixelMotorsBus
from .feetech import FeetechMotorsBus
from .model import Vendor


def make_bus(port: str, motors: Mapping[str, BusMotor], **kwargs) -> MotorsBus:
    """A bus of the right vendor for a ``{name: BusMotor}`` table; ``kwargs`` go to the bus constructor
    (baudrate, timeout_ms, retries)."""
    vendors = {m.spec.vendor for m in motors.values()}
    if len(vendors) != 1:
        raise ValueError(f"one bus drives one vendor's servos; this table mixes {sorted(v.value for v in vendors)}")
    if vendors == {Vendor.FEETECH}:
        return FeetechMotorsBus(port, motors, **kwargs)
    return DynamixelMotorsBus(port, motors, **kwargs)
