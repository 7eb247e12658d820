"""policy_node fed through a checkpoint's feature contract, over real DDS in this process.

A contract in LeRobot's units (SO-101 in degrees, gripper 0..100) with a compressed mono camera:
the policy (a scripted double, so the values it gets and gives are known) is fed ``observation.state``
in degrees converted from the radians on ``joint_states`` (joints picked by name from a message in
another order with another robot's joint), and the camera's JPEG mono8 images as RGB; its actions in
degrees reach the controller in radians. A camera that stops publishing under the running policy is
named in /diagnostics (WARN, then ERROR), the arm holds, and it resumes when the camera is back. The
camera's topic is moved with a plain ROS remapping.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.nodes.policy_node import PolicyNode
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.recording.config import load_recording_config
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.robots.setup import resolve_calibration
from lerobot_ros.robots.tables import robot_type
from ros_processes import wait_for

pytestmark = [pytest.mark.ros]

SO101 = robot_type("so101_follower")
JOINTS = list(SO101.joint_names)
CAMERA = "observation.images.front"
WIDTH, HEIGHT = 64, 48
CONTRACT_TOPIC = "front/image_raw/compressed"
REMAPPED_TOPIC = "/mono_cam/compressed"
STATE_RAD = np.array([0.3, -0.5, 0.7, -0.2, 1.1, 0.25])
ACTION_DEG = np.array([10.0, -20.0, 30.0, 15.0, -5.0])  # body joints; the gripper in 0..100 below
ACTION_GRIPPER = 70.0
MAX_RES = 4095  # the STS3215 ticks per turn in LeRobot's and our conversion (its max position)


class DegreesPolicy:
    """A LeRobot-style policy double: takes state in degrees, answers actions in degrees."""

    chunk_fps = 10.0
    image_features = [CAMERA]
    image_shapes = {CAMERA: [3, HEIGHT, WIDTH]}

    def __init__(self):
        self.states: list[np.ndarray] = []
        self.images: list[np.ndarray] = []

    def generate(self, messages, observation):
        return "reach"

    def action_chunk(self, messages, observation):
        self.states.append(np.array(observation.state))
        self.images.append(observation.images[CAMERA])
        return np.tile(np.append(ACTION_DEG, ACTION_GRIPPER), (10, 1))


@pytest.fixture
def contract_file(tmp_path):
    config = load_recording_config({
        "fps": 10, "robot": "so101_follower", "language": False,
        "features": [
            {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "max_age_s": 0.5},
            {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory"},
            {"key": CAMERA, "topic": CONTRACT_TOPIC, "type": "compressed_image", "height": HEIGHT, "width": WIDTH,
             "max_age_s": 0.3},
        ]})
    assert config.feature("observation.state").units == "degrees"  # LeRobot 0.6's default for the SO-101
    return FeatureContract.for_arm(config, simulated=True).save(tmp_path)


class World:
    """The arm's joint_states (shuffled, with a stranger joint), a mono JPEG camera that can be
    switched off, and what policy_node publishes."""

    def __init__(self):
        self.node = rclpy.create_node("policy_contract_world")
        self.trajectories: list[tuple[float, JointTrajectory]] = []
        self.diagnostics: list[DiagnosticStatus] = []
        self.camera_on = threading.Event()
        self.camera_on.set()
        states = self.node.create_publisher(JointState, "joint_states", 10)
        images = self.node.create_publisher(CompressedImage, REMAPPED_TOPIC, qos_profile_sensor_data)
        self.task = self.node.create_publisher(String, "task", 10)
        order = [5, 2, 0, 4, 1, 3]
        gray = np.tile(np.linspace(0, 255, WIDTH, dtype=np.uint8), (HEIGHT, 1))
        ok, jpeg = cv2.imencode(".jpg", gray)  # a single-channel JPEG: what a mono8 camera's compressed topic carries
        assert ok

        def publish_state():
            states.publish(JointState(name=["other_arm_joint"] + [JOINTS[i] for i in order],
                                      position=[9.0] + [float(STATE_RAD[i]) for i in order]))

        def publish_image():
            if self.camera_on.is_set():
                images.publish(CompressedImage(format="mono8; jpeg compressed mono8", data=jpeg.tobytes()))

        self.node.create_timer(0.02, publish_state)
        self.node.create_timer(0.05, publish_image)
        self.node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory",
                                      lambda m: self.trajectories.append((time.monotonic(), m)), 10)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        self.diagnostics.extend(s for s in msg.status if s.name.startswith("policy_node"))

    def moving_since(self, t: float) -> list[JointTrajectory]:
        return [m for stamp, m in list(self.trajectories) if stamp > t and m.points]

    def holds_since(self, t: float) -> list[JointTrajectory]:
        return [m for stamp, m in list(self.trajectories) if stamp > t and not m.points]


def test_degrees_contract_feeds_degrees_and_commands_radians_and_a_stale_camera_holds_the_arm(ros, contract_file):
    policy = DegreesPolicy()
    node = PolicyNode(policy, parameter_overrides=[
        Parameter("contract_file", value=str(contract_file)), Parameter("port", value="sim"),
        Parameter("heartbeat_timeout_s", value=0.0), Parameter("diagnostics_rate_hz", value=5.0),
        Parameter("refill_s", value=0.3)],
        cli_args=["--ros-args", "-r", f"{CONTRACT_TOPIC}:={REMAPPED_TOPIC}"])
    world = World()
    spinning = spin_in_thread(node, world.node)
    node.start()
    try:
        assert node.topics[CAMERA] == REMAPPED_TOPIC  # the contract's topic, moved by ROS remapping
        assert wait_for(lambda: world.task.get_subscription_count() > 0, 10)
        world.task.publish(String(data="pick the cube"))
        assert wait_for(lambda: world.moving_since(0.0), 20), world.diagnostics[-1:]

        # The state reached the policy in LeRobot's degrees (the gripper in 0..100), from radians.
        calibration, _ = resolve_calibration(SO101, "", "", "", True)
        np.testing.assert_allclose(policy.states[0][:5], np.degrees(STATE_RAD[:5]), atol=1e-3)
        gripper = calibration["gripper"]
        raw = STATE_RAD[5] * MAX_RES / (2 * np.pi) + gripper.mid
        np.testing.assert_allclose(policy.states[0][5], (raw - gripper.range_min) /
                                   (gripper.range_max - gripper.range_min) * 100, atol=1e-3)
        # The mono JPEG became an RGB image of its gray levels.
        image = policy.images[0]
        assert image.shape == (HEIGHT, WIDTH, 3) and np.array_equal(image[..., 0], image[..., 2])
        assert abs(int(image[0, -1, 0]) - 255) < 8 and image[0, 0, 0] < 8

        # The actions reached the controller in radians, by joint name, within the joint limits.
        msg = world.moving_since(0.0)[-1]
        assert list(msg.joint_names) == JOINTS
        sent = np.array(msg.points[-1].positions)
        np.testing.assert_allclose(sent[:5], np.radians(ACTION_DEG), atol=1e-6)
        gripper_raw = ACTION_GRIPPER / 100 * (gripper.range_max - gripper.range_min) + gripper.range_min
        np.testing.assert_allclose(sent[5], (gripper_raw - gripper.mid) * 2 * np.pi / MAX_RES, atol=1e-6)

        # The camera stops: /diagnostics names the feature and its topic, WARN then ERROR; the arm holds.
        world.camera_on.clear()
        off = time.monotonic()
        assert wait_for(lambda: world.holds_since(off), 5), "no hold published when the camera went stale"
        assert wait_for(lambda: any(s.level == DiagnosticStatus.WARN and CAMERA in s.message and REMAPPED_TOPIC in
                                    s.message for s in world.diagnostics), 5), world.diagnostics[-1:]
        assert wait_for(lambda: any(s.level == DiagnosticStatus.ERROR and CAMERA in s.message
                                    for s in world.diagnostics), 5), world.diagnostics[-1:]
        held = world.holds_since(off)[0]
        held_at = next(stamp for stamp, m in world.trajectories if m is held)
        time.sleep(1.0)
        assert not world.moving_since(held_at), "trajectories kept coming while the camera was stale"
        assert node.runtime.snapshot()["mode"] == "running"

        # The camera is back: the policy moves the arm again.
        back = time.monotonic()
        world.camera_on.set()
        assert wait_for(lambda: world.moving_since(back), 10), "the policy did not resume with the camera"
        assert wait_for(lambda: world.diagnostics[-1].level == DiagnosticStatus.OK, 5), world.diagnostics[-1:]
    finally:
        node.loop.stop()
        node.runtime.close()
        assert spinning.stop()
        node.destroy_node()
        world.node.destroy_node()
