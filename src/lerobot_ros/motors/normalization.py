"""LeRobot's normalization modes, and the SI (radian) view the ROS side publishes.

LeRobot maps raw encoder ticks of ``Present_Position``/``Goal_Position`` to user units with a
per-motor calibration (``range_min``, ``range_max``, ``drive_mode``):

* ``degrees``: ``(raw - mid) * 360 / max_res`` with ``mid = (min + max) / 2``; not clamped.
* ``range_m100_100``: ``(clamp(raw) - min) / (max - min) * 200 - 100``, negated when ``drive_mode``.
* ``range_0_100``: ``(clamp(raw) - min) / (max - min) * 100``, ``100 - x`` when ``drive_mode``.

``max_res`` is ``resolution - 1`` (4095 for 12-bit servos). ``drive_mode`` is applied only on Feetech
buses: Dynamixel servos invert direction themselves through their Drive_Mode register.

ROS ``joint_states`` are in radians for every revolute joint, the gripper included: the angle from
the middle of the calibrated range, ``(raw - mid) * 2*pi / max_res`` (sign flipped with an applied
drive_mode). For joints normalized in degrees this is exactly ``radians(degrees)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class NormMode(str, Enum):
    DEGREES = "degrees"
    RANGE_M100_100 = "range_m100_100"
    RANGE_0_100 = "range_0_100"


@dataclass(frozen=True)
class MotorCalibration:
    """One motor's entry in a LeRobot calibration file (same field names, same meaning)."""

    id: int
    drive_mode: int
    homing_offset: int
    range_min: int
    range_max: int

    @property
    def mid(self) -> float:
        return (self.range_min + self.range_max) / 2


def normalize(raw: float, mode: NormMode, cal: MotorCalibration, max_res: int, apply_drive_mode: bool) -> float:
    """Raw ticks -> LeRobot user units (degrees, -100..100 or 0..100)."""
    lo, hi = cal.range_min, cal.range_max
    if mode is NormMode.DEGREES:
        return (raw - cal.mid) * 360.0 / max_res
    if hi == lo:
        raise ValueError(f"motor {cal.id}: invalid calibration, range_min == range_max == {lo}")
    bounded = min(max(raw, lo), hi)
    inverted = apply_drive_mode and cal.drive_mode
    if mode is NormMode.RANGE_M100_100:
        value = (bounded - lo) / (hi - lo) * 200.0 - 100.0
        return -value if inverted else value
    value = (bounded - lo) / (hi - lo) * 100.0
    return 100.0 - value if inverted else value


def unnormalize(value: float, mode: NormMode, cal: MotorCalibration, max_res: int, apply_drive_mode: bool) -> int:
    """LeRobot user units -> raw ticks (the inverse of :func:`normalize`, truncated like LeRobot)."""
    lo, hi = cal.range_min, cal.range_max
    if mode is NormMode.DEGREES:
        return int(value * max_res / 360.0 + cal.mid)
    inverted = apply_drive_mode and cal.drive_mode
    if mode is NormMode.RANGE_M100_100:
        value = -value if inverted else value
        bounded = min(max(value, -100.0), 100.0)
        return int((bounded + 100.0) / 200.0 * (hi - lo) + lo)
    value = 100.0 - value if inverted else value
    bounded = min(max(value, 0.0), 100.0)
    return int(bounded / 100.0 * (hi - lo) + lo)


def raw_to_radians(raw: float, cal: MotorCalibration, max_res: int, apply_drive_mode: bool) -> float:
    """Raw ticks -> joint angle in radians, zero at the middle of the calibrated range."""
    angle = (raw - cal.mid) * 2.0 * math.pi / max_res
    return -angle if (apply_drive_mode and cal.drive_mode) else angle


def radians_to_raw(angle: float, cal: MotorCalibration, max_res: int, apply_drive_mode: bool) -> int:
    """Joint angle in radians -> raw ticks (rounded to the nearest tick)."""
    if apply_drive_mode and cal.drive_mode:
        angle = -angle
    return int(round(angle * max_res / (2.0 * math.pi) + cal.mid))
