"""leader_type lerobot:<type> without ROS: LeRobot's own SO101Leader driver reads our simulated leader
bus (a pseudo-terminal) and gives the follower the pose our native leader map gives, in radians through
the follower's calibration; an unplugged leader is a bus fault the Driver recovers from; bad types,
fields, devices and a missing lerobot give errors that say what to change.
(teleop_node with it over DDS: tests/teleop/test_teleop_node_lerobot.py.)"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import replace

import numpy as np
import pytest

from lerobot_ros.motors.errors import BusError
from lerobot_ros.motors.normalization import raw_to_radians
from lerobot_ros.motors.tables import motor_model
from lerobot_ros.node_params.teleop_node import PARAMS
from lerobot_ros.robots.driver import Driver, DriverConfig
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.teleop.leader import LeaderFollowerMap, TeleopPairError
from lerobot_ros.teleop.lerobot_teleop import LeRobotFollowerMap, LeRobotLeaderSetup

TICK_RAD = 2 * math.pi / 4095
LEADER, FOLLOWER = robot_type("so101_leader"), robot_type("so101_follower")


def parameters(**values) -> dict:
    return {**{p.name: p.default for p in PARAMS}, "leader_type": "lerobot:so101_leader", **values}


def needs_lerobot():
    if sys.version_info < (3, 12):
        pytest.skip("LeRobot 0.6 needs Python >= 3.12; this venv is " + sys.version.split()[0])


def shifted_follower_calibration() -> dict:
    """The simulator's follower calibration with every range shifted 150 ticks: the same LeRobot number
    lands on other ticks than the leader's, so equal poses prove the conversion through it."""
    return {name: cal if (cal.range_min, cal.range_max) == (0, 4095) else
            replace(cal, homing_offset=cal.homing_offset + 150, range_min=cal.range_min - 150,
                    range_max=cal.range_max - 150 + 80)
            for name, cal in default_sim_calibration("so101_follower").items()}


@pytest.fixture
def leader_setup():
    needs_lerobot()
    setup = LeRobotLeaderSetup.from_parameters(parameters(leader_port="sim"))
    yield setup
    setup.robot.disconnect()
    setup.close()


def test_lerobots_leader_gives_the_follower_pose_our_leader_map_gives(leader_setup):
    leader, sim = leader_setup.robot, leader_setup.sim
    follower_calibration = shifted_follower_calibration()
    lerobot_map = LeRobotFollowerMap(leader, FOLLOWER, follower_calibration, "left_")
    native_map = LeaderFollowerMap(LEADER, default_sim_calibration("so101_leader"), FOLLOWER, follower_calibration)
    assert lerobot_map.leader_names == LEADER.joint_names
    assert lerobot_map.follower_names == ["left_" + n for n in FOLLOWER.joint_names]
    np.testing.assert_allclose(lerobot_map.follower_limits_rad, native_map.follower_limits_rad)
    assert leader.connect().raw["gripper"] == pytest.approx(50.0, abs=0.1)  # the sim starts mid-range: 0..100
    rng = random.Random(3)
    for _ in range(5):
        for motor in LEADER.joints:  # a hand moving the torque-free arm
            servo = sim.servo(motor.id)
            servo.set_actual_position(servo.actual_position + rng.randint(-300, 300))
        reading = leader.read()
        ticks = {m.name: sim.servo(m.id).read_register("Present_Position") for m in LEADER.joints}
        # The follower pose: what our map computes from the same ticks, within LeRobot's integer goal.
        np.testing.assert_allclose(lerobot_map.follower_positions_rad(reading.raw),
                                   native_map.follower_positions_rad(ticks), atol=TICK_RAD)
        # leader/joint_states: the leader's own radians, as our driver publishes them from the ticks.
        calibration = default_sim_calibration("so101_leader")
        ours = [raw_to_radians(ticks[m.name], calibration[m.name], motor_model(m.model).max_position, True)
                for m in LEADER.joints]
        np.testing.assert_allclose(reading.positions_rad, ours, atol=1e-6)
        assert abs(reading.raw["shoulder_pan"]) > 0.0 and 0.0 <= reading.raw["gripper"] <= 100.0


@pytest.mark.parametrize("leader_type, follower_type", [
    ("koch_leader", "koch_follower"), ("omx_leader", "omx_follower"), ("so100_leader", "lekiwi")])
