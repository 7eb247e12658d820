"""A LeKiwi's base velocity in the policy's inputs and outputs (runtime/policy_io.py and the runtime's
column bounds), without ROS: a checkpoint without a contract gets LeRobot's LeKiwi vectors (odom in,
cmd_vel out), a 9-wide action comes back as joint radians plus a REP-103 body velocity, and the
joint limits and per-step cap leave the base's columns alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lerobot_ros.recording.config import RecordingConfigError, load_recording_config
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.robots.omni_base import BodyVelocity
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.units import JointUnits
from lerobot_ros.runtime.policy_io import PolicyFeatures, default_contract
from lerobot_ros.runtime.runtime import RuntimeConfig
from lerobot_ros.runtime.schedule import ActionSchedule, clamp_to_limits, limit_steps

LEKIWI = robot_type("lekiwi")
CALIBRATION = default_sim_calibration("lekiwi")


def test_a_lekiwi_checkpoint_without_a_contract_reads_odom_and_commands_cmd_vel():
    contract = default_contract("lekiwi", "", "lerobot", {}, "arm_controller", 0.5, 30, CALIBRATION)
    features = PolicyFeatures(contract, [])
    names = contract.config.dataset_features()["action"]["names"]
    assert names[6:] == ["x.vel", "y.vel", "theta.vel"] and len(names) == 9  # LeRobot's LeKiwi action
    assert [(f.key, f.topic, f.type) for f in features.inputs] == [
        ("observation.state", "joint_states", "joint_state"), ("observation.state/base", "odom", "odometry")]
    assert (features.action.base.topic, features.action.base.type) == ("cmd_vel", "twist")
    assert features.base_columns == 3
    assert PolicyFeatures(default_contract("so101_follower", "", "lerobot", {}, "arm_controller", 0.5, 30,
                                           default_sim_calibration("so101_follower")), []).base_columns == 0


def test_a_nine_wide_action_splits_into_joint_radians_and_a_body_velocity():
    features = PolicyFeatures(default_contract("lekiwi", "", "lerobot", {}, "arm_controller", 0.5, 30, CALIBRATION),
                              [])
    arm_deg = np.array([[10.0, -20.0, 30.0, 15.0, -5.0, 70.0], [11.0, -21.0, 31.0, 16.0, -6.0, 60.0]])
    base = np.array([[0.2, -0.1, 90.0], [0.0, 0.3, -45.0]])  # m/s, m/s, deg/s
    runtime_rows = features.actions_to_radians(np.hstack((arm_deg, base)))
    units = JointUnits(LEKIWI, LEKIWI.joint_names, "degrees", CALIBRATION)
    np.testing.assert_allclose(runtime_rows[:, :6], np.stack([units.to_radians(row) for row in arm_deg]))
    np.testing.assert_allclose(runtime_rows[:, 6:], [[0.2, -0.1, math.pi / 2], [0.0, 0.3, -math.pi / 4]])
    joints, velocity = features.split_command(runtime_rows)
    np.testing.assert_array_equal(joints, runtime_rows[:, :6])
    assert velocity == pytest.approx(BodyVelocity(0.2, -0.1, math.pi / 2))  # the first (next due) step's


def test_joint_limits_and_the_step_cap_leave_the_base_columns_alone():
    config = RuntimeConfig(max_step_rad=0.1, joint_limits_rad=((-0.5, 0.5),) * 6, base_columns=3)
    limits, caps = config.column_bounds(9)
    target = np.array([[0.9] * 6 + [0.3, -0.2, 2.0], [0.9] * 6 + [-0.3, 0.2, -2.0]])
    schedule, limited = clamp_to_limits(ActionSchedule(np.array([0.1, 0.2]), target), limits)
    schedule, clamped = limit_steps(schedule, np.zeros(9), caps)
    np.testing.assert_allclose(schedule.positions[:, :6], [[0.1] * 6, [0.2] * 6])  # joints: limit, then cap
    np.testing.assert_array_equal(schedule.positions[:, 6:], target[:, 6:])  # the base's velocities untouched
    assert limited == 12 and clamped == 12


def test_a_base_commanded_from_odometry_is_refused():
    config = load_recording_config({"fps": 30, "robot": "lekiwi", "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state"},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory",
         "base": {"topic": "odom", "type": "odometry"}}]})
    with pytest.raises(RecordingConfigError, match="commands the base with a cmd_vel: give it type twist"):
        PolicyFeatures(FeatureContract(config, CALIBRATION), [])
