"""recorder_node on the real publishers: a simulated SO-101 robot_node and a sim camera_node (its
best-effort sensor QoS, raw rgb8 and JPEG CompressedImage), as record.launch.py starts them."""

from __future__ import annotations

import time

import numpy as np
import pytest
import yaml
from recorder_feed import RecorderFeed
from ros_processes import NodeProcess, wait_for

from lerobot_ros.dataset import DatasetReader

pytestmark = [pytest.mark.slow, pytest.mark.ros]

JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
H, W = 48, 64


def test_recording_a_simulated_robot_and_camera(ros, tmp_path):
    config = tmp_path / "rec.yaml"
    config.write_text(yaml.safe_dump({"fps": 10, "language": False, "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": JOINTS,
         "max_age_s": 0.5},
        {"key": "observation.images.front", "topic": "front/image_raw", "type": "image", "height": H, "width": W,
         "max_age_s": 0.5},
        {"key": "observation.images.front_jpeg", "topic": "front/image_raw/compressed", "type": "compressed_image",
         "height": H, "width": W, "max_age_s": 0.5},
    ]}))
    root = tmp_path / "ds"
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node",
                        {"robot_type": "so101_follower", "port": "sim"}, tmp_path)
    camera = NodeProcess("lerobot_ros.nodes.camera_node", "front_camera",
                         {"name": "front", "source": "sim", "width": W, "height": H, "fps": 15.0}, tmp_path)
    recorder = NodeProcess("lerobot_ros.nodes.recorder_node", "recorder_node",
                           {"config": str(config), "root": str(root), "codec": "libx264"}, tmp_path)
    feed = RecorderFeed(publish=False)
    try:
        assert wait_for(lambda: feed.status() is not None, 60.0), recorder.log()
        assert feed.call("start_episode", "hold still").success
        time.sleep(2.0)
        stopped = feed.call("stop_episode")
        assert stopped.success, stopped.message + recorder.log()
        assert feed.call("finalize").success
    finally:
        feed.close()
        for node in (recorder, camera, robot):
            assert node.stop() == 0, node.log()
    reader = DatasetReader(root)
    length = reader.episodes[0].length
    assert length >= 10, stopped.message
    state = reader.episode_columns(0)["observation.state"]
    assert np.all(np.abs(state) < 3.2)  # radians of a real pose, the same joints in the config's order
    raw = reader.video_frames(0, "observation.images.front").astype(int)
    jpeg = reader.video_frames(0, "observation.images.front_jpeg").astype(int)
    assert raw.shape == jpeg.shape == (length, H, W, 3) and raw.std() > 10  # the drawn arm, not a blank
    assert np.abs(raw - jpeg).mean() < 12  # the same view through JPEG: close, not equal
