"""Runs in the LeRobot 0.6.1 venv: record an SO-101 dataset the way lerobot-record sets one up
(features from SO101Follower's own observation/action features through hw_to_dataset_features,
robot_type from the robot, LeRobotDataset.create/add_frame/save_episode/finalize), then merge it
with OURS through LeRobot's own merge_datasets, load the result, and report what it holds.

    python merge_with_lerobot.py OURS WORK OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.datasets.dataset_tools import merge_datasets
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
from lerobot.utils.feature_utils import hw_to_dataset_features

HEIGHT, WIDTH, FRAMES = 48, 64, 12


def main(ours_root: Path, work: Path, out: Path) -> None:
    ours = LeRobotDataset("local/ours", root=ours_root, video_backend="pyav")
    camera = OpenCVCameraConfig(index_or_path=0, width=WIDTH, height=HEIGHT, fps=ours.fps)
    robot = SO101Follower(SO101FollowerConfig(port="/dev/null", id="arm", cameras={"front": camera}))
    features = {**hw_to_dataset_features(robot.action_features, "action"),
                **hw_to_dataset_features(robot.observation_features, "observation")}
    theirs = LeRobotDataset.create("local/theirs", fps=ours.fps, features=features, root=work / "theirs",
                                   robot_type=robot.name, use_videos=True)
    for i in range(FRAMES):
        pose = np.linspace(-20, 20, 6, dtype=np.float32) + i
        theirs.add_frame({"observation.state": pose, "action": pose + 1,
                          "observation.images.front": np.full((HEIGHT, WIDTH, 3), 7 * i, np.uint8), "task": "lerobot"})
    theirs.save_episode()
    theirs.finalize()
    theirs = LeRobotDataset("local/theirs", root=work / "theirs", video_backend="pyav")
    merged = merge_datasets([ours, theirs], "local/merged", output_dir=work / "merged")
    merged = LeRobotDataset("local/merged", root=work / "merged", video_backend="pyav")
    first, last = merged[0], merged[len(merged) - 1]
    out.write_text(json.dumps({
        "ours_features": {k: {"dtype": v["dtype"], "shape": list(v["shape"]), "names": v["names"]}
                          for k, v in ours.meta.features.items()},
        "theirs_features": {k: {"dtype": v["dtype"], "shape": list(v["shape"]), "names": v["names"]}
                            for k, v in theirs.meta.features.items()},
        "robot_types": [ours.meta.robot_type, theirs.meta.robot_type, merged.meta.robot_type],
        "lengths": [len(ours), len(theirs), len(merged)], "episodes": merged.meta.total_episodes,
        "tasks": sorted(merged.meta.tasks.index.tolist()),
        "first_state": first["observation.state"].tolist(), "last_state": last["observation.state"].tolist(),
        "last_image_mean": float(last["observation.images.front"].float().mean()) * 255.0,
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
