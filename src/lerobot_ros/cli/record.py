"""Record a dataset from ROS topics in timed episodes, like lerobot-record.

The recorder runs in this process (recorder_node's code, with its services too): start the robot,
cameras and a teleop (or policy) first, e.g. `ros2 launch lerobot_ros teleop.launch.py camera:=true`.
Keys in this terminal (when it is one) and keyboard_node's recording/events: right arrow or n ends the
episode (or the reset period), left arrow or b re-records the episode, Esc or x saves and stops.
Ctrl-C saves the episode in progress and stops too. The dataset is created, or resumed when ROOT
already holds one (repaired to its last complete episode first).

examples:
  lerobot-ros record --config config/recording/so101_front_camera.yaml --root ~/datasets/pick_cube \\
      --task "pick up the cube" --num-episodes 10 --episode-time-s 30 --reset-time-s 10
  lerobot-ros record --config rec.yaml --root ~/datasets/pick_cube --task "pick" --push-to-hub me/pick_cube
"""

from __future__ import annotations

import argparse
import queue
import signal
import sys
import threading
import time
from pathlib import Path

NAME = "record"
HELP = "record episodes from ROS topics into a LeRobot dataset (timed, keyboard controlled)"
KEY_REPEAT_S = 0.3  # a key arriving again within this is the terminal's auto-repeat, not a new press


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="recording YAML (topics -> features)")
    parser.add_argument("--root", type=Path, required=True, help="dataset folder (created or resumed)")
    parser.add_argument("--task", required=True, help="the task of every episode, e.g. 'pick up the cube'")
    parser.add_argument("--num-episodes", type=int, default=50, help="episodes to save (default 50)")
    parser.add_argument("--episode-time-s", type=float, default=60.0, help="length of an episode (default 60)")
    parser.add_argument("--reset-time-s", type=float, default=60.0,
                        help="reset period after each episode but the last (default 60)")
    parser.add_argument("--robot-type", default="", help="robot_type for info.json, e.g. so_follower (default: "
                        "LeRobot's name of the config's robot)")
    parser.add_argument("--calibration-id", default="", help="LeRobot calibration id of the config's robot: "
                        "converts joint positions into the config's units (as robot_node takes it)")
    parser.add_argument("--calibration-file", default="", help="explicit calibration JSON (overrides the id)")
    parser.add_argument("--calibration-dir", default="", help="calibration root (default: LeRobot's)")
    parser.add_argument("--port", default="", help="the robot_node's port: `sim` takes the simulator's calibration")
    parser.add_argument("--codec", default="libsvtav1", help="video codec: libsvtav1 (default) or libx264")
    parser.add_argument("--on-gap", choices=("split", "truncate"), default="split",
                        help="when a stream stalls mid-episode: split (default) saves the part before the stall as "
                             "an episode and records on into a new one; truncate ends the episode there")
    parser.add_argument("--namespace", default="", help="ROS namespace of the topics")
    parser.add_argument("--events-topic", default="recording/events", help="keyboard_node's events topic")
    parser.add_argument("--no-keyboard", action="store_true", help="do not read keys from this terminal")
    parser.add_argument("--wait-for-topics-s", type=float, default=30.0,
                        help="before the first episode, wait this long for every feature's topic (default 30)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None,
                        help="after recording, upload the dataset to this Hugging Face dataset repository")
    parser.add_argument("--private", action="store_true", help="with --push-to-hub: a private repository")


def _terminal_keys(events: queue.Queue, stop: threading.Event) -> threading.Thread | None:
    """Recording keys from this terminal into ``events``; None when stdin is not a terminal."""
    if not sys.stdin.isatty():
        return None
    from ..teleop.keyboard import KeyMap, TerminalClosed, TerminalKeyReader

    reader, keymap = TerminalKeyReader(), KeyMap()

    def read() -> None:
        last: dict[str, float] = {}
        try:
            while not stop.is_set():
                now = time.monotonic()
                for key in reader.read_keys(now, timeout_s=0.05):
                    event = keymap.events.get(key)
                    if event is not None and now - last.get(key, -1e9) > KEY_REPEAT_S:
                        events.put(event)
                    last[key] = now
        except TerminalClosed:
            pass
        finally:
            reader.close()

    thread = threading.Thread(target=read, name="record-keys", daemon=True)
    thread.start()
    return thread


