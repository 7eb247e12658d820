"""Datasets back to ROS (issue 17): `lerobot-ros export` writes each episode as a rosbag2 bag through
the feature contract; bag -> dataset -> bag -> dataset gives the same values, an independent reader
(Foxglove's mcap-ros2 decoder) reads the exported bag with the right types and stamps, and a dataset
written by LeRobot 0.6.1 itself (no contract) exports with its joints back in radians."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bag_writers import Msg, write_rosbags

from lerobot_ros.cli.main import main as cli_main
from lerobot_ros.dataset import DatasetReader
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.recording.convert import convert, options_from_config
from lerobot_ros.recording.export import EPOCH_NS, ExportOptions, contract_for, export
from lerobot_ros.robots.sim_calibration import default_sim_calibration

SO101 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
T0 = 1_650_000_000 * 10**9
FPS = 10


def moving_arm_bag(folder: Path) -> Path:
    """3 s of an SO-101 moving (joint_states at 100 Hz, commands at 50 Hz), a camera whose brightness
    counts its frames, and language: a plan before the start, a subtask, a say and a question."""
    messages = []
    for i in range(300):
        t = i / 100
        pose = [0.4 * math.sin(t + j) for j in range(6)]
        messages.append(Msg("/joint_states", "sensor_msgs/msg/JointState", T0 + i * 10**7,
                            {"name": SO101, "position": pose}))
        if i % 2 == 0:
            messages.append(Msg("/arm_controller/joint_trajectory", "trajectory_msgs/msg/JointTrajectory",
                                T0 + i * 10**7 + 300, {"joint_names": SO101, "points": [{"positions": pose}]}))
    for i in range(90):
        image = np.zeros((48, 64, 3), np.uint8)
        image[:, : 2 + (i % 60)] = 200
        messages.append(Msg("/front/image_raw", "sensor_msgs/msg/Image", T0 + i * 33_333_333 + 1000,
                            {"height": 48, "width": 64, "encoding": "rgb8", "step": 192, "data": image.reshape(-1)}))
    for topic, at_s, text in (("/plan", 0.0, "reach, then lift"), ("/subtask", 0.74, "reach"),
                              ("/say", 1.26, "on my way"), ("/vqa/front/query", 2.03, "where is the cube?")):
        messages.append(Msg(topic, "std_msgs/msg/String", T0 + round(at_s * 1e9) + 5000, {"data": text}))
    messages.sort(key=lambda m: m.log_ns)
    return write_rosbags(folder, messages, storage="mcap")


def config() -> dict:
    return {"fps": FPS, "robot": "so101_follower", "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state"},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory"},
        {"key": "observation.images.front", "topic": "front/image_raw", "type": "image", "height": 48,
         "width": 64, "max_age_s": 0.1}],
        "language": {"vqa": [{"camera": "observation.images.front", "query": "vqa/front/query",
                              "answer": "vqa/front/answer"}]}}


def to_dataset(bag: Path, root: Path) -> DatasetReader:
    options = options_from_config(config(), task="move", progress=False,
                                  calibration=default_sim_calibration("so101_follower"))
    convert([bag], root, options)
    return DatasetReader(root)


def test_bag_dataset_bag_dataset_keeps_values_frames_and_language(tmp_path):
    first = to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds1")
    bags = export(tmp_path / "ds1", tmp_path / "export", contract_for(tmp_path / "ds1"))
    assert [b.name for b in bags] == ["episode_000000"]
    second = to_dataset(bags[0], tmp_path / "ds2")
    a, b = first.episode_columns(0), second.episode_columns(0)
    assert first.episodes[0].length == second.episodes[0].length >= 25
    for key in ("observation.state", "action"):  # degrees -> radians -> degrees: float32 rounding only
        np.testing.assert_allclose(b[key], a[key], atol=2e-3)
    np.testing.assert_allclose(b["timestamp"], a["timestamp"])
    frames_a = first.video_frames(0, "observation.images.front").astype(int)
    frames_b = second.video_frames(0, "observation.images.front").astype(int)
    assert np.abs(frames_a - frames_b).mean() < 3  # one more encode of the same frames
    # Frame identity: the lit width of each frame (its index in the camera stream) survives the trip.
    lit = lambda frames: (frames[:, 24, :, 0] > 100).sum(axis=1)  # noqa: E731
    np.testing.assert_array_equal(lit(frames_b), lit(frames_a))
    assert second.episode_language(0) == first.episode_language(0)
    assert {r.style for r in first.episode_language(0).persistent} == {"plan", "subtask"}
    assert len(first.episode_language(0).events) == 2


def test_an_independent_reader_sees_ros_types_stamps_and_radians(tmp_path):
    first = to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    (bag,) = export(tmp_path / "ds", tmp_path / "export", contract_for(tmp_path / "ds"),
                    ExportOptions(compressed=True))
    from mcap_ros2.reader import read_ros2_messages

    seen: dict[str, list] = {}
    for message in read_ros2_messages(str(next(bag.glob("*.mcap")))):
        seen.setdefault(message.channel.topic, []).append(message)
    length = first.episodes[0].length
    assert {t: len(m) for t, m in seen.items() if t != "/plan" and not t.startswith("/s")} == {
        "/joint_states": length, "/arm_controller/joint_trajectory": length,
        "/front/image_raw/compressed": length, "/front/camera_info": length, "/vqa/front/query": 1}
    assert seen["/joint_states"][0].schema.name == "sensor_msgs/msg/JointState"
    assert seen["/front/image_raw/compressed"][0].schema.name == "sensor_msgs/msg/CompressedImage"
    states = first.episode_columns(0)["observation.state"]
    for k, message in enumerate(seen["/joint_states"]):
        msg = message.ros_msg
        assert list(msg.name) == SO101
        assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == message.log_time_ns == EPOCH_NS + k * 10**8
        # Degrees in the dataset; radians on the topic (the body joints of the simulator's calibration).
        np.testing.assert_allclose(np.degrees(msg.position[:5]), states[k, :5], atol=1e-3)
    assert seen["/front/camera_info"][0].ros_msg.k[0] > 0 and seen["/say"][0].ros_msg.data == "on my way"


def rotation(q) -> np.ndarray:
    """The rotation matrix of a quaternion (x, y, z, w), by the textbook formula."""
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def rpy_matrix(roll, pitch, yaw) -> np.ndarray:
    """URDF's fixed-axis roll-pitch-yaw: Rz(yaw) Ry(pitch) Rx(roll)."""
    cr, sr, cp, sp, cy, sy = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch),
                              math.cos(yaw), math.sin(yaw))
    return (np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]]) @ np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
            @ np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]]))


