"""Which follower joint a leader motor drives, and in what units, the way LeRobot teleoperates.

LeRobot's teleoperation loop is ``follower.send_action(leader.get_action())``: the leader's raw
Present_Position is normalized with the LEADER's calibration (degrees, -100..100 or 0..100), and the
same number is un-normalized with the FOLLOWER's calibration into its Goal_Position. Poses match
because both arms were calibrated to the same reference pose, even though their ticks differ. This
map does exactly that, then expresses the follower's goal in the radians its robot_node takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..motors.model import Vendor
from ..motors.normalization import MotorCalibration, normalize, raw_to_radians, unnormalize
from ..motors.tables import motor_model
from ..robots.robot import joint_limits_rad
from ..robots.tables import MotorSpec, RobotType

# LeKiwi carries an SO arm whose motors LeRobot names arm_<motor> (keys arm_shoulder_pan.pos ...).
_FOLLOWER_ARM_PREFIXES = ("", "arm_")


class TeleopPairError(ValueError):
    """A leader and follower that cannot be paired; the message says which joint and why."""


@dataclass(frozen=True)
class _Side:
    """One arm's view of a joint: its motor spec, calibration, resolution and drive-mode rule."""

    spec: MotorSpec
    calibration: MotorCalibration
    max_res: int
    apply_drive_mode: bool  # Feetech only: Dynamixel servos invert themselves (Drive_Mode register)

    @classmethod
    def of(cls, rtype: RobotType, spec: MotorSpec, calibration: Mapping[str, MotorCalibration]) -> _Side:
        if spec.name not in calibration:
            raise TeleopPairError(f"{rtype.name}: the calibration has no entry for {spec.name}; "
                                  f"recalibrate with --robot-type {rtype.name}")
        return cls(spec, calibration[spec.name], motor_model(spec.model).max_position,
                   motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH)


@dataclass(frozen=True)
class JointPair:
    leader: _Side
    follower: _Side

    def lerobot_value(self, leader_raw: float) -> float:
        """The leader reading in LeRobot's units: what ``leader.get_action()`` returns for this motor."""
        s = self.leader
        return normalize(leader_raw, s.spec.norm, s.calibration, s.max_res, s.apply_drive_mode)

    def follower_raw(self, leader_raw: float) -> int:
        """The follower Goal_Position LeRobot's ``follower.send_action()`` would write for this reading."""
        f = self.follower
        return unnormalize(self.lerobot_value(leader_raw), f.spec.norm, f.calibration, f.max_res, f.apply_drive_mode)

    def follower_rad(self, leader_raw: float) -> float:
        f = self.follower
        return raw_to_radians(self.follower_raw(leader_raw), f.calibration, f.max_res, f.apply_drive_mode)


class LeaderFollowerMap:
    """Leader motors -> follower joints, with units converted through both calibrations."""

    def __init__(self, leader: RobotType, leader_calibration: Mapping[str, MotorCalibration],
                 follower: RobotType, follower_calibration: Mapping[str, MotorCalibration],
                 follower_joint_prefix: str = ""):
        if leader.role != "teleoperator":
            raise TeleopPairError(f"{leader.name} is not a leader arm (a teleoperator type such as so101_leader)")
        follower_specs = {s.name: s for s in follower.joints}
        pairs = []
        for spec in leader.joints:
            name = next((p + spec.name for p in _FOLLOWER_ARM_PREFIXES if p + spec.name in follower_specs), None)
            if name is None:
                raise TeleopPairError(f"{follower.name} has no joint for {leader.name}'s {spec.name} "
                                      f"(joints: {', '.join(follower_specs)}); pick a follower of the same arm")
            target = follower_specs[name]
            if target.norm is not spec.norm:
                raise TeleopPairError(
                    f"{leader.name}'s {spec.name} is normalized {spec.norm.value} but {follower.name}'s {name} "
                    f"{target.norm.value}: LeRobot passes the number through unchanged, so the poses would not "
                    "match; pair arms of one family (SO leader -> SO follower or LeKiwi, Koch -> Koch, OMX -> OMX)")
            pairs.append(JointPair(_Side.of(leader, spec, leader_calibration),
                                   _Side.of(follower, target, follower_calibration)))
        unmatched = set(follower_specs) - {p.follower.spec.name for p in pairs}
        if unmatched:
            raise TeleopPairError(f"{leader.name} has no motor for {follower.name}'s {', '.join(sorted(unmatched))}")
        self.leader = leader
        self.follower = follower
        self.pairs = tuple(pairs)
        self.leader_names = [p.leader.spec.name for p in pairs]
        self.follower_names = [follower_joint_prefix + p.follower.spec.name for p in pairs]
        order = [s.name for s in follower.joints]
        rows = [order.index(p.follower.spec.name) for p in pairs]
        self.follower_limits_rad = joint_limits_rad(follower, follower_calibration)[rows]

    def lerobot_action(self, leader_raw: Mapping[str, int]) -> dict[str, float]:
        """LeRobot's action dict for this reading, keyed by the follower's motors (``<motor>.pos``)."""
        return {f"{p.follower.spec.name}.pos": p.lerobot_value(leader_raw[p.leader.spec.name]) for p in self.pairs}

    def follower_raw(self, leader_raw: Mapping[str, int]) -> dict[str, int]:
        """The follower's Goal_Position per motor, as LeRobot would write it."""
        return {p.follower.spec.name: p.follower_raw(leader_raw[p.leader.spec.name]) for p in self.pairs}

    def follower_positions_rad(self, leader_raw: Mapping[str, int]) -> np.ndarray:
        """The follower pose (rad, ``follower_names`` order) matching this leader reading; not clamped."""
        return np.array([p.follower_rad(leader_raw[p.leader.spec.name]) for p in self.pairs])
