"""Every supported robot type, one declarative table each.

A robot type says which servos sit on its bus (id, model, LeRobot normalization, operating mode),
the register values written when it is configured, and how LeRobot names its calibration folder.
Adding a robot means adding a table here and a test, not a class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from ..motors.normalization import NormMode
from ..motors.tables import motor_model

DEG = NormMode.DEGREES
M100 = NormMode.RANGE_M100_100
PCT = NormMode.RANGE_0_100


@dataclass(frozen=True)
class MotorSpec:
    """One servo of a robot type."""

    name: str  # LeRobot motor name; also the ROS joint name
    id: int
    model: str
    norm: NormMode
    operating_mode: str = "position"
    full_turn: bool = False  # calibration records no range: fixed 0..max_res (LeRobot's full-turn joints)
    drive_mode: int = 0  # factory Drive_Mode written to Dynamixel servos (1 = inverted)
    limits_rad: tuple[float, float] | None = None  # nominal joint limits (URDF); None = calibrated range
    registers: Mapping[str, int] = field(default_factory=dict)  # written at configure, torque off
    is_wheel: bool = False


@dataclass(frozen=True)
class OmniBaseSpec:
    """A three-wheel omni base (LeKiwi): wheel geometry and the raw speed cap."""

    wheels: tuple[str, ...]
    wheel_angles_deg: tuple[float, ...]  # mounting angles, already including LeRobot's -90 deg
    wheel_radius_m: float
    base_radius_m: float
    max_raw_speed: int


@dataclass(frozen=True)
class RobotType:
    """A robot (follower) or teleoperator (leader) type, as LeRobot names it."""

    name: str
    calibration_name: str  # folder under calibration/{robots|teleoperators}/
    role: str  # "robot" or "teleoperator"
    motors: tuple[MotorSpec, ...]
    factory_calibration: bool = False  # no interactive calibration: offset 0, range 0..max_res
    base: OmniBaseSpec | None = None
    gripper_open_pos: float | None = None  # leader trigger grippers: held here in current-position mode

    @property
    def vendor(self) -> str:
        return motor_model(self.motors[0].model).vendor.value

    @property
    def protocol(self) -> int:
        return motor_model(self.motors[0].model).protocol

    @property
    def joints(self) -> tuple[MotorSpec, ...]:
        """The position-controlled motors, in bus order (the arm joints, gripper included)."""
        return tuple(m for m in self.motors if not m.is_wheel)

    @property
    def joint_names(self) -> list[str]:
        return [m.name for m in self.joints]

    def motor(self, name: str) -> MotorSpec:
        for m in self.motors:
            if m.name == name:
                return m
        raise KeyError(f"{self.name} has no motor {name!r}")

    @property
    def calibration_kind(self) -> str:
        return "robots" if self.role == "robot" else "teleoperators"


def _r(deg_lo: float, deg_hi: float) -> tuple[float, float]:
    return (math.radians(deg_lo), math.radians(deg_hi))


# SO-100/SO-101: STS3215 x6, ids 1-6. Limits of the SO-101 URDF (zero at the middle of the range).
_SO_FOLLOWER_GAINS = MappingProxyType({"P_Coefficient": 16, "I_Coefficient": 0, "D_Coefficient": 32})
_SO_GRIPPER = MappingProxyType({**_SO_FOLLOWER_GAINS, "Max_Torque_Limit": 500, "Protection_Current": 250,
                                "Overload_Torque": 25})


def _so_arm(prefix: str = "", follower: bool = True) -> tuple[MotorSpec, ...]:
    gains = _SO_FOLLOWER_GAINS if follower else MappingProxyType({})
    return (
        MotorSpec(f"{prefix}shoulder_pan", 1, "sts3215", DEG, limits_rad=(-1.91986, 1.91986), registers=gains),
        MotorSpec(f"{prefix}shoulder_lift", 2, "sts3215", DEG, limits_rad=(-1.74533, 1.74533), registers=gains),
        MotorSpec(f"{prefix}elbow_flex", 3, "sts3215", DEG, limits_rad=(-1.69, 1.69), registers=gains),
        MotorSpec(f"{prefix}wrist_flex", 4, "sts3215", DEG, limits_rad=(-1.65806, 1.65806), registers=gains),
        MotorSpec(f"{prefix}wrist_roll", 5, "sts3215", DEG, full_turn=True, limits_rad=(-2.79253, 2.79253),
                  registers=gains),
        MotorSpec(f"{prefix}gripper", 6, "sts3215", PCT, limits_rad=(-0.174533, 1.74533),
                  registers=_SO_GRIPPER if follower else gains),
    )


def _koch_follower() -> tuple[MotorSpec, ...]:
    ext = "extended_position"
    return (
        MotorSpec("shoulder_pan", 1, "xl430-w250", M100, ext, full_turn=True),
        MotorSpec("shoulder_lift", 2, "xl430-w250", M100, ext),
        MotorSpec("elbow_flex", 3, "xl330-m288", M100, ext,
                  registers=MappingProxyType({"Position_P_Gain": 1500, "Position_I_Gain": 0, "Position_D_Gain": 600})),
        MotorSpec("wrist_flex", 4, "xl330-m288", M100, ext),
        MotorSpec("wrist_roll", 5, "xl330-m288", M100, ext, full_turn=True),
        MotorSpec("gripper", 6, "xl330-m288", PCT, "current_position"),
    )


def _koch_leader() -> tuple[MotorSpec, ...]:
    ext = "extended_position"
    return (
        MotorSpec("shoulder_pan", 1, "xl330-m077", M100, ext, full_turn=True),
        MotorSpec("shoulder_lift", 2, "xl330-m077", M100, ext),
        MotorSpec("elbow_flex", 3, "xl330-m077", M100, ext, drive_mode=1),
        MotorSpec("wrist_flex", 4, "xl330-m077", M100, ext),
        MotorSpec("wrist_roll", 5, "xl330-m077", M100, ext, full_turn=True),
        MotorSpec("gripper", 6, "xl330-m077", PCT, "current_position"),
    )


def _omx_follower() -> tuple[MotorSpec, ...]:
    ext = "extended_position"
    return (
        MotorSpec("shoulder_pan", 11, "xl430-w250", M100, ext, full_turn=True),
        MotorSpec("shoulder_lift", 12, "xl430-w250", M100, ext),
        MotorSpec("elbow_flex", 13, "xl430-w250", M100, ext),
        MotorSpec("wrist_flex", 14, "xl330-m288", M100, ext),
        MotorSpec("wrist_roll", 15, "xl330-m288", M100, ext, full_turn=True),
        MotorSpec("gripper", 16, "xl330-m288", PCT, "current_position"),
    )


def _omx_leader() -> tuple[MotorSpec, ...]:
    ext = "extended_position"
    return (
        MotorSpec("shoulder_pan", 1, "xl330-m288", M100, ext, full_turn=True),
        MotorSpec("shoulder_lift", 2, "xl330-m288", M100, ext),
        MotorSpec("elbow_flex", 3, "xl330-m288", M100, ext),
        MotorSpec("wrist_flex", 4, "xl330-m288", M100, ext),
        MotorSpec("wrist_roll", 5, "xl330-m288", M100, ext, full_turn=True),
        MotorSpec("gripper", 6, "xl330-m077", PCT, "current_position", drive_mode=1),
    )


def _lekiwi() -> tuple[MotorSpec, ...]:
    wheel = MappingProxyType({})
    return (*_so_arm("arm_"),
            MotorSpec("base_left_wheel", 7, "sts3215", M100, "velocity", is_wheel=True, registers=wheel),
            MotorSpec("base_back_wheel", 8, "sts3215", M100, "velocity", is_wheel=True, registers=wheel),
            MotorSpec("base_right_wheel", 9, "sts3215", M100, "velocity", is_wheel=True, registers=wheel))


def _hope_jr_arm() -> tuple[MotorSpec, ...]:
    return (
        MotorSpec("shoulder_pitch", 1, "sm8512bl", M100),
        MotorSpec("shoulder_yaw", 2, "sts3250", M100),
        MotorSpec("shoulder_roll", 3, "sts3250", M100),
        MotorSpec("elbow_flex", 4, "sts3250", M100),
        MotorSpec("wrist_roll", 5, "sts3250", M100),
        MotorSpec("wrist_yaw", 6, "sts3250", M100),
        MotorSpec("wrist_pitch", 7, "sts3250", M100),
    )


ROBOT_TYPES: dict[str, RobotType] = {
    t.name: t
    for t in (
        RobotType("so100_follower", "so_follower", "robot", _so_arm()),
        RobotType("so101_follower", "so_follower", "robot", _so_arm()),
        RobotType("so100_leader", "so_leader", "teleoperator", _so_arm(follower=False)),
        RobotType("so101_leader", "so_leader", "teleoperator", _so_arm(follower=False)),
        RobotType("koch_follower", "koch_follower", "robot", _koch_follower()),
        RobotType("koch_leader", "koch_leader", "teleoperator", _koch_leader(), gripper_open_pos=50.0),
        RobotType("omx_follower", "omx_follower", "robot", _omx_follower(), factory_calibration=True),
        RobotType("omx_leader", "omx_leader", "teleoperator", _omx_leader(), gripper_open_pos=60.0),
        RobotType("lekiwi", "lekiwi", "robot", _lekiwi(),
                  base=OmniBaseSpec(wheels=("base_left_wheel", "base_back_wheel", "base_right_wheel"),
                                    wheel_angles_deg=(240.0 - 90.0, 0.0 - 90.0, 120.0 - 90.0),
                                    wheel_radius_m=0.05, base_radius_m=0.125, max_raw_speed=3000)),
        RobotType("hope_jr_arm", "hope_jr_arm", "robot", _hope_jr_arm()),
    )
}


def robot_type(name: str) -> RobotType:
    try:
        return ROBOT_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown robot_type {name!r}; known: {', '.join(sorted(ROBOT_TYPES))}") from None
