"""A robot type on a motor bus, in SI units, with the safety rules that are always on.

The robot reads joint positions in radians, writes goal positions in radians, and refuses to do
anything unsafe:

* it never writes a goal before it has read the present position (a peer's driver once seeded its
  first command with zeros after a failed read and drove every joint to 0 rad);
* goals are finite, name known joints, and are clamped to the joint limits and to
  ``present +/- max_relative_target``;
* torque goes on only after the first good read, with the goal set to the present pose.

Units: joint positions are radians from the middle of the calibrated range
(:mod:`lerobot_ros.motors.normalization`), velocities rad/s.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..motors.bus import MotorsBus
from ..motors.calibration import calibration_matches, write_calibration
from ..motors.model import Vendor
from ..motors.normalization import MotorCalibration, normalize, radians_to_raw, raw_to_radians
from ..motors.tables import motor_model
from .tables import RobotType

log = logging.getLogger(__name__)


def joint_limits_rad(rtype: RobotType, calibration: Mapping[str, MotorCalibration]) -> np.ndarray:
    """Per-joint [lower, upper] in rad: the calibrated range, narrowed by the nominal limits.

    A function of its own because a teleoperator must respect a follower's limits without owning
    its bus (trajectories outside them are rejected, not clamped).
    """
    apply_drive_mode = motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH
    limits = np.empty((len(rtype.joints), 2))
    for i, spec in enumerate(rtype.joints):
        cal = calibration[spec.name]
        max_res = motor_model(spec.model).max_position
        ends = sorted(raw_to_radians(r, cal, max_res, apply_drive_mode) for r in (cal.range_min, cal.range_max))
        lo, hi = ends
        if spec.limits_rad is not None:
            lo, hi = max(lo, spec.limits_rad[0]), min(hi, spec.limits_rad[1])
            if lo >= hi:  # nominal and calibrated ranges do not overlap: trust the calibration
                lo, hi = ends
        limits[i] = (lo, hi)
    return limits


class UnsafeCommandError(ValueError):
    """A command that cannot be executed safely (NaN, unknown joint, nothing read yet)."""


@dataclass(frozen=True)
class MotorHealth:
    """Slow-changing servo health for diagnostics."""

    temperature_c: float | None = None
    voltage_v: float | None = None
    error_bits: int = 0


@dataclass(frozen=True)
class JointReading:
    """One read of the arm: positions in rad, in ``Robot.joint_names`` order, and the raw ticks."""

    positions_rad: np.ndarray
    raw: Mapping[str, int]


class Robot:
    """Drives one robot type over a connected :class:`MotorsBus`."""

    def __init__(self, rtype: RobotType, bus: MotorsBus, calibration: Mapping[str, MotorCalibration],
                 max_relative_target_rad: float | Mapping[str, float] | None = None,
                 torque_enabled: bool = True):
        missing = [m.name for m in rtype.motors if m.name not in calibration]
        if missing:
            raise ValueError(f"{rtype.name}: calibration has no entry for {', '.join(missing)}; "
                             f"run `lerobot-ros calibrate --robot-type {rtype.name}`")
        self.rtype = rtype
        self.bus = bus
        self.calibration = dict(calibration)
        self.torque_enabled = torque_enabled
        self.joint_names = rtype.joint_names
        self._specs = rtype.joints
        self._max_res = [motor_model(m.model).max_position for m in self._specs]
        # LeRobot applies drive_mode in software on Feetech only; Dynamixel servos invert themselves.
        self._apply_drive_mode = motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH
        self.limits_rad = joint_limits_rad(rtype, self.calibration)
        self.max_step_rad = self._max_step(max_relative_target_rad)
        self._last: JointReading | None = None

    # -- limits -----------------------------------------------------------------------------------

    def _max_step(self, cap: float | Mapping[str, float] | None) -> np.ndarray:
        if cap is None:
            return np.full(len(self._specs), np.inf)
        if isinstance(cap, Mapping):
            unknown = set(cap) - set(self.joint_names)
            if unknown:
                raise ValueError(f"max_relative_target names unknown joints: {', '.join(sorted(unknown))}")
            steps = np.array([cap.get(n, np.inf) for n in self.joint_names], dtype=float)
        else:
            steps = np.full(len(self._specs), float(cap))
        if np.any(steps <= 0):
            raise ValueError("max_relative_target must be positive (radians per command), or unset")
        return steps

    # -- lifecycle --------------------------------------------------------------------------------

    def connect(self) -> JointReading:
        """Connect, bring motors to the calibration and modes of the table, read, then enable torque.

        Returns the first reading, which is also the hold pose the caller should command.
        """
        self.bus.connect()
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            if not calibration_matches(self.bus, self.calibration):
                log.warning("%s: motor calibration registers differ from the calibration file; writing the file's "
                            "values to the motors", self.rtype.name)
                write_calibration(self.bus, self.calibration)
            for spec in self.rtype.motors:
                if spec.drive_mode and motor_model(spec.model).vendor is Vendor.DYNAMIXEL:
                    self.bus.write("Drive_Mode", spec.name, spec.drive_mode)
                self.bus.set_operating_mode(spec.name, spec.operating_mode)
                for register, value in spec.registers.items():
                    self.bus.write(register, spec.name, value)
        reading = self.read()  # raises if the arm cannot be read: torque stays off
        if self.torque_enabled:
            self.bus.sync_write("Goal_Position", dict(reading.raw))
            self.bus.enable_torque()
        elif self._trigger is not None:
            self._hold_trigger()
        return reading

    @property
    def _trigger(self) -> str | None:
        """The gripper of a Koch/OMX leader, which LeRobot turns into a spring-loaded trigger."""
        if self.rtype.gripper_open_pos is None:
            return None
        return next((s.name for s in self._specs if s.operating_mode == "current_position"), None)

    def _hold_trigger(self) -> None:
        """Hold the leader's trigger at its open position in current-position mode, torque on that motor only."""
        cal = self.calibration[self._trigger]
        raw = int(cal.range_min + (cal.range_max - cal.range_min) * self.rtype.gripper_open_pos / 100.0)
        self.bus.write("Goal_Position", self._trigger, raw)
        self.bus.enable_torque([self._trigger])

    def reconnect(self) -> JointReading:
        """Reopen the port and bring the arm up again (after an unplug or a power cycle): holds where it is."""
        if self.bus.is_connected:
            self.bus.disconnect(disable_torque=False)
        return self.connect()

    def disconnect(self, torque_off: bool = True) -> None:
        if self.bus.is_connected:
            self.bus.disconnect(disable_torque=torque_off)

    # -- state ------------------------------------------------------------------------------------

    def read(self) -> JointReading:
        """Read Present_Position of every joint (one sync read). Raises BusError on failure."""
        raw = self.bus.sync_read("Present_Position", self.joint_names)
        positions = np.array([
            raw_to_radians(raw[spec.name], self.calibration[spec.name], self._max_res[i], self._apply_drive_mode)
            for i, spec in enumerate(self._specs)
        ])
        self._last = JointReading(positions, raw)
        return self._last

    def read_health(self) -> dict[str, MotorHealth]:
        """Temperature, supply voltage and error bits of every motor (three sync reads: call at ~1 Hz)."""
        names = [m.name for m in self.rtype.motors]
        dynamixel = self.bus.vendor is Vendor.DYNAMIXEL
        temperature = self.bus.sync_read("Present_Temperature", names)
        voltage = self.bus.sync_read("Present_Input_Voltage" if dynamixel else "Present_Voltage", names)
        errors = self.bus.sync_read(self.bus.hardware_error_register, names)
        return {n: MotorHealth(float(temperature[n]), voltage[n] / 10.0, int(errors[n])) for n in names}

    @property
    def last_reading(self) -> JointReading | None:
        return self._last

    def lerobot_values(self, reading: JointReading) -> dict[str, float]:
        """The reading in LeRobot's units (``<motor>.pos`` in degrees, -100..100 or 0..100)."""
        return {
            f"{spec.name}.pos": normalize(reading.raw[spec.name], spec.norm, self.calibration[spec.name],
                                          self._max_res[i], self._apply_drive_mode)
            for i, spec in enumerate(self._specs)
        }

    # -- commands ---------------------------------------------------------------------------------

    def safe_goal(self, goal_rad: np.ndarray) -> np.ndarray:
        """Clamp a full goal vector to the joint limits and to present +/- max_relative_target."""
        if self._last is None:
            raise UnsafeCommandError(f"{self.rtype.name}: no successful read of the present position yet; "
                                     "refusing to command")
        goal = np.asarray(goal_rad, dtype=float)
        if goal.shape != (len(self._specs),):
            raise UnsafeCommandError(f"goal has {goal.size} values, {self.rtype.name} has {len(self._specs)} joints")
        if not np.all(np.isfinite(goal)):
            bad = [n for n, v in zip(self.joint_names, goal) if not math.isfinite(v)]
            raise UnsafeCommandError(f"goal for {', '.join(bad)} is not finite")
        present = self._last.positions_rad
        goal = np.clip(goal, present - self.max_step_rad, present + self.max_step_rad)
        return np.clip(goal, self.limits_rad[:, 0], self.limits_rad[:, 1])

    def send_goal(self, goal_rad: np.ndarray) -> np.ndarray:
        """Write a safe version of ``goal_rad`` to Goal_Position; returns what was sent (rad)."""
        goal = self.safe_goal(goal_rad)
        raw = {
            spec.name: radians_to_raw(goal[i], self.calibration[spec.name], self._max_res[i], self._apply_drive_mode)
            for i, spec in enumerate(self._specs)
        }
        self.bus.sync_write("Goal_Position", raw)
        return goal
