"""Dispatch jitter under a deliberately slow model: do trajectories keep arriving at the control rate?

    .venv/bin/python benchmarks/policy_dispatch.py [--checkpoint DIR] [--chunk-delay-s 0.2] [--seconds 20]

robot_node (simulated SO-101), camera_node (simulated view) and policy_node run in their own
processes over loopback DDS. policy_node runs a real tiny SmolVLA2 (trained here on the simulated
arm's scenario, lerobot_ros.scenarios.policy_scenario, unless --checkpoint is given) with a fixed extra
delay per action chunk, so the model is busy most of the time. This process sends the task and the
operator heartbeat and records when each `arm_controller/joint_trajectory` message arrives.

Reported: arrival intervals (p50/p99/max) against the control period, the jitter |interval -
period|, gaps over two periods, the chunk compute time and the starved ticks (nothing due yet: the
model is slower than its chunks last) from policy_node's /diagnostics. LeRobot's
SmolVLA2 runtime computes chunks on its dispatch thread, so its longest dispatch gap is at least one
chunk's compute time; the ratio of our longest gap to that is printed too. Exits 1 when p99 exceeds
3 periods or a gap exceeds the chunk compute time. DDS stays on loopback (set below).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lerobot_ros.dds import keep_dds_on_loopback  # before rclpy is imported: it reads the settings then

keep_dds_on_loopback("benchmarks/policy_dispatch.py", domain_id=93)

import numpy as np  # noqa: E402
import yaml  # noqa: E402

CONTROL_HZ = 50.0


class SlowedPolicy:
    """The real policy plus a fixed delay per action chunk (text calls are left as they are)."""

    def __init__(self, inner, delay_s: float):
        self.inner, self.delay_s = inner, delay_s

    @property
    def chunk_fps(self) -> float:
        return self.inner.chunk_fps

    @property
    def image_features(self) -> list[str]:
        return self.inner.image_features

    @property
    def image_shapes(self):
        return self.inner.image_shapes

    def generate(self, messages, observation) -> str:
        return self.inner.generate(messages, observation)

    def action_chunk(self, messages, observation):
        time.sleep(self.delay_s)
        return self.inner.action_chunk(messages, observation)


def serve_policy(checkpoint: str, delay_s: float, ros_args: list[str]) -> None:
    """The policy_node process: policy_node around the slowed policy."""
    from lerobot_ros.nodes.policy_node import PolicyNode
    from lerobot_ros.nodes.runner import run_node
    from lerobot_ros.runtime.smolvla2_policy import SmolVLA2LanguagePolicy

    policy = SlowedPolicy(SmolVLA2LanguagePolicy.load(checkpoint), delay_s)
    run_node(lambda: PolicyNode(policy=policy), "policy_node", args=["--ros-args", *ros_args])


def start_node(argv: list[str], name: str, params: dict, tmp: Path) -> tuple[subprocess.Popen, Path]:
    params_file = tmp / f"{name}.yaml"
    params_file.write_text(yaml.safe_dump({name: {"ros__parameters": params}}))
    log = tmp / f"{name}.log"
    proc = subprocess.Popen([sys.executable, *argv, "--ros-args", "--params-file", str(params_file)],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def wait_for_log(log: Path, text: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{log.name} never said {text!r}:\n{log.read_text(errors='replace')[-3000:]}")


def train_checkpoint(folder: Path, steps: int) -> Path:
    from lerobot_ros.scenarios.policy_scenario import write_scenario_dataset
    from lerobot_ros.training import train_tiny_checkpoint

    dataset = write_scenario_dataset(folder / "dataset")
    return train_tiny_checkpoint(dataset, folder / "train", steps=steps, batch_size=8)


def measure(checkpoint: str, delay_s: float, seconds: float) -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from lerobot_ros.nodes.spin_thread import spin_in_thread
    from std_msgs.msg import Empty, String
    from trajectory_msgs.msg import JointTrajectory

    from lerobot_ros.scenarios.policy_scenario import Scenario

    scenario = Scenario()
    tmp = Path(tempfile.mkdtemp(prefix="policy_dispatch_"))
    procs = []
    try:
        robot, robot_log = start_node(["-m", "lerobot_ros.nodes.robot_node"], "robot_node",
                                      {"robot_type": "so101_follower", "port": "sim"}, tmp)
        camera, camera_log = start_node(["-m", "lerobot_ros.nodes.camera_node"], "camera_node",
                                        {"name": "front", "source": "sim", "width": scenario.width,
                                         "height": scenario.height, "fps": 30.0}, tmp)
        policy, policy_log = start_node([__file__, "--serve-policy", "--checkpoint", checkpoint,
                                         "--chunk-delay-s", str(delay_s)], "policy_node",
                                        {"units": "radians", "port": "sim", "control_rate_hz": CONTROL_HZ,  # no contract
                                         "heartbeat_timeout_s": 1.0}, tmp)
        procs = [robot, camera, policy]
        wait_for_log(policy_log, "ready", 120)
        rclpy.init()
        node = rclpy.create_node("policy_dispatch_benchmark")
        arrivals: list[float] = []
        latencies: list[float] = []
        last: dict[str, str] = {}
        node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory",
                                 lambda m: arrivals.append(time.monotonic()) if m.points else None, 100)

        def on_diagnostics(msg: DiagnosticArray) -> None:
            for status in msg.status:
                if status.name.endswith("runtime"):
                    values = {kv.key: kv.value for kv in status.values}
                    latencies.append(float(values["chunk_latency_s"]))
                    last.update(values)

        node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
        task_pub = node.create_publisher(String, "task", 10)
        heartbeat_pub = node.create_publisher(Empty, "heartbeat", 10)
        spinning = spin_in_thread(node)
        node.create_timer(0.1, lambda: heartbeat_pub.publish(Empty()))
        time.sleep(2.0)  # discovery
        task_pub.publish(String(data="put the cube in the bowl"))
        deadline = time.monotonic() + 60
        while not arrivals and time.monotonic() < deadline:
            time.sleep(0.05)
        if not arrivals:
            raise RuntimeError(f"no trajectory arrived:\n{policy_log.read_text(errors='replace')[-3000:]}")
        start = len(arrivals)
        time.sleep(1.5)  # /diagnostics at 1 Hz: the counters at the start of the window
        starved_before = int(last.get("starved_ticks", 0))
        time.sleep(seconds)
        stamps = np.array(arrivals[start:])
        starved = int(last.get("starved_ticks", 0)) - starved_before
        if spinning.stop():
            node.destroy_node()
        rclpy.shutdown()
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 2)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
    intervals = np.diff(stamps)
    period = 1.0 / CONTROL_HZ
    chunk_s = float(np.nanmedian([v for v in latencies if np.isfinite(v)])) if latencies else float("nan")
    ms = lambda v: round(float(v) * 1e3, 2)  # noqa: E731
    return {
        "machine": f"{platform.node()} ({os.cpu_count()} cpus), load average {os.getloadavg()[0]:.1f}",
        "chunk_delay_s": delay_s, "seconds": seconds, "messages": int(len(stamps)),
        "rate_hz": round(float((len(stamps) - 1) / (stamps[-1] - stamps[0])), 2),
        "interval_ms": {"p50": ms(np.percentile(intervals, 50)), "p99": ms(np.percentile(intervals, 99)),
                        "max": ms(intervals.max())},
        "jitter_ms": {"p50": ms(np.percentile(abs(intervals - period), 50)),
                      "p99": ms(np.percentile(abs(intervals - period), 99))},
        "gaps_over_2_periods": int(np.sum(intervals > 2 * period)),
        "starved_ticks": starved,  # running, but no action was due: the model had not delivered yet
        "chunk_latency_ms_median": ms(chunk_s),
        "max_gap_over_chunk_latency": round(float(intervals.max() / chunk_s), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="a SmolVLA2 checkpoint folder (default: train one on the sim scenario)")
    parser.add_argument("--train-steps", type=int, default=1500, help="as the end-to-end test trains it")
    parser.add_argument("--chunk-delay-s", type=float, default=0.2, help="extra seconds per action chunk")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--serve-policy", action="store_true", help=argparse.SUPPRESS)
    args, ros_args = parser.parse_known_args()
    if args.serve_policy:
        serve_policy(args.checkpoint, args.chunk_delay_s, [a for a in ros_args if a != "--ros-args"])
        return
    checkpoint = args.checkpoint or str(train_checkpoint(Path(tempfile.mkdtemp(prefix="policy_ckpt_")),
                                                         args.train_steps))
    result = measure(checkpoint, args.chunk_delay_s, args.seconds)
    print(json.dumps(result, indent=2))
    period_ms = 1e3 / CONTROL_HZ
    if result["interval_ms"]["p99"] > 3 * period_ms or result["max_gap_over_chunk_latency"] >= 1.0:
        raise SystemExit(f"dispatch stalled: p99 interval {result['interval_ms']['p99']} ms "
                         f"(bound {3 * period_ms} ms), longest gap / chunk time {result['max_gap_over_chunk_latency']}")


if __name__ == "__main__":
    main()
