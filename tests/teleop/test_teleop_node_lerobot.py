"""teleop_node with leader_type:=lerobot:so101_leader: LeRobot's own SO101Leader driver, in teleop_node's
process, reads a simulated leader bus this test owns (a pseudo-terminal) and drives a simulated follower's
robot_node over DDS, each node in its own process.

The leader's calibration differs from the follower's (every range shifted), so the follower reaching the
pose our own leader map computes from the same ticks proves the conversion: LeRobot's units (degrees,
gripper 0..100) through the follower's calibration into its radians. Then the leader is unplugged (the
follower holds, /diagnostics says so), plugged back (tracking again) and teleop_node stops cleanly.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import replace

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticStatus
from sensor_msgs.msg import JointState

from lerobot_ros.motors.calibration import save_calibration, write_calibration
from lerobot_ros.robots.ports import robot_bus, simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.teleop.leader import LeaderFollowerMap
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for, write_params

pytestmark = [pytest.mark.slow, pytest.mark.ros]

TICK_RAD = 2 * math.pi / 4095
# The follower's joint_states against the pose the leader asks for, once both are still: the servo
# simulator settles on its goal and LeRobot's integer Goal_Position rounding is one tick.
POSE_TOLERANCE_RAD = 0.01
RATE_HZ, MIN_RATE_FRACTION = 100.0, 0.9  # teleop_node's default rate_hz; tests/nodes checks robot_node at 0.95
SETTLED_GOAL_TICKS = 2  # the follower's Goal_Position against the one our leader map computes
LEADER, FOLLOWER = robot_type("so101_leader"), robot_type("so101_follower")
NAMESPACE = "/lerobot_pair"


@pytest.fixture(scope="module")
def ros():
    if sys.version_info < (3, 12):
        pytest.skip("lerobot: leader types need LeRobot 0.6, which needs Python >= 3.12 (ROS 2 Jazzy); this venv is "
                    + sys.version.split()[0])
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # this process serves both simulated buses
    rclpy.init()
    yield
    rclpy.shutdown()
    sys.setswitchinterval(interval)


def shifted_leader_calibration() -> dict:
    """The simulator's leader calibration, every reading shifted 120 ticks and the ranges wider."""
    return {name: cal if (cal.range_min, cal.range_max) == (0, 4095) else
            replace(cal, homing_offset=cal.homing_offset + 120, range_min=max(0, cal.range_min - 180),
                    range_max=cal.range_max - 60)
            for name, cal in default_sim_calibration("so101_leader").items()}


class Listener(RobotClient):
    """The follower's joint_states and /diagnostics (RobotClient), and teleop_node's leader/joint_states."""

    def __init__(self):
        super().__init__("lerobot_listener", namespace=NAMESPACE)
        self.leader_states: list[JointState] = []
        self.node.create_subscription(JointState, "leader/joint_states", self._on_leader, 10)

    def _on_leader(self, msg: JointState) -> None:
        with self.lock:
            self.leader_states.append(msg)

    def teleop_levels(self) -> list[tuple[int, str]]:
        with self.lock:
            return [(s.level, s.message) for a in self.diagnostics for s in a.status
                    if s.name.startswith("teleop_lerobot:")]


def start(module: str, name: str, params: dict, tmp_path, env: dict[str, str] | None = None) -> NodeProcess:
    params_file = write_params(tmp_path / f"{name}.params.yaml", f"{NAMESPACE}/{name}", params)
    return NodeProcess(module, name, params_file, tmp_path, extra_args=["-r", f"__ns:={NAMESPACE}"], env=env)


