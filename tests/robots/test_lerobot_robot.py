"""robot_type lerobot:<type> without ROS: LeRobot's SO101Follower on our simulated bus reads and
commands in radians exactly as our own driver does; bad types, fields and a missing lerobot give
errors that say what to change. (robot_node with it: tests/nodes/test_robot_node_types.py.)"""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from lerobot_ros.node_params.robot_node import PARAMS
from lerobot_ros.robots.lerobot_robot import config_values
from lerobot_ros.robots.setup import RobotSetup, RobotSetupError


def parameters(**values) -> dict:
    return {**{p.name: p.default for p in PARAMS}, **values}


def needs_lerobot():
    if sys.version_info < (3, 12):
        pytest.skip("LeRobot 0.6 needs Python >= 3.12; this venv is " + sys.version.split()[0])


def test_config_values_come_from_the_parameters_and_lerobot_config(tmp_path):
    values = config_values("/dev/ttyACM0", "arm", "", "{use_degrees: false, max_relative_target: 5}")
    assert values == {"port": "/dev/ttyACM0", "id": "arm", "use_degrees": False, "max_relative_target": 5}
    values = config_values("/dev/ttyACM0", "", "", "", calibration_file=str(tmp_path / "left.json"))
    assert values["id"] == "left" and values["calibration_dir"] == tmp_path
    with pytest.raises(ValueError, match="lerobot_config must be a YAML mapping"):
        config_values("p", "", "", "[1, 2]")


def test_unknown_types_and_fields_are_named():
    needs_lerobot()
    with pytest.raises(RobotSetupError, match="LeRobot has no robot type 'so999'.*so101_follower"):
        RobotSetup.from_parameters(parameters(robot_type="lerobot:so999", port="/dev/null"))
    with pytest.raises(RobotSetupError, match="so101_follower config has no field colour"):
        RobotSetup.from_parameters(parameters(robot_type="lerobot:so101_follower", port="sim",
                                              lerobot_config="{colour: red}"))


def test_without_lerobot_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lerobot", None)
    monkeypatch.setitem(sys.modules, "lerobot.robots", None)
    with pytest.raises(RobotSetupError, match=r"pip install 'lerobot_ros\[lerobot\]'"):
        RobotSetup.from_parameters(parameters(robot_type="lerobot:so101_follower", port="/dev/null"))


def test_lerobots_driver_reads_and_commands_radians_as_ours_does():
    needs_lerobot()
    theirs = RobotSetup.from_parameters(parameters(robot_type="lerobot:so101_follower", port="sim"))
    try:
        robot = theirs.robot
        first = robot.connect()
        assert robot.joint_names == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll",
                                     "gripper"]
        assert robot.units is not None and np.abs(first.positions_rad).max() < 0.01  # the sim starts at 0 rad
        goal = np.array([0.3, -0.2, 0.25, 0.1, -0.3, 0.5])
        sent = robot.send_goal(goal)
        np.testing.assert_allclose(sent, goal, atol=2 * np.pi / 4096)  # one tick
        servo = theirs.sim.servo(1)
        ours = RobotSetup.from_parameters(parameters(robot_type="so101_follower", port="sim"))
        try:
            # The same radians give the same Goal_Position ticks through our own driver.
            ours_robot = ours.robot
            ours_robot.connect()
            ours_robot.send_goal(goal)
            deadline = time.monotonic() + 2.0  # a sync write has no reply: the simulator applies it in its thread
            while ours.sim.servo(1).read_register("Goal_Position") != servo.read_register("Goal_Position") and \
                    time.monotonic() < deadline:
                time.sleep(0.01)
            assert abs(ours.sim.servo(1).read_register("Goal_Position") - servo.read_register("Goal_Position")) <= 1
            ours_robot.disconnect()
        finally:
            ours.close()
        far = robot.send_goal(np.full(6, 100.0))  # clamped into the calibrated limits
        assert np.all(far <= robot.limits_rad[:, 1] + 1e-3)
        robot.disconnect()
        assert servo.read_register("Torque_Enable") == 0
    finally:
        theirs.close()
