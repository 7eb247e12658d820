"""Joint positions in the units LeRobot records, from and to the radians ROS publishes.

LeRobot stores a robot's joints as ``<motor>.pos`` in its normalized units (``motors_bus._normalize``):
degrees around the middle of the calibrated range, -100..100 over that range, or 0..100 for
grippers. Which one is the robot class's choice: ``use_degrees=True`` (LeRobot 0.6's default for the
SO-100/101 and LeKiwi) normalizes the body in degrees, ``use_degrees=False`` (0.4.x, and 0.6's
default for Koch, OMX; HopeJR has no choice) in -100..100; grippers are 0..100 either way. robot_node
publishes radians from the middle of the range (``motors.normalization``), so converting needs the
arm's calibration (range, drive mode) exactly as LeRobot's does:

* ``degrees``: body joints in degrees, the gripper (a 0..100 motor in the robot's table) in 0..100;
* ``range``: body joints in -100..100, the gripper in 0..100;
* ``radians``: unchanged (what robot_node publishes).

The conversion goes through the raw tick value the reading came from (kept as a float, so commands
between ticks stay exact), then through LeRobot's own formula; a state read from the bus therefore
lands on exactly the value LeRobot computes from the same tick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..motors.model import Vendor
from ..motors.normalization import MotorCalibration, NormMode
from ..motors.tables import motor_model
from .tables import RobotType

DEGREES, RANGE, RADIANS = "degrees", "range", "radians"
UNITS = (DEGREES, RANGE, RADIANS)


def lerobot_default_units(rtype: RobotType) -> str:
    """The units LeRobot 0.6 records ``rtype`` in by default (its robot class's ``use_degrees``)."""
    return DEGREES if any(spec.norm is NormMode.DEGREES for spec in rtype.joints) else RANGE


def norm_mode(units: str, table_norm: NormMode) -> NormMode | None:
    """LeRobot's mode for a joint recorded in ``units`` (None: radians); grippers stay 0..100."""
    if units == RADIANS:
        return None
    if table_norm is NormMode.RANGE_0_100:
        return table_norm
    return NormMode.DEGREES if units == DEGREES else NormMode.RANGE_M100_100


@dataclass(frozen=True)
class _Joint:
    mode: NormMode | None
    calibration: MotorCalibration | None
    max_res: int
    inverted: bool  # LeRobot applies drive_mode (Feetech only) to the range modes; our radians always


class JointUnits:
    """Converts vectors of joint positions (in ``joints`` order) between radians and ``units``."""

    def __init__(self, rtype: RobotType, motors: Sequence[str], units: str,
                 calibration: Mapping[str, MotorCalibration] | None):
        """``motors``: the robot's motor names in vector order; ``calibration`` is needed unless
        ``units`` is radians."""
        if units not in UNITS:
            raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
        self.units = units
        feetech = motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH
        joints = []
        for name in motors:
            spec = rtype.motor(name)
            mode = norm_mode(units, spec.norm)
            cal = None
            if mode is not None:
                if calibration is None or name not in calibration:
                    raise ValueError(f"{units} for {rtype.name}'s {name} needs the arm's calibration (its range and "
                                     "drive mode): give calibration_id or calibration_file as robot_node takes them")
                cal = calibration[name]
                if mode is not NormMode.DEGREES and cal.range_max == cal.range_min:
                    raise ValueError(f"{name}: invalid calibration, range_min == range_max == {cal.range_min}")
            inverted = feetech and cal is not None and bool(cal.drive_mode)
            joints.append(_Joint(mode, cal, motor_model(spec.model).max_position, inverted))
        self._joints = tuple(joints)

    def from_radians(self, radians: np.ndarray) -> np.ndarray:
        """Radians (robot_node's view) -> the units, as LeRobot normalizes the same ticks."""
        return np.array([_from_radians(float(a), j) for a, j in zip(radians, self._joints)], dtype=np.float32)

    def to_radians(self, values: np.ndarray) -> np.ndarray:
        """The units -> radians (the inverse, unclamped inside the range; range units clamp to it)."""
        return np.array([_to_radians(float(v), j) for v, j in zip(values, self._joints)], dtype=np.float64)


def _ticks_from_mid(angle: float, joint: _Joint) -> float:
    """Raw ticks minus the range's middle: our radians are that, signed by an applied drive mode."""
    angle = -angle if joint.inverted else angle
    return angle * joint.max_res / (2.0 * math.pi)


def _from_radians(angle: float, joint: _Joint) -> float:
    if joint.mode is None:
        return angle
    cal = joint.calibration
    offset = _ticks_from_mid(angle, joint)
    if joint.mode is NormMode.DEGREES:
        return offset * 360.0 / joint.max_res
    lo, hi = cal.range_min, cal.range_max
    raw = min(max(offset + cal.mid, lo), hi)
    if joint.mode is NormMode.RANGE_M100_100:
        value = (raw - lo) / (hi - lo) * 200.0 - 100.0
        return -value if joint.inverted else value
    value = (raw - lo) / (hi - lo) * 100.0
    return 100.0 - value if joint.inverted else value


def _to_radians(value: float, joint: _Joint) -> float:
    if joint.mode is None:
        return value
    cal = joint.calibration
    if joint.mode is NormMode.DEGREES:
        offset = value * joint.max_res / 360.0
    else:
        lo, hi = cal.range_min, cal.range_max
        if joint.mode is NormMode.RANGE_M100_100:
            value = -value if joint.inverted else value
            raw = (min(max(value, -100.0), 100.0) + 100.0) / 200.0 * (hi - lo) + lo
        else:
            value = 100.0 - value if joint.inverted else value
            raw = min(max(value, 0.0), 100.0) / 100.0 * (hi - lo) + lo
        offset = raw - cal.mid
    angle = offset * 2.0 * math.pi / joint.max_res
    return -angle if joint.inverted else angle