def _wait_for_topics(node, timeout_s: float) -> list[str]:
    """Wait until every feature's topic has delivered a message; the silent ones at the timeout."""
    deadline = time.monotonic() + timeout_s
    while (silent := node.session.silent_streams()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return silent


def run(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.parameter import Parameter

    from ..dataset.hub import HubError, push
    from ..nodes.recorder_node import RecorderNode
    from ..nodes.spin_thread import spin_in_thread
    from ..recording.config import RecordingConfigError, load_recording_config
    from ..recording.session_driver import DriverResult, DriverSettings, SessionDriver
    from ..recording.recording_session import SessionError
    from ..recording_events import STOP_RECORDING

    try:
        settings = DriverSettings(task=args.task, num_episodes=args.num_episodes,
                                  episode_time_s=args.episode_time_s, reset_time_s=args.reset_time_s)
        load_recording_config(args.config.expanduser())  # a bad config: its error before ROS starts
    except ValueError as err:  # RecordingConfigError too
        print(f"lerobot-ros record: {err}", file=sys.stderr)
        return 1
    events: queue.Queue = queue.Queue()
    rclpy.init(signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    interrupted = []

    def on_sigint(*_):
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(True)
        print("\nCtrl-C: saving the episode in progress and stopping (again to abort)", flush=True)
        events.put(STOP_RECORDING)

    signal.signal(signal.SIGINT, on_sigint)
    overrides = [Parameter("config", value=str(args.config.expanduser())),
                 Parameter("root", value=str(args.root.expanduser())),
                 Parameter("robot_type", value=args.robot_type), Parameter("codec", value=args.codec),
                 Parameter("on_gap", value=args.on_gap),
                 Parameter("calibration_id", value=args.calibration_id),
                 Parameter("calibration_file", value=args.calibration_file),
                 Parameter("calibration_dir", value=args.calibration_dir), Parameter("port", value=args.port),
                 Parameter("events_topic", value=args.events_topic)]
    try:
        node = RecorderNode(event_handler=events.put, parameter_overrides=overrides, namespace=args.namespace)
    except (ValueError, RecordingConfigError, SessionError, FileExistsError) as err:
        print(f"lerobot-ros record: {err}", file=sys.stderr)
        rclpy.try_shutdown()
        return 1
    spinning = spin_in_thread(node, name="recorder-executor")  # single-threaded: see recorder_node's docstring
    node.start()
    stop_keys = threading.Event()
    keys = None if args.no_keyboard else _terminal_keys(events, stop_keys)
    print(f"Recording into {args.root} ({node.session.writer.num_episodes} episodes there); keys: right/n next, "
          "left/b re-record, Esc/x stop", flush=True)
    try:
        silent = _wait_for_topics(node, args.wait_for_topics_s)
        if silent:
            topics = ", ".join(f"{node.session.config.stream(key).topic} ({key})" for key in silent)
            result = DriverResult(saved=[], error=f"no message within {args.wait_for_topics_s:g} s on {topics}; "
                                                  "start the robot and cameras first, or fix the topics in the config")
        else:
            result = SessionDriver(node.session, settings, events, say=lambda text: print(text, flush=True)).run()
    finally:
        stop_keys.set()
        if keys is not None:
            keys.join(timeout=1.0)
        node.shutdown()  # saves an episode still in progress, closes the dataset
        if spinning.stop():  # else a callback is stuck in the executor: leave the node to the process exit
            node.destroy_node()
        rclpy.try_shutdown()
    split = f", {len(result.saved)} dataset episodes: some were split at stalls" if len(result.saved) > result.takes else ""
    print(f"Saved {result.takes} episodes (re-recorded {result.rerecorded}{split}); the dataset has "
          f"{node.session.writer.num_episodes} episodes; quality reports in {node.session.settings.reports}")
    if result.error:
        print(f"lerobot-ros record: {result.error}", file=sys.stderr)
        return 1
    if args.push_to_hub:
        try:
            print(f"Pushed to {push(args.root.expanduser(), args.push_to_hub, private=args.private)}")
        except (HubError, OSError) as err:
            print(f"lerobot-ros record: push to the Hub failed (the dataset is intact in {args.root}): {err}",
                  file=sys.stderr)
            return 1
    return 0
