"""`lerobot-ros replay` (issue 17) in its own process over real DDS: an episode back on live topics at
its pace with /clock, and on the simulated arm through robot_node with teleoperation's safety, holding
while the heartbeat is stale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Empty, String
from test_export import moving_arm_bag, to_dataset

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.recording.export import EPOCH_NS

pytestmark = [pytest.mark.slow, pytest.mark.ros]


@pytest.fixture(scope="module")
def probe():
    rclpy.init()
    node = Node("replay_probe")
    yield node
    node.destroy_node()
    rclpy.shutdown()


def replay(*args: str, log) -> subprocess.Popen:
    # 3 s of advertising before the first message: subscribers match however loaded the machine is.
    return subprocess.Popen([sys.executable, "-m", "lerobot_ros.cli.main", "replay", *args, "--start-delay-s", "3"],
                            stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def spin_until(node, predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not predicate():
        rclpy.spin_once(node, timeout_sec=0.02)
    return predicate()


def test_an_episode_comes_back_on_its_topics_with_clock(probe, tmp_path):
    reader = to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    length = reader.episodes[0].length
    states, images, clock, plan = [], [], [], []
    subs = [probe.create_subscription(JointState, "/joint_states", states.append, 100),
            probe.create_subscription(Image, "/front/image_raw", images.append, qos_profile_sensor_data),
            probe.create_subscription(Clock, "/clock", clock.append, 100),
            probe.create_subscription(String, "/plan", plan.append, 10)]
    log = open(tmp_path / "replay.log", "wb")
    proc = replay(str(tmp_path / "ds"), "--episode", "0", "--rate", "2", log=log)
    try:
        assert spin_until(probe, lambda: proc.poll() is not None, 60), "replay did not end"
        spin_until(probe, lambda: False, 0.5)  # the last messages in flight
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for sub in subs:
            probe.destroy_subscription(sub)
    assert proc.returncode == 0, (tmp_path / "replay.log").read_text()
    # Every frame's joint_states, in order, in radians (the dataset holds degrees), names included.
    assert len(states) == length and list(states[0].name)[:2] == ["shoulder_pan", "shoulder_lift"]
    stored = DatasetReader(tmp_path / "ds").episode_columns(0)["observation.state"]
    np.testing.assert_allclose(np.degrees([list(s.position)[:5] for s in states]), stored[:, :5], atol=1e-3)
    stamps = [s.header.stamp.sec * 10**9 + s.header.stamp.nanosec - EPOCH_NS for s in states]
    assert stamps == [round(k * 1e8) for k in range(length)]  # frame k at k / fps (10 fps)
    assert len(images) >= length - 2 and images[0].encoding == "rgb8"  # best effort, same machine
    last = clock[-1].clock
    assert last.sec * 10**9 + last.nanosec - EPOCH_NS >= (length - 1) * 1e8  # sim time ran through it
    assert [m.data for m in plan] == ["reach, then lift"]


def test_the_arm_follows_the_episode_and_holds_without_heartbeat(probe, tmp_path):
    to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    actions = np.radians(DatasetReader(tmp_path / "ds").episode_columns(0)["action"][:, :5])
    states = []
    sub = probe.create_subscription(JointState, "/joint_states", lambda m: states.append(
        (time.monotonic(), np.array(m.position[:5]))), 100)
    heartbeat = probe.create_publisher(Empty, "/heartbeat", 10)
    robot_log, replay_log = open(tmp_path / "robot.log", "wb"), open(tmp_path / "replay.log", "wb")
    robot = subprocess.Popen([sys.executable, "-m", "lerobot_ros.nodes.robot_node", "--ros-args", "-p",
                              "robot_type:=so101_follower", "-p", "port:=sim"], stdout=robot_log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    proc = None
    try:
        assert spin_until(probe, lambda: len(states) > 10, 60), (tmp_path / "robot.log").read_text()
        proc = replay(str(tmp_path / "ds"), "--to-robot", "--simulated", "--heartbeat-timeout-s", "0.3",
                      log=replay_log)
        beat_until = time.monotonic() + 2.0
        while time.monotonic() < beat_until:  # 2 s of heartbeat: the arm ramps and starts the episode
            heartbeat.publish(Empty())
            spin_until(probe, lambda: False, 0.1)
        held_from = time.monotonic() + 0.6  # heartbeat stale after 0.3 s; the in-flight point ends
        spin_until(probe, lambda: False, 2.0)  # no heartbeat: the arm must hold
        held = [p for t, p in states if t > held_from]
        assert proc.poll() is None, "the replay ended although the arm was held"
        assert len(held) > 50 and np.abs(np.ptp(np.stack(held), axis=0)).max() < 0.01
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:  # heartbeat again: it finishes
            heartbeat.publish(Empty())
            spin_until(probe, lambda: False, 0.1)
        assert proc.poll() == 0, (tmp_path / "replay.log").read_text()
        spin_until(probe, lambda: False, 0.5)
    finally:
        probe.destroy_subscription(sub)
        for p in (proc, robot):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
                p.wait(15)
    # It ended where the episode ends (the last action, within the simulated servo's tracking).
    np.testing.assert_allclose(states[-1][1], actions[-1], atol=0.05)


def test_a_dataset_lerobot_wrote_replays_with_its_joints_in_radians(probe, oracle_python, tmp_path):
    """No contract: LeRobot's SO-101 features map onto joint_states; --robot turns its degrees back."""
    made = subprocess.run([str(oracle_python), str(Path(__file__).parent / "oracle" / "so101_lerobot_dataset.py"),
                           str(tmp_path / "lerobot")], env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""},
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr[-3000:]
    states = []
    sub = probe.create_subscription(JointState, "/joint_states", states.append, 100)
    log = open(tmp_path / "replay.log", "wb")
    proc = replay(str(tmp_path / "lerobot"), "--robot", "so101_follower", "--simulated", "--rate", "2", log=log)
    try:
        assert spin_until(probe, lambda: proc.poll() is not None, 60), "replay did not end"
        spin_until(probe, lambda: False, 0.3)
    finally:
        probe.destroy_subscription(sub)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, (tmp_path / "replay.log").read_text()
    stored = DatasetReader(tmp_path / "lerobot").episode_columns(0)["observation.state"]
    assert len(states) == len(stored) == 20
    np.testing.assert_allclose(np.degrees([list(s.position)[:5] for s in states]), stored[:, :5], atol=1e-3)
