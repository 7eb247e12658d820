"""A ``sim://...?world=`` port: the real Feetech SDK and calibration path drive the MuJoCo arm.

Goals go out as bytes through scservo_sdk to the simulated servos, which hand them to the physics;
what the SDK reads back is the physics' joint angle; torque off makes the joint limp in the physics;
a gain register written over the bus changes the actuator.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from lerobot_ros.sim.physics.coupling import running_world
from lerobot_ros.sim.physics.camera import MujocoCamera
from lerobot_ros.robots.setup import RobotSetup, RobotSetupError
from lerobot_ros.sim.worlds import attach_physics_world

PARAMS = dict(robot_type="so101_follower", port="sim://so101_follower?world=pick_place", calibration_file="",
              calibration_id="", calibration_dir="", torque="", max_relative_target=0.0, baudrate=1_000_000)


@pytest.fixture
def setup():
    s = RobotSetup.from_parameters(PARAMS, attach_world=attach_physics_world)
    s.robot.connect()
    yield s
    s.close()


def drive(robot, goal: np.ndarray, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        robot.send_goal(goal)
        time.sleep(0.01)


def test_goals_through_the_sdk_move_the_physics_and_readings_are_its_angles(setup):
    robot, world = setup.robot, running_world("pick_place")
    goal = np.array([0.3, -0.5, 0.5, 0.8, 0.2, 0.5])
    drive(robot, goal, 1.5)
    physics = world.joint_state()[0]
    reading = robot.read().positions_rad
    tick = 2 * np.pi / 4096
    assert reading == pytest.approx(physics, abs=3 * tick)  # a tick of quantization, and the physics moved on
    assert physics == pytest.approx(goal, abs=0.06)  # position servos sag a little under gravity
    assert world.stats().real_time_factor > 0.5


def test_torque_off_lets_the_arm_fall(setup):
    robot, world = setup.robot, running_world("pick_place")
    drive(robot, np.array([0.0, -0.3, 0.3, 0.0, 0.0, 0.3]), 1.0)
    held = world.joint_state()[0][1]
    robot.disconnect(torque_off=True)
    time.sleep(1.0)
    assert abs(world.joint_state()[0][1] - held) > 0.3


def test_a_gain_written_over_the_bus_changes_the_actuator(setup):
    robot, world = setup.robot, running_world("pick_place")
    act = world.model.actuator("elbow_flex").id
    assert world.model.actuator_gainprm[act, 0] == pytest.approx(16.0)  # robot_node's configure wrote P=16
    robot.bus.write("Lock", "elbow_flex", 0)  # P_Coefficient is EEPROM: written only while unlocked
    robot.bus.write("P_Coefficient", "elbow_flex", 8)
    robot.read()  # any packet brings the servo (and its drive) up to date
    assert world.model.actuator_gainprm[act, 0] == pytest.approx(8.0)


def test_the_cameras_render_the_world(setup):
    world = running_world("pick_place")
    world.reset_objects(1)
    front = MujocoCamera(world, "front", 160, 120).render()
    assert front.shape == (120, 160, 3)
    red = (front[..., 0] > 150) & (front[..., 1] < 60) & (front[..., 2] < 60)
    assert red.sum() > 5  # the cube is in view
    wrist = MujocoCamera(world, "wrist", 160, 120).render()  # on the gripper (the description's mount)
    assert wrist.shape == (120, 160, 3) and wrist.std() > 10  # a scene, not a blank frame
    assert not np.array_equal(wrist, front)
    with pytest.raises(ValueError, match="no camera 'top'"):
        MujocoCamera(world, "top")


def test_an_unknown_world_is_named():
    with pytest.raises(RobotSetupError, match="unknown physics world 'kitchen'.*pick_place"):
        RobotSetup.from_parameters({**PARAMS, "port": "sim://so101_follower?world=kitchen"},
                                   attach_world=attach_physics_world)
    with pytest.raises(RobotSetupError, match="physics world models so100_follower, so101_follower.*'koch_follower'"):
        koch = {**PARAMS, "robot_type": "koch_follower", "port": "sim://koch_follower?world=pick_place"}
        RobotSetup.from_parameters(koch, attach_world=attach_physics_world)
    with pytest.raises(RuntimeError, match="no physics world 'nowhere' runs in this process"):
        running_world("nowhere")
