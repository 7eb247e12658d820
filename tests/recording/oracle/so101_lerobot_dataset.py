"""Runs in the LeRobot 0.6.1 venv: an SO-101 dataset as lerobot-record sets one up (SO101Follower's
own features through hw_to_dataset_features, degrees), 20 frames of a moving arm and a camera.

    python so101_lerobot_dataset.py ROOT
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
from lerobot.utils.feature_utils import hw_to_dataset_features


def main(root: Path) -> None:
    camera = OpenCVCameraConfig(index_or_path=0, width=64, height=48, fps=30)
    robot = SO101Follower(SO101FollowerConfig(port="/dev/null", id="arm", cameras={"front": camera}))
    features = {**hw_to_dataset_features(robot.action_features, "action"),
                **hw_to_dataset_features(robot.observation_features, "observation")}
    dataset = LeRobotDataset.create("local/so101", fps=30, features=features, root=root, robot_type=robot.name,
                                    use_videos=True)
    for i in range(20):
        pose = np.array([10.0 * np.sin(i / 5 + j) for j in range(5)] + [40.0], dtype=np.float32)
        dataset.add_frame({"observation.state": pose, "action": pose,
                           "observation.images.front": np.full((48, 64, 3), 10 * i, np.uint8), "task": "wave"})
    dataset.save_episode()
    dataset.finalize()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