def test_lerobots_other_leader_arms_match_our_leader_map(leader_type, follower_type):
    """Dynamixel leaders (Koch, OMX: -100..100, drive modes in the servo, the gripper held as a trigger
    by LeRobot's own configure()) and an SO leader on LeKiwi's arm_* joints."""
    needs_lerobot()
    setup = LeRobotLeaderSetup.from_parameters(parameters(leader_type="lerobot:" + leader_type, leader_port="sim"))
    try:
        leader, sim, rtype = setup.robot, setup.sim, robot_type(leader_type)
        follower, calibration = robot_type(follower_type), default_sim_calibration(follower_type)
        lerobot_map = LeRobotFollowerMap(leader, follower, calibration)
        native_map = LeaderFollowerMap(rtype, default_sim_calibration(leader_type), follower, calibration)
        assert lerobot_map.follower_names == native_map.follower_names
        leader.connect()
        rng = random.Random(5)
        for _ in range(5):
            for motor in rtype.joints:
                if motor.name == "gripper" and rtype.vendor == "dynamixel":
                    continue  # a trigger: LeRobot holds it under torque
                servo = sim.servo(motor.id)
                servo.set_actual_position(servo.actual_position + rng.randint(-200, 200))
            reading = leader.read()
            ticks = {m.name: sim.servo(m.id).read_register("Present_Position") for m in rtype.joints}
            np.testing.assert_allclose(lerobot_map.follower_positions_rad(reading.raw),
                                       native_map.follower_positions_rad(ticks), atol=1.01 * TICK_RAD)  # ours rounds to a tick
    finally:
        setup.robot.disconnect()
        setup.close()


def test_an_unplugged_leader_is_a_fault_the_driver_recovers_from(leader_setup):
    leader, sim = leader_setup.robot, leader_setup.sim
    driver = Driver(leader, DriverConfig(reconnect_period_s=0.1))
    driver.start(0.0)
    assert driver.step(0.01).reading is not None
    sim.unplug()
    now = 0.02
    for _ in range(3):
        assert driver.step(now).reading is None  # LeRobot's error became a BusError the Driver counts
        now += 0.01
    assert driver.status.faulted and "so_leader" in driver.status.last_error
    with pytest.raises(BusError, match="LeRobot's so_leader"):
        leader.reconnect()  # the port is gone: a bus error too, not LeRobot's RuntimeError
    sim.replug()
    shoulder = sim.servo(LEADER.motor("shoulder_pan").id)
    shoulder.set_actual_position(shoulder.actual_position + 400)  # moved while unplugged
    tick, deadline = None, time.monotonic() + 5.0
    while (tick is None or tick.reading is None) and time.monotonic() < deadline:
        now += 0.1  # a reconnect attempt at every step
        tick = driver.step(now)
        time.sleep(0.05)
    assert tick.reading is not None and not driver.status.faulted, driver.status.last_error
    assert tick.reading.positions_rad[0] == pytest.approx(400 * TICK_RAD, abs=2 * TICK_RAD)
    driver.shutdown(torque_off=True)
    assert not leader.lerobot.is_connected


def test_unknown_types_fields_and_devices_are_named():
    needs_lerobot()
    with pytest.raises(ValueError, match="LeRobot has no teleoperator type 'so999_leader'.*so101_leader"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_type="lerobot:so999_leader", leader_port="/dev/null"))
    with pytest.raises(ValueError, match="so101_leader config has no field colour"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_port="/dev/null", lerobot_config="{colour: red}"))
    with pytest.raises(ValueError, match="so101_leader config needs port: set leader_port"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_port=""))
    with pytest.raises(ValueError, match="no simulator of LeRobot's gamepad"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_type="lerobot:gamepad", leader_port="sim"))
    # The gamepad gives end-effector deltas, not joint positions: refused, with its keys.
    with pytest.raises(ValueError, match="gamepad gives actions dtype, shape, names, not <motor>.pos"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_type="lerobot:gamepad", leader_port=""))


def test_a_follower_of_another_arm_is_refused(leader_setup):
    with pytest.raises(TeleopPairError, match="hope_jr_arm has no joint for LeRobot's so_leader motor shoulder_pan"):
        LeRobotFollowerMap(leader_setup.robot, robot_type("hope_jr_arm"), default_sim_calibration("hope_jr_arm"))


def test_without_lerobot_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lerobot", None)
    monkeypatch.setitem(sys.modules, "lerobot.teleoperators", None)
    with pytest.raises(ImportError, match=r"pip install 'lerobot_ros\[lerobot\]'"):
        LeRobotLeaderSetup.from_parameters(parameters(leader_port="/dev/null"))