def test_tf_from_the_urdf_at_the_recorded_pose(tmp_path):
    """--tf: /tf_static once (fixed joints: tool0, camera frames) and /tf every frame, each moving
    joint's transform its URDF origin then its recorded angle about its axis (z for the SO-101)."""
    import xml.etree.ElementTree as ET

    from mcap_ros2.reader import read_ros2_messages

    from lerobot_ros.description.robots import DESCRIPTIONS
    from lerobot_ros.description.urdf import build

    first = to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    (bag,) = export(tmp_path / "ds", tmp_path / "export", contract_for(tmp_path / "ds"), ExportOptions(tf=True))
    tf, static = [], []
    for message in read_ros2_messages(str(next(bag.glob("*.mcap"))), topics=["/tf", "/tf_static"]):
        (tf if message.channel.topic == "/tf" else static).append(message.ros_msg)
    assert len(static) == 1 and {t.child_frame_id for t in static[0].transforms} >= {"tool0", "front_optical_frame"}
    assert len(tf) == first.episodes[0].length
    pan = next(j for j in ET.fromstring(build(DESCRIPTIONS["so101_follower"]())).findall("joint")
               if j.get("name") == "shoulder_pan")
    origin = rpy_matrix(*map(float, pan.find("origin").get("rpy").split()))
    states = first.episode_columns(0)["observation.state"]
    for k in (0, len(tf) // 2, len(tf) - 1):
        moving = {t.child_frame_id: t for t in tf[k].transforms}
        assert set(moving) == {"shoulder_link", "upper_arm_link", "lower_arm_link", "wrist_link", "gripper_link",
                               "moving_jaw_link"}
        transform = moving["shoulder_link"]
        assert transform.header.frame_id == "base_link"
        q = transform.transform.rotation
        angle = math.radians(states[k, 0])  # the dataset's degrees, back to the joint's radians
        expected = origin @ np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0],
                                      [0, 0, 1]])
        np.testing.assert_allclose(rotation((q.x, q.y, q.z, q.w)), expected, atol=1e-5)


def test_a_dataset_lerobot_wrote_exports_with_its_joints_in_radians(oracle_python, tmp_path):
    """No contract: LeRobot's names map onto the usual topics; --robot converts its degrees back."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    run = subprocess.run([str(oracle_python), str(Path(__file__).parent / "oracle" / "so101_lerobot_dataset.py"),
                          str(tmp_path / "lerobot")], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not (tmp_path / "lerobot" / "meta" / "lerobot_ros.json").exists()
    status = cli_main(["export", str(tmp_path / "lerobot"), "--out", str(tmp_path / "bags"), "--robot",
                       "so101_follower", "--simulated", "--storage", "sqlite3"])
    assert status == 0
    back = to_dataset_radians(tmp_path / "bags" / "episode_000000", tmp_path / "back")
    stored = DatasetReader(tmp_path / "lerobot").episode_columns(0)["observation.state"]
    np.testing.assert_allclose(np.degrees(back[:, :5]), stored[:, :5], atol=1e-3)


def to_dataset_radians(bag: Path, root: Path) -> np.ndarray:
    """The bag's joint_states as a dataset in radians (no robot in the config)."""
    raw = {"fps": 30, "features": [{"key": "observation.state", "topic": "joint_states", "type": "joint_state",
                                    "joints": SO101}]}
    convert([bag], root, options_from_config(raw, task="back", progress=False))
    return DatasetReader(root).episode_columns(0)["observation.state"]


def test_a_hub_dataset_exports_from_the_hugging_face_cache_offline(tmp_path, monkeypatch):
    """A repo id resolves through huggingface_hub's cache (what an earlier download left there)."""
    import shutil

    from huggingface_hub import constants

    to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "datasets--someone--so101_moves"
    shutil.copytree(tmp_path / "ds", repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert cli_main(["export", "someone/so101_moves", "--out", str(tmp_path / "bags")]) == 0
    assert (tmp_path / "bags" / "episode_000000").is_dir()
    assert cli_main(["export", "someone/not_cached", "--out", str(tmp_path / "none")]) == 1  # one-line error


def test_export_refuses_what_it_cannot_do(tmp_path):
    to_dataset(moving_arm_bag(tmp_path / "bag"), tmp_path / "ds")
    with pytest.raises(ValueError, match="there is no episode 3"):
        export(tmp_path / "ds", tmp_path / "out", contract_for(tmp_path / "ds"), episodes=[3])
    export(tmp_path / "ds", tmp_path / "out", contract_for(tmp_path / "ds"))
    with pytest.raises(ValueError, match="exists; export into an empty folder"):
        export(tmp_path / "ds", tmp_path / "out", contract_for(tmp_path / "ds"))
    assert isinstance(contract_for(tmp_path / "ds"), FeatureContract)
