"""A LeKiwi recorded over real DDS with the shipped config (issue 12): robot_node (the protocol-level
simulated LeKiwi: arm and wheels) in a process of its own, `lerobot-ros record` in another, and this
process driving it as a teleop would: the arm's commands, and cmd_vel for the first 2 s of the take
only. observation.state and action come out 9 wide, named and ordered as LeRobot 0.6.1's own LeKiwi
class names them, in its units: the arm in degrees, the base in m/s and deg/s (what the simulated
wheels really did, for the state; the commanded velocity, then zero once cmd_vel fell silent, for
the action).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
import yaml
from geometry_msgs.msg import Twist
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
from ros_processes import NodeProcess

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.package_files import config_path
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.units import JointUnits
from lerobot_ros_interfaces.msg import RecorderStatus

pytestmark = [pytest.mark.slow, pytest.mark.ros]

LEKIWI = robot_type("lekiwi")
ARM = list(LEKIWI.joint_names)
POSE_RAD = [0.3, -0.4, 0.5, -0.2, 0.6, 0.4]
DRIVE = (0.1, -0.05, 0.5)  # cmd_vel: m/s, m/s, rad/s (REP-103)
DRIVE_S = 2.0  # cmd_vel is published this long after the take starts, then not at all
EPISODE_S = 5
FPS = 30
ORACLE_SCRIPT = Path(__file__).parents[1] / "recording" / "oracle" / "lekiwi_features.py"


def lerobot_lekiwi_names(oracle_python: Path, out: Path) -> list[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    run = subprocess.run([str(oracle_python), str(ORACLE_SCRIPT), str(out)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(out.read_text())["action"]


class Teleop:
    """The arm's commands at 30 Hz throughout; cmd_vel at 20 Hz for DRIVE_S once the take has started."""

    def __init__(self):
        self.node = rclpy.create_node("lekiwi_teleop")
        self.recording_since: float | None = None
        self.driving_until: float | None = None
        trajectory = self.node.create_publisher(JointTrajectory, "arm_controller/joint_trajectory", 10)
        cmd_vel = self.node.create_publisher(Twist, "cmd_vel", 10)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.node.create_subscription(RecorderStatus, "recorder_node/status", self._on_status, latched)
        self.lock = threading.Lock()

        def command_arm():
            point = JointTrajectoryPoint(positions=POSE_RAD)
            point.time_from_start.nanosec = 100_000_000
            trajectory.publish(JointTrajectory(joint_names=ARM, points=[point]))

        def drive():
            with self.lock:
                since = self.recording_since
            now = time.monotonic()
            if since is not None and now - since < DRIVE_S:
                twist = Twist()
                twist.linear.x, twist.linear.y, twist.angular.z = DRIVE
                cmd_vel.publish(twist)
                self.driving_until = now

        self.node.create_timer(1 / 30, command_arm)
        self.node.create_timer(0.05, drive)

    def _on_status(self, status: RecorderStatus) -> None:
        with self.lock:
            if status.state == "recording" and self.recording_since is None:
                self.recording_since = time.monotonic()


def test_a_lekiwi_take_over_dds_is_lerobots_lekiwi_state_and_action(ros, oracle_python, tmp_path):
    raw = yaml.safe_load(config_path("recording/lekiwi.yaml").read_text())
    raw["features"] = [f for f in raw["features"] if not f["key"].startswith("observation.images.")]
    (tmp_path / "rec.yaml").write_text(yaml.safe_dump(raw))
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node", {"robot_type": "lekiwi", "port": "sim"}, tmp_path)
    teleop = Teleop()
    spinning = spin_in_thread(teleop.node)
    record = None
    try:
        record = subprocess.Popen(
            [sys.executable, "-m", "lerobot_ros.cli.main", "record", "--config", str(tmp_path / "rec.yaml"), "--root",
             str(tmp_path / "ds"), "--task", "drive and hold", "--num-episodes", "1", "--episode-time-s",
             str(EPISODE_S), "--reset-time-s", "0", "--no-keyboard", "--port", "sim"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = record.communicate(timeout=120)
        assert record.returncode == 0, output
        assert teleop.recording_since is not None and teleop.driving_until is not None, output
    finally:
        if record is not None and record.poll() is None:
            record.kill()
        assert spinning.stop()
        teleop.node.destroy_node()
        assert robot.stop() == 0, robot.log()

    reader = DatasetReader(tmp_path / "ds")
    lerobot = lerobot_lekiwi_names(oracle_python, tmp_path / "lekiwi.json")
    for key in ("observation.state", "action"):  # LeRobot's LeKiwi names, in its order
        assert reader.info.features[key].names == lerobot
    assert reader.num_episodes == 1 and reader.episodes[0].length >= EPISODE_S * FPS - 15, output
    columns = reader.episode_columns(0)
    state, action = columns["observation.state"], columns["action"]
    drive_lerobot = np.float32([DRIVE[0], DRIVE[1], math.degrees(DRIVE[2])])  # m/s, m/s, deg/s

    # The action: exactly the commanded velocity (deg/s) while cmd_vel came, zero 0.5 s after it stopped.
    drove = np.all(action[:, 6:] == drive_lerobot, axis=1)
    stood = np.all(action[:, 6:] == 0.0, axis=1)
    assert drove.sum() >= (DRIVE_S - 0.3) * FPS and stood.sum() >= (EPISODE_S - DRIVE_S - 1.0) * FPS
    assert np.all(drove | stood)  # nothing else
    last_drive = np.flatnonzero(drove)[-1]
    assert np.all(stood[last_drive + 1:])  # once stopped, it stays stopped
    # The state: what the simulated wheels did (odometry from Present_Velocity), in LeRobot's units.
    steady = state[np.flatnonzero(drove)[15:], 6:]  # half a second after the first command
    tolerance = np.array([0.01, 0.01, 1.5])  # m/s, m/s, deg/s: wheel speeds are whole raw steps
    assert np.all(np.abs(steady.mean(axis=0) - drive_lerobot) <= tolerance), (steady.mean(axis=0), drive_lerobot)
    # Half a second after the action's last drive frame (itself robot_node's 0.5 s watchdog after the
    # last cmd_vel) the wheels stood; a take on a busy machine can end 15 frames early, hence >= 15.
    after = state[last_drive + 15:, 6:]
    assert len(after) >= 15 and np.all(np.abs(after) <= tolerance / 2), after
    # The arm: the commanded pose in degrees (the gripper 0..100), where robot_node brought it.
    units = JointUnits(LEKIWI, ARM, "degrees", default_sim_calibration("lekiwi"))
    np.testing.assert_allclose(state[-30:, :6], np.tile(units.from_radians(np.array(POSE_RAD)), (30, 1)), atol=0.5)
    np.testing.assert_allclose(action[:, :6], np.tile(units.from_radians(np.array(POSE_RAD)), (len(action), 1)),
                               atol=1e-3)
