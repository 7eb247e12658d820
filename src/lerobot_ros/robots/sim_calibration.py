"""The calibration of a factory-fresh simulated arm: its default pose (servo_sim.servo.default_position)
is its zero.

The simulator starts each servo a few ticks off the encoder's middle, as a real arm out of the box is;
this calibration is the one that LeRobot's procedure would record for that pose.
"""

from __future__ import annotations

import math

from ..motors.model import MotorModel
from ..motors.normalization import MotorCalibration
from ..motors.tables import motor_model
from ..servo_sim.servo import default_position
from .tables import MotorSpec, robot_type


def default_sim_calibration(robot_type_name: str) -> dict[str, MotorCalibration]:
    """A calibration of the factory-fresh simulated ``robot_type_name``, zero at the default pose.

    Homing_Offset makes the default pose read the middle of the turn (max_res // 2); the range is
    that middle plus or minus half the width of the joint's ``limits_rad`` (2*pi rad = max_res ticks),
    clipped to 0..max_res. Full-turn joints, joints without limits and wheels get 0..max_res; robot
    types calibrated at the factory get offset 0 and 0..max_res, as LeRobot writes for them.
    """
    rt = robot_type(robot_type_name)
    calibration = {}
    for spec in rt.motors:
        model = motor_model(spec.model)
        if rt.factory_calibration or spec.is_wheel:
            calibration[spec.name] = MotorCalibration(spec.id, spec.drive_mode, 0, 0, model.max_position)
        else:
            calibration[spec.name] = _joint_calibration(spec, model)
    return calibration


def _joint_calibration(spec: MotorSpec, model: MotorModel) -> MotorCalibration:
    max_res = model.max_position
    pose = default_position(model, spec.id)
    if "Homing_Offset" in model.registers:
        mid = max_res // 2
        offset = round(-model.homing_offset_sign * (pose - mid))
    else:  # SCS servos have no offset register: the range is centred on the pose itself
        mid, offset = round(pose), 0
    if spec.full_turn or spec.limits_rad is None:
        lo, hi = 0, max_res
    else:
        half = (spec.limits_rad[1] - spec.limits_rad[0]) / 2 * max_res / (2 * math.pi)
        lo, hi = max(0, round(mid - half)), min(max_res, round(mid + half))
    return MotorCalibration(spec.id, spec.drive_mode, offset, lo, hi)
