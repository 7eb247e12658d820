"""Runs in the LeRobot 0.6.1 venv: a LeKiwi dataset as lerobot-record sets one up (LeKiwi's own
features through hw_to_dataset_features: the arm in degrees, then x.vel, y.vel in m/s and theta.vel in
deg/s), 20 frames of a moving arm on a turning base, and a camera.

    python lekiwi_lerobot_dataset.py ROOT

(``write`` is also what lekiwi_merge_with_lerobot.py records LeRobot's side with.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.robots.lekiwi import LeKiwi, LeKiwiConfig
from lerobot.utils.feature_utils import hw_to_dataset_features


def frame_state(i: int) -> np.ndarray:
    """Frame i's arm (degrees, gripper 0..100) and base (m/s, m/s, deg/s): the test knows it too."""
    arm = [10.0 * np.sin(i / 5 + j) for j in range(5)] + [40.0]
    return np.array(arm + [0.01 * i, -0.005 * i, 3.0 * i - 30.0], dtype=np.float32)


def write(root: Path, fps: int = 30, frames: int = 20) -> LeRobotDataset:
    """The dataset, written as lerobot-record writes one (a front camera, 48x64)."""
    camera = OpenCVCameraConfig(index_or_path=0, width=64, height=48, fps=fps)
    robot = LeKiwi(LeKiwiConfig(port="/dev/null", id="kiwi", cameras={"front": camera}))
    features = {**hw_to_dataset_features(robot.action_features, "action"),
                **hw_to_dataset_features(robot.observation_features, "observation")}
    dataset = LeRobotDataset.create("local/lekiwi", fps=fps, features=features, root=root, robot_type=robot.name,
                                    use_videos=True)
    for i in range(frames):
        dataset.add_frame({"observation.state": frame_state(i), "action": frame_state(i),
                           "observation.images.front": np.full((48, 64, 3), 10 * i, np.uint8), "task": "lerobot"})
    dataset.save_episode()
    dataset.finalize()
    return dataset


if __name__ == "__main__":
    write(Path(sys.argv[1]))
