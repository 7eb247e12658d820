"""The always-on safety rules of Robot and Driver, on a simulated bus in this process (real SDK bytes)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.motors.errors import BusError
from lerobot_ros.motors.normalization import radians_to_raw
from lerobot_ros.robots.driver import Driver, DriverConfig
from lerobot_ros.robots.robot import Robot, UnsafeCommandError
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.trajectory import JointTrajectory, TrajectoryPoint, TrajectoryRejected
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration

SO101 = robot_type("so101_follower")


@pytest.fixture
def sim():
    with simulated_bus("so101_follower") as bus:
        yield bus


def make_robot(sim, **kwargs) -> Robot:
    bus = robot_bus(sim.port, SO101, timeout_ms=20, retries=1)
    return Robot(SO101, bus, default_sim_calibration("so101_follower"), **kwargs)


def goal_register(sim, joint: str) -> int:
    return sim.servo(SO101.motor(joint).id).read_register("Goal_Position")


def settled_goal_register(sim, joint: str, expected: int) -> int:
    """Goal_Position once the simulator has taken the last sync write (it has no reply to wait for)."""
    deadline = time.monotonic() + 1.0
    while goal_register(sim, joint) != expected and time.monotonic() < deadline:
        time.sleep(0.001)
    return goal_register(sim, joint)


def settled_goals(sim) -> list[int]:
    """Every Goal_Position once the simulator has taken the writes already sent (unchanged for 50 ms)."""
    goals, deadline = None, time.monotonic() + 2.0
    while time.monotonic() < deadline:
        now = [s.read_register("Goal_Position") for s in sim.servos]
        if now == goals:
            break
        goals = now
        time.sleep(0.05)
    return goals


def test_no_torque_and_no_goal_when_the_first_read_fails(sim):
    goals_before = [s.read_register("Goal_Position") for s in sim.servos]
    sim.servo(3).faults.no_reply = True
    robot = make_robot(sim)
    with pytest.raises(BusError, match="id 3"):
        robot.connect()
    assert all(s.read_register("Torque_Enable") == 0 for s in sim.servos)
    assert [s.read_register("Goal_Position") for s in sim.servos] == goals_before
    with pytest.raises(UnsafeCommandError, match="no successful read"):
        robot.safe_goal(np.zeros(6))


def test_torque_comes_on_holding_the_present_pose(sim):
    sim.servo(2).set_actual_position(2600)  # the arm rests somewhere away from the middle
    robot = make_robot(sim)
    reading = robot.connect()
    assert all(s.read_register("Torque_Enable") == 1 for s in sim.servos)
    for spec in SO101.joints:
        assert goal_register(sim, spec.name) == reading.raw[spec.name]


def test_goals_are_clamped_to_joint_limits(sim):
    robot = make_robot(sim)
    robot.connect()
    sent = robot.send_goal(np.array([10.0, -10.0, 0.0, 0.0, 0.0, 0.0]))
    assert sent[0] == pytest.approx(robot.limits_rad[0, 1])
    assert sent[1] == pytest.approx(robot.limits_rad[1, 0])
    cal = default_sim_calibration("so101_follower")
    expected = radians_to_raw(robot.limits_rad[0, 1], cal["shoulder_pan"], 4095, True)
    assert settled_goal_register(sim, "shoulder_pan", expected) == expected
    # The limit is the SO-101's nominal 110 deg, narrowed at most to the calibrated range's last tick.
    assert 1.91986 - 2 * math.pi / 4095 <= robot.limits_rad[0, 1] <= 1.91986


def test_max_relative_target_caps_each_step(sim):
    robot = make_robot(sim, max_relative_target_rad=0.05)
    present = robot.connect().positions_rad
    sent = robot.send_goal(present + np.array([1.0, -1.0, 0.01, 0, 0, 0]))
    np.testing.assert_allclose(sent - present, [0.05, -0.05, 0.01, 0, 0, 0], atol=1e-12)


def test_non_finite_goals_are_refused_and_nothing_is_written(sim):
    robot = make_robot(sim)
    robot.connect()
    before = goal_register(sim, "elbow_flex")
    with pytest.raises(UnsafeCommandError, match="elbow_flex"):
        robot.send_goal(np.array([0, 0, math.nan, 0, 0, 0]))
    with pytest.raises(UnsafeCommandError, match="not finite"):
        robot.send_goal(np.array([0, 0, 0, math.inf, 0, 0]))
    assert goal_register(sim, "elbow_flex") == before


def test_a_limp_arm_refuses_trajectories(sim):
    driver = Driver(make_robot(sim, torque_enabled=False))
    driver.start(0.0)
    names = tuple(SO101.joint_names)
    with pytest.raises(TrajectoryRejected, match="torque off"):
        driver.set_trajectory(JointTrajectory(names, (TrajectoryPoint([0.3] * 6, time_from_start_s=0.5),)), 0.0)
    assert all(s.read_register("Torque_Enable") == 0 for s in sim.servos)
    assert driver.step(0.1).command_rad is None


def test_stale_command_holds_the_present_pose(sim):
    driver = Driver(make_robot(sim), DriverConfig(command_timeout_s=0.2))
    driver.start(0.0)
    names = tuple(SO101.joint_names)
    driver.set_trajectory(JointTrajectory(names, (TrajectoryPoint([0.3, 0, 0, 0, 0, 0], time_from_start_s=0.1),)), 0.0)
    driver.step(0.05)
    assert driver.follower.trajectory_end_s == pytest.approx(0.1)
    driver.step(0.25)
    assert driver.status.stale_holds == 0
    tick = driver.step(0.35)  # ended at 0.1 s, timeout 0.2 s: stale
    assert driver.status.stale_holds == 1
    np.testing.assert_allclose(tick.command_rad, tick.reading.positions_rad)
    assert driver.follower.trajectory_end_s is None


def test_unplug_faults_then_resumes_holding_without_a_jump(sim):
    driver = Driver(make_robot(sim), DriverConfig(fault_after_failures=2, reconnect_period_s=0.0))
    driver.start(0.0)
    names = tuple(SO101.joint_names)
    far = JointTrajectory(names, (TrajectoryPoint([1.0, 0.8, 0.5, 0, 0, 0], time_from_start_s=5.0),))
    driver.set_trajectory(far, 0.0)
    driver.step(0.5)
    sim.unplug()
    assert driver.step(0.6).reading is None
    assert driver.step(0.7).reading is None
    assert driver.status.faulted
    assert driver.step(0.8).reading is None  # reconnect attempt fails: the device is gone
    sim.servo(1).set_actual_position(sim.servo(1).actual_position + 100)  # someone moved the arm meanwhile
    sim.replug()
    tick = driver.step(0.9)
    assert tick.reading is not None and not driver.status.faulted
    # It holds where the arm is now, not where the dropped trajectory was heading.
    np.testing.assert_allclose(tick.command_rad, tick.reading.positions_rad, atol=1e-9)
    later = driver.step(3.0)
    np.testing.assert_allclose(later.command_rad, tick.reading.positions_rad, atol=2e-3)
    assert driver.status.read_failures >= 3


def test_write_now_sends_the_new_command_between_steps_without_reading(sim):
    """A command arriving between two steps is written at once (robot_node's write on arrival)."""
    driver = Driver(make_robot(sim))
    driver.start(0.0)
    driver.step(0.01)
    pan = goal_register(sim, "shoulder_pan")
    names = tuple(SO101.joint_names)
    driver.set_trajectory(JointTrajectory(names, (TrajectoryPoint([0.2, 0, 0, 0, 0, 0], time_from_start_s=0.02),)),
                          0.012)
    driver.write_now(0.022)  # half way along the new trajectory, before the next step
    cal = default_sim_calibration("so101_follower")["shoulder_pan"]
    halfway = radians_to_raw(0.1, cal, 4095, True)
    assert settled_goal_register(sim, "shoulder_pan", halfway) == halfway != pan
    assert driver.status.write_failures == 0


def test_write_now_writes_nothing_after_a_failed_read(sim):
    driver = Driver(make_robot(sim), DriverConfig(fault_after_failures=2))
    driver.start(0.0)
    driver.step(0.01)
    names = tuple(SO101.joint_names)
    driver.set_trajectory(JointTrajectory(names, (TrajectoryPoint([0.2, 0, 0, 0, 0, 0], time_from_start_s=0.02),)),
                          0.012)
    sim.servo(3).faults.no_reply = True
    assert driver.step(0.02).reading is None  # the last step did not read the arm: no fresh present position
    goals = settled_goals(sim)
    driver.write_now(0.025)
    assert settled_goals(sim) == goals
