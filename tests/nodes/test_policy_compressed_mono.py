"""A compressed mono camera from recording to policy (issue 12), with real parts throughout.

Bags of the simulated SO-101 moving through the scenario's key poses, seen by a mono8 camera
published as JPEG ``CompressedImage``, are converted by ``lerobot-ros convert`` with a recording
config that names the robot (so the joints are recorded in LeRobot 0.6's degrees) and saves the
feature contract; ``lerobot-ros``'s training loop trains a tiny SmolVLA2 on the dataset for a few
steps and copies the contract into the checkpoint; then robot_node (simulated SO-101) and
policy_node run as processes over loopback DDS, and policy_node reads the same compressed topic
(published by this test) and drives the arm with commands in radians.
"""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest
import rclpy
import torch
import yaml
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.cli.main import main as lerobot_ros
from lerobot_ros.dataset import DatasetReader
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.sim.camera import ArmRenderer, SimCameraConfig
from lerobot_ros.scenarios.policy_scenario import JOINTS, KEY_POSES
from lerobot_ros.training import train_tiny_checkpoint
from recording.bag_writers import Msg, joint_state, joint_trajectory, stamp, write_rosbags
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

WIDTH, HEIGHT = 64, 48
TOPIC = "front/image_raw/compressed"
TASK = "lift the cube"
SECONDS_PER_POSE = 1.5
MARGIN_RAD = 0.6  # commanded joints stay within the trained range widened by this (a model of 150 steps is
# rough); degrees taken for radians would sit at the joint limits (1.7-2.8 rad), past it


def mono_jpeg(renderer: ArmRenderer, pose) -> bytes:
    gray = cv2.cvtColor(renderer.render(dict(zip(JOINTS, pose))), cv2.COLOR_RGB2GRAY)
    ok, jpeg = cv2.imencode(".jpg", gray)  # one channel: a mono8 camera's compressed topic
    assert ok
    return jpeg.tobytes()


def motion(t: np.ndarray) -> np.ndarray:
    """The arm through the key poses, linearly, SECONDS_PER_POSE each."""
    segment = np.clip(t / SECONDS_PER_POSE, 0, len(KEY_POSES) - 1)
    return np.stack([np.interp(segment, np.arange(len(KEY_POSES)), KEY_POSES[:, j]) for j in range(len(JOINTS))],
                    axis=-1)


def write_bag(path, renderer: ArmRenderer, offset_s: float):
    duration = SECONDS_PER_POSE * (len(KEY_POSES) - 1) + 0.5
    messages = []
    for t in np.arange(0, duration, 0.02):  # joint_states and commands at 50 Hz
        ns = int((1 + t) * 1e9)
        pose = motion(np.array(t + offset_s))
        messages.append(joint_state("/joint_states", ns, list(JOINTS), pose))
        messages.append(joint_trajectory("/arm_controller/joint_trajectory", ns, list(JOINTS),
                                         motion(np.array(t + offset_s + 0.1))))
    for t in np.arange(0, duration, 0.05):  # the camera at 20 Hz
        ns = int((1 + t) * 1e9) + 1000
        messages.append(Msg("/" + TOPIC, "sensor_msgs/msg/CompressedImage", ns,
                            {"header": stamp(ns), "format": "mono8; jpeg compressed mono8",
                             "data": mono_jpeg(renderer, motion(np.array(t + offset_s)))}))
    messages.sort(key=lambda m: m.log_ns)
    return write_rosbags(path, messages)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mono")
    renderer = ArmRenderer(SimCameraConfig(width=WIDTH, height=HEIGHT, fps=20.0))
    bags = [str(write_bag(folder / f"bag{i}", renderer, offset_s=0.1 * i)) for i in range(3)]
    config = folder / "mono.yaml"
    config.write_text(yaml.safe_dump({"fps": 10, "robot": "so101_follower", "language": False, "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "max_age_s": 0.5},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory", "max_age_s": 0.5},
        {"key": "observation.images.front", "topic": TOPIC, "type": "compressed_image", "height": HEIGHT,
         "width": WIDTH, "max_age_s": 0.5}]}))
    dataset = folder / "dataset"
    assert lerobot_ros(["convert", *bags, "--config", str(config), "--out", str(dataset), "--task", TASK,
                        "--simulated", "--codec", "libx264", "--no-progress"]) == 0
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        return dataset, train_tiny_checkpoint(dataset, folder / "train", steps=150, batch_size=4)
    finally:
        torch.set_num_threads(threads)


