"""LeKiwi's omni base kinematics and odometry (robots/omni_base.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lerobot_ros.robots.omni_base import BodyVelocity, Odometry, OmniBase, Pose2D
from lerobot_ros.robots.tables import robot_type

SPEC = robot_type("lekiwi").base
KIN = OmniBase(SPEC)


def lerobot_raw(x_m_s: float, y_m_s: float, theta_deg_s: float) -> list[int]:
    """LeRobot's arithmetic for LeKiwi, written out by hand as the reference."""
    theta = math.radians(theta_deg_s)
    out = []
    for angle_deg in (240 - 90, 0 - 90, 120 - 90):
        a = math.radians(angle_deg)
        linear = math.cos(a) * x_m_s + math.sin(a) * y_m_s + 0.125 * theta
        out.append(math.degrees(linear / 0.05) * 4096 / 360)
    peak = max(abs(r) for r in out)
    scale = 3000 / peak if peak > 3000 else 1.0
    return [round(r * scale) for r in out]


def test_forward_drive_matches_lerobot_numbers():
    assert SPEC.wheels == ("base_left_wheel", "base_back_wheel", "base_right_wheel")
    assert KIN.body_to_wheel_raw(0.1, 0.0, 0.0).tolist() == [-1129, 0, 1129]


@pytest.mark.parametrize("x, y, theta_deg", [(0.1, 0.0, 0.0), (0.0, 0.2, 0.0), (0.0, 0.0, 30.0),
                                              (0.3, -0.1, 90.0), (-0.2, 0.05, -60.0), (2.0, 1.0, 400.0)])
def test_raw_speeds_agree_with_lerobot(x, y, theta_deg):
    body = BodyVelocity.from_lerobot({"x.vel": x, "y.vel": y, "theta.vel": theta_deg})
    assert KIN.body_to_wheel_raw(*body).tolist() == lerobot_raw(x, y, theta_deg)


def test_pure_rotation_turns_every_wheel_the_same_way():
    raw = KIN.body_to_wheel_raw(0.0, 0.0, 1.0)
    # 0.125 m * 1 rad/s / 0.05 m = 2.5 rad/s = 143.24 deg/s = 1629.7 steps/s
    assert raw.tolist() == [1630, 1630, 1630]
    np.testing.assert_allclose(KIN.wheel_raw_to_rad_s(raw), 2.5, atol=1e-3)


def test_round_trip_body_wheels_body():
    body = BodyVelocity(0.15, -0.07, 0.4)
    back = KIN.wheel_rad_s_to_body(KIN.body_to_wheel_rad_s(*body))
    assert (back.x_m_s, back.y_m_s, back.theta_rad_s) == pytest.approx((0.15, -0.07, 0.4), abs=1e-12)
    via_raw = KIN.wheel_raw_to_body(KIN.body_to_wheel_raw(*body))
    # One raw step is 0.088 deg/s of wheel: a few 1e-4 m/s of body speed.
    assert (via_raw.x_m_s, via_raw.y_m_s, via_raw.theta_rad_s) == pytest.approx((0.15, -0.07, 0.4), abs=1e-3)


def test_speed_cap_scales_all_wheels_and_keeps_the_direction():
    body = BodyVelocity(1.0, 0.5, 2.0)
    raw = KIN.body_to_wheel_raw(*body)
    assert max(abs(raw)) == SPEC.max_raw_speed
    uncapped = np.degrees(KIN.body_to_wheel_rad_s(*body)) * 4096 / 360
    assert max(abs(uncapped)) > SPEC.max_raw_speed
    np.testing.assert_allclose(raw, uncapped * SPEC.max_raw_speed / max(abs(uncapped)), atol=0.5)
    got = KIN.wheel_raw_to_body(raw)
    requested, actual = np.array(body), np.array(got)
    scale = actual @ requested / (requested @ requested)
    assert 0.0 < scale < 1.0
    np.testing.assert_allclose(actual, scale * requested, atol=1e-3)


def test_theta_is_rad_s_on_our_side_and_deg_s_in_lerobot():
    body = BodyVelocity(0.1, 0.2, math.pi / 2)
    assert body.to_lerobot() == pytest.approx({"x.vel": 0.1, "y.vel": 0.2, "theta.vel": 90.0})
    assert BodyVelocity.from_lerobot(body.to_lerobot()).theta_rad_s == pytest.approx(math.pi / 2)


def test_odometry_drives_a_closed_circle():
    v, w = 0.2, 0.5  # radius 0.4 m, period 4*pi s
    odom = Odometry()
    period_s = 2 * math.pi / w
    steps = 1000
    for i in range(steps):
        pose = odom.update(BodyVelocity(v, 0.0, w), period_s / steps)
        if i == steps // 4 - 1:  # a quarter turn: left of the start, by the radius
            assert (pose.x_m, pose.y_m, pose.yaw_rad) == pytest.approx((0.4, 0.4, math.pi / 2), abs=1e-9)
    assert (pose.x_m, pose.y_m) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert pose.yaw_rad == pytest.approx(2 * math.pi)  # continuous: not wrapped back to 0


def test_odometry_strafing_while_turning_keeps_the_body_frame():
    # Sideways at 0.2 m/s while turning at 0.5 rad/s is a circle of radius 0.4 m centred behind.
    odom = Odometry()
    for _ in range(100):
        pose = odom.update(BodyVelocity(0.0, 0.2, 0.5), (math.pi / 0.5) / 100)  # half a turn
    assert (pose.x_m, pose.y_m) == pytest.approx((-0.8, 0.0), abs=1e-9)


def test_odometry_straight_line_and_reset():
    odom = Odometry(Pose2D(1.0, 2.0, math.pi / 2))
    pose = odom.update(BodyVelocity(0.5, 0.0, 0.0), 2.0)
    assert (pose.x_m, pose.y_m, pose.yaw_rad) == pytest.approx((1.0, 3.0, math.pi / 2))
    odom.reset()
    assert odom.pose == Pose2D(0.0, 0.0, 0.0) and odom.body_velocity == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="dt_s"):
        odom.update(BodyVelocity(0.1, 0.0, 0.0), -0.01)


def test_odometry_from_wheel_feedback():
    odom = Odometry()
    raw = KIN.body_to_wheel_raw(0.1, 0.0, 0.0)
    for _ in range(10):
        odom.update(KIN.wheel_raw_to_body(raw), 0.1)
    assert odom.x_m == pytest.approx(0.1, abs=1e-4)
    assert odom.y_m == pytest.approx(0.0, abs=1e-9)
    vx, vy, wz = odom.body_velocity  # the latest twist, for nav_msgs/Odometry
    assert (vx, vy, wz) == pytest.approx((0.1, 0.0, 0.0), abs=1e-4)
