"""policy_node on a LeKiwi, over real DDS in this process (issue 12): the contract's observation.state
is the arm's joints (joint_states, degrees) followed by the base's velocity from odom (LeRobot's x.vel,
y.vel in m/s, theta.vel in deg/s); the policy's 9-wide actions are split back into the arm's
JointTrajectory (radians) and a Twist on cmd_vel (REP-103: rad/s). When odom stops, the input named
``observation.state/base`` goes stale, the arm holds and the base is told to stand (a zero cmd_vel).
The policy is a scripted double, so the values it gets and gives are known.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import rclpy
import yaml
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.nodes.policy_node import PolicyNode
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.package_files import config_path
from lerobot_ros.recording.config import load_recording_config
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.units import JointUnits
from ros_processes import wait_for

pytestmark = [pytest.mark.ros]

LEKIWI = robot_type("lekiwi")
ARM = list(LEKIWI.joint_names)
STATE_RAD = np.array([0.3, -0.5, 0.7, -0.2, 1.1, 0.25])
ODOM = (0.1, -0.05, 0.5)  # m/s, m/s, rad/s (REP-103, what robot_node publishes)
ACTION_ARM_DEG = [10.0, -20.0, 30.0, 15.0, -5.0, 70.0]  # degrees, the gripper 0..100
ACTION_BASE = [0.15, 0.05, 45.0]  # LeRobot's x.vel, y.vel (m/s), theta.vel (deg/s)


class LeKiwiPolicy:
    """A LeRobot-style LeKiwi policy double: 9-wide state in, 9-wide actions out, no camera."""

    chunk_fps = 10.0
    image_features: list[str] = []
    image_shapes: dict = {}

    def __init__(self):
        self.states: list[np.ndarray] = []

    def generate(self, messages, observation):
        return "drive"

    def action_chunk(self, messages, observation):
        self.states.append(np.array(observation.state))
        return np.tile(ACTION_ARM_DEG + ACTION_BASE, (10, 1))


@pytest.fixture
def contract_file(tmp_path):
    raw = yaml.safe_load(config_path("recording/lekiwi.yaml").read_text())
    raw["features"] = [f for f in raw["features"] if not f["key"].startswith("observation.images.")]
    raw["features"][0]["max_age_s"] = 0.5
    raw["features"][0]["base"]["max_age_s"] = 0.3
    return FeatureContract.for_arm(load_recording_config(raw), simulated=True).save(tmp_path)


class World:
    """The LeKiwi's joint_states and odom (odom can be switched off), and what policy_node sends."""

    def __init__(self):
        self.node = rclpy.create_node("policy_lekiwi_world")
        self.trajectories: list[tuple[float, JointTrajectory]] = []
        self.twists: list[tuple[float, Twist]] = []
        self.diagnostics: list[DiagnosticStatus] = []
        self.odom_on = threading.Event()
        self.odom_on.set()
        states = self.node.create_publisher(JointState, "joint_states", 10)
        odom = self.node.create_publisher(Odometry, "odom", 10)
        self.task = self.node.create_publisher(String, "task", 10)

        def publish():
            states.publish(JointState(name=ARM, position=STATE_RAD.tolist()))
            if self.odom_on.is_set():
                msg = Odometry()
                msg.twist.twist.linear.x, msg.twist.twist.linear.y, msg.twist.twist.angular.z = ODOM
                odom.publish(msg)

        self.node.create_timer(0.02, publish)
        self.node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory",
                                      lambda m: self.trajectories.append((time.monotonic(), m)), 10)
        self.node.create_subscription(Twist, "cmd_vel", lambda m: self.twists.append((time.monotonic(), m)), 50)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: self.diagnostics.extend(
            s for s in m.status if s.name.startswith("policy_node")), 10)

    def moving_since(self, t: float) -> list[JointTrajectory]:
        return [m for stamp, m in list(self.trajectories) if stamp > t and m.points]

    def twists_since(self, t: float) -> list[Twist]:
        return [m for stamp, m in list(self.twists) if stamp > t]


def test_lekiwi_state_takes_odom_and_actions_split_into_trajectory_and_cmd_vel(ros, contract_file):
    policy = LeKiwiPolicy()
    node = PolicyNode(policy, parameter_overrides=[
        Parameter("contract_file", value=str(contract_file)), Parameter("port", value="sim"),
        Parameter("heartbeat_timeout_s", value=0.0), Parameter("diagnostics_rate_hz", value=5.0),
        Parameter("refill_s", value=0.3)])
    world = World()
    spinning = spin_in_thread(node, world.node)
    node.start()
    try:
        assert node.topics["observation.state/base"] == "/odom"
        assert wait_for(lambda: world.task.get_subscription_count() > 0, 10)
        world.task.publish(String(data="drive to the table"))
        assert wait_for(lambda: world.moving_since(0.0) and world.twists, 20), world.diagnostics[-1:]

        # The policy saw LeRobot's LeKiwi state: the arm in degrees, then odom's twist in m/s and deg/s.
        units = JointUnits(LEKIWI, ARM, "degrees", default_sim_calibration("lekiwi"))
        np.testing.assert_allclose(policy.states[0][:6], units.from_radians(STATE_RAD), atol=1e-3)
        np.testing.assert_allclose(policy.states[0][6:], [ODOM[0], ODOM[1], math.degrees(ODOM[2])], rtol=1e-6)

        # Its actions: the arm's joints in radians on the trajectory, the base's velocity on cmd_vel in rad/s
        # (neither the joint limits nor the per-step cap touch the base's columns).
        msg = world.moving_since(0.0)[-1]
        assert list(msg.joint_names) == ARM
        np.testing.assert_allclose(msg.points[-1].positions, units.to_radians(np.array(ACTION_ARM_DEG)), atol=1e-6)
        twist = world.twists[-1][1]
        assert (twist.linear.x, twist.linear.y, twist.angular.z) == pytest.approx(
            (ACTION_BASE[0], ACTION_BASE[1], math.radians(ACTION_BASE[2])), abs=1e-9)

        # odom stops: the base part is the stale input, named with its topic; the arm holds, the base stands.
        world.odom_on.clear()
        off = time.monotonic()
        assert wait_for(lambda: any(s.level != DiagnosticStatus.OK and "observation.state/base from /odom" in s.message
                                    for s in world.diagnostics), 5), world.diagnostics[-1:]
        assert wait_for(lambda: any(t.linear.x == t.linear.y == t.angular.z == 0.0 for t in world.twists_since(off)), 5)
        stood = time.monotonic()
        time.sleep(0.5)
        assert not world.moving_since(stood) and not world.twists_since(stood), "commands kept coming without odom"

        world.odom_on.set()  # odom back: the policy drives again
        back = time.monotonic()
        assert wait_for(lambda: world.moving_since(back) and any(t.linear.x > 0 for t in world.twists_since(back)), 10)
    finally:
        node.loop.stop()
        node.runtime.close()
        assert spinning.stop()
        node.destroy_node()
        world.node.destroy_node()
