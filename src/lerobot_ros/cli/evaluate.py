"""Evaluate a checkpoint in closed loop on the physics twin, like lerobot-eval: N seeded episodes, headless.

The whole ROS graph runs in this process: robot_node on a MuJoCo world behind the simulated servos
(`sim://<robot_type>?world=<world>`: the real driver, Feetech SDK and calibration path), camera_node
rendering the world's cameras, and policy_node on the checkpoint, started by the task and stopped
after each episode; the simulator scores. First the scripted expert plays a few of the same scenes
(the smoothness reference). Writes summary.json (success rate with its Wilson interval, time to
success, path length and jerk against the demonstrations), summary.png and videos/episode_<seed>.mp4
(the policy's first camera) into --output. See docs/simulation.md.

examples:
  lerobot-ros eval outputs/train/checkpoints/last/pretrained_model --episodes 20 --output eval_out
  lerobot-ros eval --baseline present-pose --episodes 5 --output eval_hold   # the scorer's sanity check
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "eval"
HELP = "evaluate a checkpoint on seeded episodes of the MuJoCo physics twin, over the real ROS graph"
DOMAIN_ID = 64  # this program's ROS domain when none is set


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", nargs="?", default="",
                        help="checkpoint folder (pretrained_model) or Hub id; omit with --baseline")
    parser.add_argument("--baseline", default="", choices=("", "present-pose"),
                        help="evaluate a built-in policy instead: present-pose holds the arm (must score 0)")
    parser.add_argument("--output", type=Path, required=True, help="folder for summary.json, summary.png, videos/")
    parser.add_argument("--episodes", type=int, default=10, help="evaluation episodes (default 10)")
    parser.add_argument("--first-seed", type=int, default=1000, help="seed of the first episode's scene (default 1000)")
    parser.add_argument("--timeout-s", type=float, default=20.0, help="an episode's time limit (default 20)")
    parser.add_argument("--reference-episodes", type=int, default=3,
                        help="expert episodes on the same scenes, the smoothness reference (default 3; 0: none)")
    parser.add_argument("--robot-type", default="so101_follower", help="the simulated arm (default so101_follower)")
    parser.add_argument("--world", default="pick_place", help="the physics world's task (default pick_place)")
    parser.add_argument("--cameras", default="front",
                        help="cameras without a feature contract in the checkpoint (comma separated; default front)")
    parser.add_argument("--image-size", default="96x128",
                        help="HEIGHTxWIDTH of the cameras without a feature contract (default 96x128)")
    parser.add_argument("--fps", type=float, default=15.0, help="camera frame rate (default 15)")
    parser.add_argument("--backend", default="", help="policy_node's backend parameter (default: its own)")
    parser.add_argument("--device", default="", help="policy_node's device parameter (default: its own)")
    parser.add_argument("--chunk-blending", default="", choices=("", "crossfade", "rtc"),
                        help="policy_node's chunk_blending: crossfade or rtc (real-time chunking; default: its own)")
    parser.add_argument("--no-videos", action="store_true", help="do not write an MP4 per episode")


def run(args: argparse.Namespace) -> int:
    from ..dds import keep_dds_on_loopback
    from ..evaluation.settings import BenchConfig, EvalSettings

    try:
        height, width = (int(v) for v in args.image_size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--image-size {args.image_size!r}: give HEIGHTxWIDTH, e.g. 96x128") from None
    cameras = tuple(c.strip() for c in args.cameras.split(",") if c.strip())
    policy = {k: v for k, v in (("backend", args.backend), ("device", args.device),
                                ("chunk_blending", args.chunk_blending)) if v}
    settings = EvalSettings(
        output=args.output.expanduser(), checkpoint=args.checkpoint, baseline=args.baseline, episodes=args.episodes,
        first_seed=args.first_seed, timeout_s=args.timeout_s, reference_episodes=args.reference_episodes,
        videos=not args.no_videos, policy_parameters=policy,
        bench=BenchConfig(robot_type=args.robot_type, world=args.world, cameras=cameras, image_height=height,
                          image_width=width, fps=args.fps))
    keep_dds_on_loopback("lerobot-ros eval", DOMAIN_ID)
    # rclpy, torch and the nodes load once the arguments are known to be good and DDS is set.
    from ..evaluation.bench import BenchError
    from ..evaluation.run import evaluate, tqdm_progress

    try:
        result = evaluate(settings, progress=tqdm_progress)
    except BenchError as err:
        print(f"lerobot-ros eval: {err}", file=sys.stderr)
        return 1
    print(result.summary.text())
    print(f"results in {result.folder}: summary.json, summary.png"
          + ("" if args.no_videos else ", videos/episode_<seed>.mp4"))
    return 0
