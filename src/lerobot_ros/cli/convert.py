"""Convert rosbag2 bags (sqlite3 or MCAP; no ROS install needed) into a LeRobotDataset v3.0.

The same recording YAML as the recorder node maps topics to features (and String topics to
language rows); the same causal sync puts them on the fps grid, with the bag's log time as the
receive time. Episodes come from one of: --task (one episode per bag), --task-topic (each String
message starts an episode with that task; an empty one ends it), or time ranges (--range
START_S:END_S:TASK, repeatable, or --ranges FILE.yaml|csv), in seconds from each bag's start.
Bags are encoded in parallel (--workers) and committed in the order given; a per-episode quality
report is printed and saved to OUT.quality/episode_<n>.json, as the recorder does.

examples:
  lerobot-ros convert session.mcap --config recording.yaml --out ~/datasets/pick --task "pick the cube"
  lerobot-ros convert bags/*/ --config recording.yaml --out ~/datasets/pick --task-topic /task --workers 4
  lerobot-ros convert long_bag/ --config recording.yaml --out ~/datasets/pick --range 0:20:pick --range 25:40:place
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

NAME = "convert"
HELP = "convert rosbag2 bags (sqlite3, MCAP) into a LeRobot dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bags", type=Path, nargs="+", help="rosbag2 folders or .mcap files, in episode order")
    parser.add_argument("--config", required=True, type=Path, help="recording YAML (fps, features, language)")
    parser.add_argument("--out", required=True, type=Path, help="dataset folder (must not exist unless --append)")
    episodes = parser.add_mutually_exclusive_group(required=True)
    episodes.add_argument("--task", help="one episode per bag, with this task")
    episodes.add_argument("--task-topic", help="std_msgs/String topic whose messages start episodes")
    episodes.add_argument("--range", dest="ranges", action="append", metavar="START_S:END_S:TASK",
                          help="an episode from START_S to END_S seconds after each bag's start (repeatable)")
    episodes.add_argument("--ranges", dest="ranges_file", type=Path, metavar="FILE",
                          help="YAML list or CSV of start_s, end_s, task[, bag]")
    parser.add_argument("--distro", default="jazzy", help="ROS distro of the standard message types (default jazzy)")
    parser.add_argument("--msg", dest="msg_files", type=Path, action="append", default=[],
                        metavar="PKG/msg/NAME.msg", help="definition of a custom message type (repeatable)")
    parser.add_argument("--workers", type=int, default=1, help="processes encoding episodes in parallel")
    parser.add_argument("--codec", default="libsvtav1", help="video encoder (libsvtav1, LeRobot's default, or libx264)")
    parser.add_argument("--robot-type", default=None,
                        help="robot_type for info.json (default: LeRobot's name of the config's robot)")
    parser.add_argument("--namespace", default="/",
                        help="namespace the config's relative topics resolve against (default /, as in the bag)")
    parser.add_argument("--calibration-id", default="", help="LeRobot calibration id of the config's robot: "
                        "converts joint positions into the config's units (not needed for radians)")
    parser.add_argument("--calibration-file", default="", help="explicit calibration JSON (overrides the id)")
    parser.add_argument("--calibration-dir", default="", help="calibration root (default: LeRobot's)")
    parser.add_argument("--simulated", action="store_true",
                        help="the bag was recorded from a simulated arm (port sim): use the simulator's calibration")
    parser.add_argument("--header-lag-s", type=float, default=0.5,
                        help="time_source header: how long after its stamp a message may be logged")
    parser.add_argument("--keep-gaps", action="store_true",
                        help="keep episodes whole across dropped ticks (default: split them there)")
    parser.add_argument("--recover-truncated", action="store_true",
                        help="convert the readable part of a truncated MCAP instead of refusing it")
    parser.add_argument("--append", action="store_true", help="add episodes to an existing dataset")
    parser.add_argument("--quality-dir", type=Path, default=None,
                        help="folder for the per-episode quality reports (default OUT.quality)")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from ..dataset import VideoEncoding
    from ..recording.bag_episodes import load_ranges, parse_range
    from ..recording.config import RecordingConfigError, read_recording_yaml
    from ..recording.contract import FeatureContract
    from ..recording.convert import convert, options_from_config

    raw = read_recording_yaml(args.config)
    ranges = (tuple(parse_range(r) for r in args.ranges or ())
              or tuple(load_ranges(args.ranges_file) if args.ranges_file else ()))
    try:
        options = options_from_config(
            raw, task=args.task, task_topic=args.task_topic, ranges=ranges, distro=args.distro,
            msg_files=tuple(args.msg_files), recover_truncated=args.recover_truncated,
            workers=args.workers, video=VideoEncoding(codec=args.codec), robot_type=args.robot_type,
            header_lag_s=args.header_lag_s, split_on_gaps=not args.keep_gaps, append=args.append,
            quality_dir=args.quality_dir, progress=not args.no_progress, namespace=args.namespace)
        contract = FeatureContract.for_arm(options.config, args.calibration_file, args.calibration_id,
                                           args.calibration_dir, args.simulated)
        options = dataclasses.replace(options, calibration=contract.calibration)
    except RecordingConfigError as error:
        raise RecordingConfigError(f"{args.config}: {error}") from None
    summary = convert(args.bags, args.out, options)  # errors: one line through cli/errors.py
    print(f"{summary.episodes} episodes, {summary.frames} frames written to {summary.root}; "
          f"quality reports in {summary.quality_dir}")
    return 0
