"""JogController: bounded speed, bounded lead over the present pose, joint limits, deadman release."""

from __future__ import annotations

import math

import pytest

from lerobot_ros.teleop.jog import JogConfig, JogController, arm_joints

NAMES = ["a", "b"]
LIMITS = [(-1.0, 1.0), (-0.5, 0.5)]


def controller(speed=0.5, step=0.1) -> JogController:
    return JogController(NAMES, LIMITS, JogConfig(max_joint_speed_rad_s=speed, max_step_rad=step))


def test_target_advances_at_the_speed_and_only_jogged_joints_are_sent():
    jog = controller()
    present = {"a": 0.2, "b": 0.0}
    cmd = jog.update(present, [1.0, 0.0], True, 0.02)
    assert cmd.joint_names == ("a",) and cmd.positions_rad == pytest.approx((0.21,)) and not cmd.stop
    cmd = jog.update(present, [1.0, 0.0], True, 0.02)
    assert cmd.positions_rad == pytest.approx((0.22,))  # integrates from the target, not from the lagging pose
    cmd = jog.update(present, [0.5, -1.0], True, 0.02)
    assert cmd.joint_names == ("a", "b") and cmd.positions_rad == pytest.approx((0.225, -0.01))


def test_lead_over_the_present_pose_is_bounded():
    jog = controller(speed=3.0, step=0.05)
    present = {"a": 0.0, "b": 0.0}
    for _ in range(20):  # the arm does not move (stalled): the target may not run away
        cmd = jog.update(present, [1.0, -1.0], True, 0.1)
    assert cmd.positions_rad == pytest.approx((0.05, -0.05))
    cmd = jog.update(present, [1.0, 0.0], True, 10.0)  # a long stall between ticks: still one bounded step
    assert cmd.positions_rad[0] == pytest.approx(0.05)


def test_targets_stay_within_limits_but_a_joint_outside_may_come_back():
    jog = controller(step=0.5)
    cmd = jog.update({"a": 0.98, "b": 0.0}, [1.0, 0.0], True, 1.0)
    assert cmd.positions_rad == pytest.approx((1.0,))
    jog = controller(step=0.5)
    outside = {"a": 0.0, "b": 0.7}  # beyond b's 0.5 limit, e.g. pushed by hand
    assert jog.update(outside, [0.0, 1.0], True, 0.1).positions_rad == pytest.approx((0.7,))  # no further out
    jog = controller(step=0.5)
    assert jog.update(outside, [0.0, -1.0], True, 0.1).positions_rad == pytest.approx((0.65,))  # back in


def test_releasing_the_deadman_freezes_at_the_present_pose_once():
    jog = controller()
    jog.update({"a": 0.0, "b": 0.0}, [1.0, 0.0], True, 0.1)
    cmd = jog.update({"a": 0.03, "b": 0.0}, [1.0, 0.0], False, 0.1)
    assert cmd.stop and cmd.joint_names == ("a",) and cmd.positions_rad == (0.03,)
    assert jog.update({"a": 0.03, "b": 0.0}, [1.0, 0.0], False, 0.1) is None
    assert not jog.active


def test_centred_inputs_send_nothing_and_nan_counts_as_released():
    jog = controller()
    assert jog.update({"a": 0.0, "b": 0.0}, [0.0, 0.0], True, 0.1) is None
    assert jog.update({"a": 0.0, "b": 0.0}, [math.nan, 0.0], True, 0.1) is None
    assert jog.update({"a": 0.0, "b": 0.0}, [7.0, 0.0], True, 0.1).positions_rad == pytest.approx((0.05,))


def test_no_joint_states_no_command_and_missing_joints_are_named():
    jog = controller()
    assert jog.update(None, [1.0, 0.0], True, 0.1) is None
    with pytest.raises(ValueError, match="joint_states has no b: check robot_type and joint_prefix"):
        jog.update({"a": 0.0}, [1.0, 0.0], True, 0.1)


def test_arm_joints_come_from_the_robot_table():
    names, limits = arm_joints("lekiwi")
    assert names[0] == "arm_shoulder_pan" and len(names) == 6 and limits[0] == pytest.approx((-1.91986, 1.91986))
    names, limits = arm_joints("koch_follower", "left_")
    assert names[0] == "left_shoulder_pan" and limits[0] == pytest.approx((-math.pi, math.pi))