def test_lerobots_leader_drives_the_follower_through_teleop_node(ros, tmp_path):
    leader_calibration = shifted_leader_calibration()
    follower_calibration = default_sim_calibration("so101_follower")
    leader_map = LeaderFollowerMap(LEADER, leader_calibration, FOLLOWER, follower_calibration)
    leader_file = save_calibration(tmp_path / "leader.json", leader_calibration)
    follower_file = save_calibration(tmp_path / "follower.json", follower_calibration)
    with simulated_bus("so101_leader") as leader_sim, simulated_bus("so101_follower") as follower_sim:
        # LeRobot reads the calibration from the file and expects it in the servos already (as a leader
        # calibrated by lerobot-calibrate has it): write it, as lerobot-calibrate would.
        bus = robot_bus(leader_sim.port, LEADER)
        bus.connect()
        with bus.torque_disabled():
            write_calibration(bus, leader_calibration)
        bus.disconnect(disable_torque=True)
        rest = {m.name: leader_sim.servo(m.id).actual_position for m in LEADER.joints}

        def move_leader(ticks: dict[str, int]) -> None:
            for name, delta in ticks.items():
                leader_sim.servo(LEADER.motor(name).id).set_actual_position(rest[name] + delta)

        def leader_raw() -> dict[str, int]:
            return {m.name: leader_sim.servo(m.id).read_register("Present_Position") for m in LEADER.joints}

        def follower_goal() -> np.ndarray:
            return np.array([follower_sim.servo(m.id).read_register("Goal_Position") for m in FOLLOWER.joints])

        def goal_error() -> np.ndarray:
            """The follower's Goal_Position minus the one our leader map computes for the leader's ticks."""
            expected = leader_map.follower_raw(leader_raw())
            return follower_goal() - [expected[m.name] for m in FOLLOWER.joints]

        def settled() -> bool:
            return np.abs(goal_error()).max() <= SETTLED_GOAL_TICKS

        def follower_at_leader_pose() -> bool:
            positions = listener.positions()
            expected = leader_map.follower_positions_rad(leader_raw())
            return all(abs(positions[n] - v) <= POSE_TOLERANCE_RAD for n, v in zip(leader_map.follower_names, expected))

        follower = start("lerobot_ros.nodes.robot_node", "robot_so101", {
            "robot_type": "so101_follower", "port": follower_sim.port, "calibration_file": str(follower_file)},
            tmp_path)
        listener = Listener()
        teleop = None

        def logs() -> str:
            return f"robot_node:\n{follower.log()}\nteleop_node:\n{teleop.log() if teleop else ''}"

        try:
            listener.wait_for_state(timeout=30.0)
            move_leader({"shoulder_pan": 300, "elbow_flex": -200, "wrist_flex": 150, "gripper": 200})
            teleop = start("lerobot_ros.nodes.teleop_node", "teleop_lerobot", {
                "leader_type": "lerobot:so101_leader", "leader_port": leader_sim.port,
                "leader_calibration_file": str(leader_file), "follower_type": "so101_follower",
                "follower_calibration_file": str(follower_file), "ramp_time_s": 1.0, "rate_hz": RATE_HZ,
                "diagnostics_rate_hz": 10.0},
                tmp_path)
            assert wait_for(settled, 40.0), (goal_error(), logs())
            assert wait_for(follower_at_leader_pose, 5.0), (listener.positions(), logs())
            assert "LeRobot's so101_leader on " + leader_sim.port in teleop.log()
            with listener.lock:
                leader_state = listener.leader_states[-1]
            assert list(leader_state.name) == LEADER.joint_names  # the leader's own radians, leader names
            # At the node's rate: LeRobot's get_action() (about 2 ms on this bus) keeps up with rate_hz.
            with listener.lock:
                counted = len(listener.leader_states)
            time.sleep(2.0)
            with listener.lock:
                rate = (len(listener.leader_states) - counted) / 2.0
            print(f"\nleader/joint_states from LeRobot's SO101Leader: {rate:.1f} Hz (rate_hz {RATE_HZ})")
            assert rate >= MIN_RATE_FRACTION * RATE_HZ, f"leader/joint_states at {rate:.1f} Hz; {logs()}"

            # (Poses inside the follower's joint limits: teleop_node clamps to them, the gripper's closed end
            # at -10 degrees among them.)
            for pose in ({"shoulder_pan": -250, "shoulder_lift": 200, "wrist_roll": 400, "gripper": 60},
                         {"elbow_flex": 300, "wrist_flex": -300}):
                move_leader(pose)
                assert wait_for(settled, 5.0), (goal_error(), logs())
                assert wait_for(follower_at_leader_pose, 5.0), logs()

            # Unplugged: the follower holds and /diagnostics says the leader is at fault ...
            leader_sim.unplug()
            assert wait_for(lambda: any(level == DiagnosticStatus.ERROR and "so101_leader" in message
                                        for level, message in listener.teleop_levels()), 5.0), logs()
            time.sleep(0.3)
            held = follower_goal()
            time.sleep(0.5)
            assert np.array_equal(follower_goal(), held), "the follower moved while the leader was unplugged"
            # ... plugged back, LeRobot's driver reconnects and the follower goes where the leader now is.
            move_leader({"shoulder_pan": 100})
            leader_sim.replug()
            assert wait_for(settled, 15.0), (goal_error(), logs())
            assert wait_for(follower_at_leader_pose, 5.0), logs()
        finally:
            listener.close()
            codes = [teleop.stop() if teleop else 0, follower.stop()]
        assert codes == [0, 0], logs()
        assert "stopped" in teleop.log()


def _exit_and_log(tmp_path, leader_type: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    node = start("lerobot_ros.nodes.teleop_node", "teleop_bad", {
        "leader_type": leader_type, "leader_port": "/dev/null", "follower_type": "so101_follower",
        "follower_port": "sim"}, tmp_path, env)
    assert wait_for(lambda: not node.alive(), 60.0), node.log()
    return node.stop(), node.log()


def test_an_unknown_lerobot_teleoperator_type_ends_teleop_node_with_its_name(tmp_path):
    if sys.version_info < (3, 12):
        pytest.skip("lerobot: leader types need LeRobot 0.6, which needs Python >= 3.12 (ROS 2 Jazzy); this venv is "
                    + sys.version.split()[0])
    code, log = _exit_and_log(tmp_path, "lerobot:so999_leader")
    assert code == 1 and "LeRobot has no teleoperator type 'so999_leader'" in log and "so101_leader" in log, log


def _without_lerobot(tmp_path) -> dict[str, str]:
    """The node's environment as in a venv without the lerobot extra. Uninstalling lerobot from the
    shared test venv is not possible for one test, so a package on PYTHONPATH (ahead of site-packages)
    shadows it and raises what the interpreter raises for a missing package."""
    shadow = tmp_path / "without_lerobot" / "lerobot"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ModuleNotFoundError("No module named \'lerobot\'", name="lerobot")\n')
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))}


def test_without_lerobot_teleop_node_names_the_extra(tmp_path):
    code, log = _exit_and_log(tmp_path, "lerobot:so101_leader", _without_lerobot(tmp_path))
    assert code == 1 and "pip install 'lerobot_ros[lerobot]'" in log, log
