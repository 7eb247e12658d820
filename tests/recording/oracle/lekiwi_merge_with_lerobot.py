"""Runs in the LeRobot 0.6.1 venv: record a LeKiwi dataset the way lerobot-record sets one up
(lekiwi_lerobot_dataset.write: LeKiwi's own features, arm in degrees, base in m/s and deg/s), merge it
with OURS through LeRobot's own merge_datasets, load the result, and report what it holds.

    python lekiwi_merge_with_lerobot.py OURS WORK OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lekiwi_lerobot_dataset import frame_state, write
from lerobot.datasets.dataset_tools import merge_datasets
from lerobot.datasets.lerobot_dataset import LeRobotDataset

FRAMES = 12


def main(ours_root: Path, work: Path, out: Path) -> None:
    ours = LeRobotDataset("local/ours", root=ours_root, video_backend="pyav")
    write(work / "theirs", fps=ours.fps, frames=FRAMES)
    theirs = LeRobotDataset("local/lekiwi", root=work / "theirs", video_backend="pyav")
    merged = merge_datasets([ours, theirs], "local/merged", output_dir=work / "merged")
    merged = LeRobotDataset("local/merged", root=work / "merged", video_backend="pyav")
    first, last = merged[0], merged[len(merged) - 1]

    def features(dataset: LeRobotDataset) -> dict:
        return {k: {"dtype": v["dtype"], "shape": list(v["shape"]), "names": v["names"]}
                for k, v in dataset.meta.features.items()}

    out.write_text(json.dumps({
        "ours_features": features(ours), "theirs_features": features(theirs),
        "robot_types": [ours.meta.robot_type, theirs.meta.robot_type, merged.meta.robot_type],
        "lengths": [len(ours), len(theirs), len(merged)], "episodes": merged.meta.total_episodes,
        "tasks": sorted(merged.meta.tasks.index.tolist()),
        "first_state": first["observation.state"].tolist(), "last_state": last["observation.state"].tolist(),
        "last_state_written": frame_state(FRAMES - 1).tolist(),
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
