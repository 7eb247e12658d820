"""LeaderFollowerMap converts units the way LeRobot's teleoperation loop does.

LeRobot: ``follower.send_action(leader.get_action())``, i.e. normalize with the leader's
calibration, un-normalize the same number with the follower's. The expected values here are
written out from LeRobot's formulas (docs: /work/shared/reference/lerobot.md 4.3), not taken
from the code under test.
"""

from __future__ import annotations

import math

import pytest

from lerobot_ros.motors.normalization import MotorCalibration, raw_to_radians
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.teleop.leader import LeaderFollowerMap, TeleopPairError

SO_JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]


def _calibration(ranges: dict[str, tuple[int, int]], drive: dict[str, int] | None = None,
                 offset: int = 0) -> dict[str, MotorCalibration]:
    drive = drive or {}
    return {name: MotorCalibration(i + 1, drive.get(name, 0), offset, lo, hi)
            for i, (name, (lo, hi)) in enumerate(ranges.items())}


# Two SO arms calibrated to the same reference pose, but with different ticks.
LEADER_CAL = _calibration({"shoulder_pan": (900, 3100), "shoulder_lift": (800, 3300), "elbow_flex": (700, 3000),
                           "wrist_flex": (850, 3250), "wrist_roll": (0, 4095), "gripper": (2000, 3400)}, offset=-300)
FOLLOWER_CAL = _calibration({"shoulder_pan": (1000, 3000), "shoulder_lift": (1100, 3500),
                             "elbow_flex": (600, 3200), "wrist_flex": (900, 3100), "wrist_roll": (0, 4095),
                             "gripper": (1900, 3000)}, offset=250)


def test_so_pair_with_different_calibrations_lands_on_the_same_lerobot_pose():
    pair = LeaderFollowerMap(robot_type("so101_leader"), LEADER_CAL, robot_type("so101_follower"), FOLLOWER_CAL)
    leader_raw = {"shoulder_pan": 2500, "shoulder_lift": 1200, "elbow_flex": 2900, "wrist_flex": 2050,
                  "wrist_roll": 3000, "gripper": 2350}
    action = pair.lerobot_action(leader_raw)
    goal = pair.follower_raw(leader_raw)
    for name in SO_JOINTS[:-1]:  # degrees: (raw - mid) * 360 / 4095, both ways
        lc, fc = LEADER_CAL[name], FOLLOWER_CAL[name]
        degrees = (leader_raw[name] - (lc.range_min + lc.range_max) / 2) * 360 / 4095
        assert action[f"{name}.pos"] == pytest.approx(degrees)
        assert goal[name] == int(degrees * 4095 / 360 + (fc.range_min + fc.range_max) / 2)
        follower_degrees = (goal[name] - (fc.range_min + fc.range_max) / 2) * 360 / 4095
        assert follower_degrees == pytest.approx(degrees, abs=360 / 4095)  # same pose, within one tick
    lc, fc = LEADER_CAL["gripper"], FOLLOWER_CAL["gripper"]
    percent = (2350 - lc.range_min) / (lc.range_max - lc.range_min) * 100
    assert action["gripper.pos"] == pytest.approx(percent)
    assert goal["gripper"] == int(percent / 100 * (fc.range_max - fc.range_min) + fc.range_min)
    # The radians streamed to robot_node are the follower's radians of exactly that Goal_Position.
    radians = pair.follower_positions_rad(leader_raw)
    for i, name in enumerate(SO_JOINTS):
        assert radians[i] == pytest.approx(raw_to_radians(goal[name], FOLLOWER_CAL[name], 4095, True))
    assert radians[0] == pytest.approx(math.radians(action["shoulder_pan.pos"]), abs=2 * math.pi / 4095)


@pytest.mark.parametrize("percent_raw, expected_raw", [(2000, 1900), (3400, 3000), (2700, 2450), (1500, 1900)])
def test_gripper_percent_maps_range_to_range(percent_raw, expected_raw):
    pair = LeaderFollowerMap(robot_type("so101_leader"), LEADER_CAL, robot_type("so101_follower"), FOLLOWER_CAL)
    leader_raw = {name: 2048 for name in SO_JOINTS} | {"gripper": percent_raw}
    # 0 % -> 0 %, 100 % -> 100 %, 50 % -> 50 %; a reading below the range is clamped to 0 %, as LeRobot does.
    assert pair.follower_raw(leader_raw)["gripper"] == expected_raw


def test_feetech_drive_mode_inverts_in_software():
    leader_cal = dict(LEADER_CAL) | {"gripper": MotorCalibration(6, 1, -300, 2000, 3400)}
    pair = LeaderFollowerMap(robot_type("so101_leader"), leader_cal, robot_type("so101_follower"), FOLLOWER_CAL)
    leader_raw = {name: 2048 for name in SO_JOINTS} | {"gripper": 2350}
    assert pair.lerobot_action(leader_raw)["gripper.pos"] == pytest.approx(100 - 350 / 1400 * 100)


def test_koch_leader_drive_mode_is_the_servos_not_software():
    """Koch's leader elbow has Drive_Mode inverted: the servo inverts its own reading (LeRobot applies
    drive_mode in software on Feetech only), so the map must not invert it again."""
    leader = robot_type("koch_leader")
    leader_cal = default_sim_calibration("koch_leader")
    assert leader_cal["elbow_flex"].drive_mode == 1
    follower_cal = default_sim_calibration("koch_follower")
    pair = LeaderFollowerMap(leader, leader_cal, robot_type("koch_follower"), follower_cal)
    lc, fc = leader_cal["elbow_flex"], follower_cal["elbow_flex"]
    raw = lc.range_min + (lc.range_max - lc.range_min) // 4
    leader_raw = {m.name: 2048 for m in leader.motors} | {"elbow_flex": raw}
    value = (raw - lc.range_min) / (lc.range_max - lc.range_min) * 200 - 100
    assert pair.lerobot_action(leader_raw)["elbow_flex.pos"] == pytest.approx(value)
    assert pair.follower_raw(leader_raw)["elbow_flex"] == int((value + 100) / 200 * (fc.range_max - fc.range_min)
                                                              + fc.range_min)


def test_so_leader_drives_lekiwi_arm_joints():
    pair = LeaderFollowerMap(robot_type("so100_leader"), default_sim_calibration("so100_leader"),
                             robot_type("lekiwi"), default_sim_calibration("lekiwi"), follower_joint_prefix="left_")
    assert pair.follower_names == [f"left_arm_{n}" for n in SO_JOINTS]
    assert pair.leader_names == SO_JOINTS
    assert pair.follower_limits_rad.shape == (6, 2)


@pytest.mark.parametrize("leader, follower, complaint", [
    ("so101_leader", "koch_follower", "normalized degrees"),
    ("koch_leader", "omx_follower", None),
    ("koch_leader", "so101_follower", "normalized range_m100_100"),
    ("so101_leader", "hope_jr_arm", "has no joint"),
    ("so101_follower", "so101_follower", "not a leader arm"),
])
def test_pairs_that_cannot_match_poses_are_refused(leader, follower, complaint):
    def make() -> LeaderFollowerMap:
        return LeaderFollowerMap(robot_type(leader), default_sim_calibration(leader), robot_type(follower),
                                 default_sim_calibration(follower))

    if complaint is None:  # same motor names and modes: LeRobot pairs these too
        assert make().follower_names == SO_JOINTS
        return
    with pytest.raises(TeleopPairError, match=complaint):
        make()
