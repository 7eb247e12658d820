"""robots/units.py: radians -> LeRobot's units equals LeRobot's own formula on the same tick, for
every robot type, drive modes included; and back."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.motors.model import Vendor
from lerobot_ros.motors.normalization import MotorCalibration, NormMode, normalize, raw_to_radians
from lerobot_ros.motors.tables import motor_model
from lerobot_ros.robots.tables import ROBOT_TYPES, robot_type
from lerobot_ros.robots.units import DEGREES, RADIANS, RANGE, JointUnits, lerobot_default_units, norm_mode


def calibration_for(rtype, rng) -> dict[str, MotorCalibration]:
    calibration = {}
    for spec in rtype.joints:
        max_res = motor_model(spec.model).max_position
        lo = int(rng.integers(0, max_res // 3))
        hi = int(rng.integers(2 * max_res // 3, max_res))
        calibration[spec.name] = MotorCalibration(spec.id, int(rng.integers(0, 2)), 0, lo, hi)
    return calibration


@pytest.mark.parametrize("name", sorted(ROBOT_TYPES))
@pytest.mark.parametrize("units", [DEGREES, RANGE])
def test_a_tick_converts_to_exactly_what_lerobot_normalizes_it_to(name, units):
    rtype = robot_type(name)
    rng = np.random.default_rng(7)
    calibration = calibration_for(rtype, rng)
    feetech = motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH
    converter = JointUnits(rtype, rtype.joint_names, units, calibration)
    for _ in range(20):
        raws = [int(rng.integers(0, motor_model(s.model).max_position + 1)) for s in rtype.joints]
        radians = np.array([raw_to_radians(raw, calibration[s.name], motor_model(s.model).max_position, feetech)
                            for raw, s in zip(raws, rtype.joints)])
        expected = [normalize(raw, norm_mode(units, s.norm), calibration[s.name], motor_model(s.model).max_position,
                              feetech) for raw, s in zip(raws, rtype.joints)]
        np.testing.assert_allclose(converter.from_radians(radians), expected, atol=1e-4)
        # Back to radians: exact inside the calibrated range (the range units clamp outside it).
        inside = [calibration[s.name].range_min <= raw <= calibration[s.name].range_max
                  or norm_mode(units, s.norm) is NormMode.DEGREES for raw, s in zip(raws, rtype.joints)]
        back = converter.to_radians(converter.from_radians(radians))
        np.testing.assert_allclose(back[inside], radians[inside], atol=1e-5)


def test_defaults_follow_lerobot_0_6_robot_classes():
    assert lerobot_default_units(robot_type("so101_follower")) == DEGREES  # use_degrees=True
    assert lerobot_default_units(robot_type("lekiwi")) == DEGREES
    assert lerobot_default_units(robot_type("koch_follower")) == RANGE  # use_degrees=False
    assert lerobot_default_units(robot_type("omx_follower")) == RANGE
    assert lerobot_default_units(robot_type("hope_jr_arm")) == RANGE


def test_the_gripper_stays_0_to_100_in_degrees_and_radians_need_no_calibration():
    rtype = robot_type("so101_follower")
    calibration = calibration_for(rtype, np.random.default_rng(1))
    gripper = calibration["gripper"]
    converter = JointUnits(rtype, ["shoulder_pan", "gripper"], DEGREES, calibration)
    top = raw_to_radians(gripper.range_max, gripper, 4095, True)
    values = converter.from_radians(np.array([np.pi / 2, top]))
    assert values[0] == pytest.approx(90.0 if not calibration["shoulder_pan"].drive_mode else -90.0)
    assert values[1] == pytest.approx(0.0 if gripper.drive_mode else 100.0)
    same = JointUnits(rtype, ["shoulder_pan"], RADIANS, None)
    assert same.from_radians(np.array([0.25]))[0] == pytest.approx(0.25)


def test_units_without_a_calibration_are_refused_naming_the_fix():
    with pytest.raises(ValueError, match="needs the arm's calibration.*calibration_id"):
        JointUnits(robot_type("so101_follower"), ["gripper"], DEGREES, None)
