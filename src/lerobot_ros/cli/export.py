"""Export a LeRobot dataset's episodes as rosbag2 bags (MCAP or sqlite3), one bag per episode, for
`ros2 bag play`, RViz and Foxglove: the inverse of `lerobot-ros convert`, through the same feature
contract (topics, joints and units from the dataset's meta/lerobot_ros.json). A dataset recorded by
LeRobot has no contract: its observation.state / action / observation.images.<cam> go to joint_states,
arm_controller/joint_trajectory and <cam>/image_raw; with --robot the joints go back to radians from
LeRobot's units through the arm's calibration. No ROS install needed.

examples:
  lerobot-ros export lerobot/svla_so101_pickplace --out ~/bags/svla --robot so101_follower --calibration-id my_arm
  lerobot-ros export ~/datasets/pick_cube --out ~/bags/pick_cube --calibration-id my_arm
  lerobot-ros export ~/datasets/pick_cube --out /tmp/bags --episodes 0-2 --storage sqlite3 --compressed
  lerobot-ros export ./lerobot_recorded --out /tmp/bags --robot so101_follower --calibration-id my_arm
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "export dataset episodes as rosbag2 bags (MCAP or sqlite3) through the feature contract"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from . import dataset_source
    from .dataset import parse_episodes

    dataset_source.add_arguments(parser)
    parser.add_argument("--out", required=True, type=Path, help="folder for the bags (episode_<index>/ each)")
    parser.add_argument("--episodes", type=parse_episodes, default=None, help="e.g. 0,3,5-7 (default: all)")
    parser.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    parser.add_argument("--compressed", action="store_true",
                        help="cameras as CompressedImage (JPEG) on <topic>/compressed instead of raw rgb8 Image")
    parser.add_argument("--namespace", default="/", help="namespace the contract's relative topics go under")
    parser.add_argument("--tf", action="store_true",
                        help="also /tf and /tf_static from the robot's URDF at the recorded joint positions")


def run(args: argparse.Namespace) -> int:
    from ..recording.export import ExportOptions, export
    from .dataset_source import open_dataset

    root, contract = open_dataset(args)
    options = ExportOptions(storage=args.storage, compressed=args.compressed, namespace=args.namespace, tf=args.tf)
    bags = export(root, args.out.expanduser(), contract, options, args.episodes,
                  progress=lambda index, bag: print(f"episode {index} -> {bag}", flush=True))
    print(f"{len(bags)} bag(s) in {args.out}")
    return 0
