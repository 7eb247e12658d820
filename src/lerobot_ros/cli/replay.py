"""Replay a dataset episode on live ROS topics (and on the arm with --to-robot), like lerobot-replay.

The episode's joints (in radians, through the feature contract), cameras, camera_info and language
are published at the recorded pace (--rate scales it, --loop repeats), with /clock on the episode's
own time: run RViz with use_sim_time:=true to watch it with the URDFs (`ros2 launch lerobot_ros
rviz.launch.py`). With --to-robot the recorded actions drive the follower's robot_node with
teleoperation's safety: nothing moves before the follower reports its pose, the first commands ramp
from it, steps and rate are bounded, and the arm moves only while `heartbeat` (std_msgs/Empty) keeps
coming (`ros2 topic pub -r 5 /heartbeat std_msgs/msg/Empty`); the recorded topics then go under /replay.

examples:
  lerobot-ros replay ~/datasets/pick_cube --episode 3
  lerobot-ros replay ~/datasets/pick_cube --episode 3 --to-robot --calibration-id my_arm
  lerobot-ros replay ./recorded_by_lerobot --episode 0 --robot so101_follower --simulated --rate 0.5 --loop
"""

from __future__ import annotations

import argparse
import signal

NAME = "replay"
HELP = "replay a dataset episode on live topics, or on the arm through robot_node (--to-robot)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from . import dataset_source

    dataset_source.add_arguments(parser)
    parser.add_argument("--episode", type=int, default=0)
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed (default 1.0)")
    parser.add_argument("--loop", action="store_true", help="start over at the end (not with --to-robot)")
    parser.add_argument("--compressed", action="store_true", help="cameras as CompressedImage on <topic>/compressed")
    parser.add_argument("--namespace", default=None,
                        help="where the recorded topics go (default /, or /replay with --to-robot)")
    parser.add_argument("--to-robot", action="store_true",
                        help="send the recorded actions to the follower's <controller>/joint_trajectory")
    parser.add_argument("--controller", default="arm_controller")
    parser.add_argument("--heartbeat-timeout-s", type=float, default=1.0,
                        help="with --to-robot: the arm holds when no heartbeat came for this long")
    parser.add_argument("--start-delay-s", type=float, default=1.0,
                        help="advertise every topic this long before the first message, so subscribers match")


def run(args: argparse.Namespace) -> int:
    import rclpy

    from ..nodes.replay_node import ReplayNode, ReplaySettings
    from ..nodes.spin_thread import spin_in_thread
    from .dataset_source import open_dataset

    if args.rate <= 0:
        raise ValueError(f"--rate must be positive, got {args.rate}")
    if args.loop and args.to_robot:
        raise ValueError("--loop replays topics only; an arm replays an episode once")
    root, contract = open_dataset(args)
    namespace = args.namespace or ("/replay" if args.to_robot else "/")
    settings = ReplaySettings(root=str(root), episode=args.episode, rate=args.rate, loop=args.loop,
                              compressed=args.compressed, namespace=namespace, to_robot=args.to_robot,
                              controller=args.controller, heartbeat_timeout_s=args.heartbeat_timeout_s,
                              start_delay_s=args.start_delay_s)
    rclpy.init(signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    try:
        node = ReplayNode(settings, contract)
    except Exception:
        rclpy.try_shutdown()
        raise
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: node.finished.set())
    spinning = spin_in_thread(node, name="replay-executor")
    node.start()
    print(f"Replaying episode {args.episode} of {root}" + (" on the arm (heartbeat required)" if args.to_robot else ""),
          flush=True)
    try:
        while not node.finished.wait(0.1):
            pass
    finally:
        node.shutdown()
        if spinning.stop():
            node.destroy_node()
        rclpy.try_shutdown()
    print("Replay finished")
    return 0
