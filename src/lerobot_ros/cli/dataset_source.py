"""What `lerobot-ros export` and `lerobot-ros replay` share: the dataset argument (a folder or a Hub
repo id) and the arm its joints are converted for (robot, units, calibration as robot_node takes it)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", help="LeRobotDataset v3.0 folder, or a Hub dataset repo id (through the Hugging "
                        "Face cache; HF_HUB_OFFLINE=1 uses the cached copy)")
    parser.add_argument("--robot", default=None,
                        help="for a dataset without a contract: the robot its joints belong to (e.g. so101_follower)")
    parser.add_argument("--units", choices=("degrees", "range", "radians"), default=None,
                        help="with --robot: the units the joints are stored in (default: LeRobot 0.6's for the robot)")
    parser.add_argument("--calibration-id", default="", help="LeRobot calibration id of the arm (units -> radians)")
    parser.add_argument("--calibration-file", default="", help="explicit calibration JSON (overrides the id)")
    parser.add_argument("--calibration-dir", default="", help="calibration root (default: LeRobot's)")
    parser.add_argument("--simulated", action="store_true", help="the simulated arm: the simulator's calibration")


def open_dataset(args: argparse.Namespace):
    """(the dataset folder, its FeatureContract bound to the arm's calibration when one is given)."""
    from ..dataset.hub import resolve
    from ..recording.export import contract_for, robot_of
    from ..robots.setup import resolve_calibration
    from ..robots.tables import robot_type

    root = resolve(args.dataset)  # a folder, or a Hub repo id through the cache
    calibration = None
    if args.calibration_id or args.calibration_file or args.simulated:
        robot = robot_of(root, args.robot)
        if robot is None:
            raise ValueError("a calibration applies to a robot's joints: give --robot for a dataset without a "
                             f"contract ({root}/meta/lerobot_ros.json)")
        calibration, _ = resolve_calibration(robot_type(robot), args.calibration_file, args.calibration_id,
                                             args.calibration_dir, args.simulated)
    return root, contract_for(root, calibration, args.robot, args.units)