def test_the_checkpoint_carries_the_datasets_contract_in_degrees(checkpoint):
    dataset, pretrained = checkpoint
    saved = json.loads((dataset / "meta" / "lerobot_ros.json").read_text())
    assert json.loads((pretrained / "lerobot_ros.json").read_text()) == saved
    units = {f["key"]: f.get("units") for f in saved["features"]}
    assert units["observation.state"] == units["action"] == "degrees"
    reader = DatasetReader(dataset)
    assert reader.info.features["observation.state"].names == [f"{j}.pos" for j in JOINTS]
    # Degrees, not radians: the recorded shoulder_lift swings by tens of units.
    assert (np.asarray(reader.stats["action"]["max"]) - np.asarray(reader.stats["action"]["min"])).max() > 10


def test_policy_node_drives_the_arm_from_the_compressed_mono_topic(ros, checkpoint, tmp_path):
    dataset, pretrained = checkpoint
    stats = DatasetReader(dataset).stats["action"]
    low, high = np.radians(stats["min"][:5]), np.radians(stats["max"][:5])  # body joints, degrees -> radians
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node", {"robot_type": "so101_follower", "port": "sim"},
                        tmp_path)
    policy = NodeProcess("lerobot_ros.nodes.policy_node", "policy_node",
                         {"checkpoint": str(pretrained), "port": "sim", "heartbeat_timeout_s": 0.0}, tmp_path)
    node = rclpy.create_node("mono_camera")
    renderer = ArmRenderer(SimCameraConfig(width=WIDTH, height=HEIGHT, fps=20.0))
    image = CompressedImage(format="mono8; jpeg compressed mono8", data=mono_jpeg(renderer, KEY_POSES[0]))
    camera = node.create_publisher(CompressedImage, TOPIC, qos_profile_sensor_data)
    node.create_timer(0.05, lambda: camera.publish(image))
    task = node.create_publisher(String, "task", 10)
    commands: list[JointTrajectory] = []
    node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory", commands.append, 10)
    spinning = spin_in_thread(node)
    client = RobotClient("mono_policy_arm")
    logs = lambda: "\n".join(f"--- {n.log_path.name}\n{n.log()[-3000:]}" for n in (robot, policy))  # noqa: E731
    try:
        assert wait_for(lambda: "ready" in policy.log(), 120), logs()
        assert f"observation.images.front <- /{TOPIC}" in policy.log(), logs()
        client.wait_for_state()
        assert wait_for(lambda: task.get_subscription_count() > 0, 20), logs()
        start = np.array([client.positions()[j] for j in JOINTS])
        task.publish(String(data=TASK))
        assert wait_for(lambda: len([c for c in commands if c.points]) >= 20, 60), logs()
        moving = [c for c in commands if c.points]
        assert all(list(c.joint_names) == list(JOINTS) for c in moving)
        sent = np.array([p.positions for c in moving for p in c.points])[:, :5]
        assert (sent > low - MARGIN_RAD).all() and (sent < high + MARGIN_RAD).all(), (
            "commands outside the trained actions (in radians)", sent.min(axis=0), sent.max(axis=0), low, high)
        time.sleep(1.0)
        assert np.abs(np.array([client.positions()[j] for j in JOINTS]) - start).max() > 0.02, "the arm did not move"
    finally:
        client.close()
        assert spinning.stop()
        node.destroy_node()
        for process in (policy, robot):
            assert process.stop() == 0, logs()
