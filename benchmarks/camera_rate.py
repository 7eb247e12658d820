"""How many camera_node images reach a subscriber in another process, and how late.

Starts camera_node (sim source) as its own process, subscribes to ``<name>/image_raw`` with
sensor-data QoS and prints the delivery rate and the latency (receive time minus header stamp).
DDS stays on this machine: loopback discovery, the loopback Fast DDS profile, a domain of its own.

    .venv/bin/python benchmarks/camera_rate.py --width 640 --height 480 --fps 30 --seconds 5
    .venv/bin/python benchmarks/camera_rate.py --baseline   # Fast DDS's default 512 KB shared memory

``--baseline`` runs the same measurement with the reference: Fast DDS's own shared-memory settings
(still loopback-only), i.e. what users get without the profile this package ships.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
PROFILE = REPO / "config" / "fastdds" / "loopback.xml"


def use_profile(baseline: bool) -> None:
    """Keep DDS on loopback; with ``baseline``, drop the profile's large shared-memory segment."""
    profile = PROFILE
    if baseline:
        text = PROFILE.read_text()
        text = text.replace("<segment_size>33554432</segment_size>", "").replace(
            "<maxMessageSize>4194304</maxMessageSize>", "")
        profile = pathlib.Path(tempfile.mkdtemp()) / "loopback_default_shm.xml"
        profile.write_text(text)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ["FASTDDS_DEFAULT_PROFILES_FILE"] = str(profile)  # Fast DDS 3.x (Kilted and later)
    os.environ["FASTRTPS_DEFAULT_PROFILES_FILE"] = str(profile)  # Fast DDS 2.x (Jazzy)
    os.environ["RMW_IMPLEMENTATION"] = "rmw_fastrtps_cpp"
    os.environ.setdefault("ROS_DOMAIN_ID", "172")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--baseline", action="store_true", help="Fast DDS's default shared-memory segment")
    args = ap.parse_args()
    use_profile(args.baseline)
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    node_cmd = [sys.executable, "-m", "lerobot_ros.nodes.camera_node", "--ros-args", "-p", "source:=sim",
                "-p", "name:=bench", "-p", f"width:={args.width}", "-p", f"height:={args.height}",
                "-p", f"fps:={args.fps}"]
    proc = subprocess.Popen(node_cmd, start_new_session=True)
    rclpy.init()
    node = rclpy.create_node("camera_rate_bench")
    arrivals: list[tuple[float, float]] = []  # (receive time.time(), stamp)
    node.create_subscription(Image, "bench/image_raw", lambda m: arrivals.append(
        (time.time(), m.header.stamp.sec + m.header.stamp.nanosec * 1e-9)), qos_profile_sensor_data)
    try:
        deadline = time.monotonic() + 30
        while not arrivals and time.monotonic() < deadline:
            rclpy.spin_once(node, timeout_sec=0.05)
        if not arrivals:
            raise SystemExit("no image arrived in 30 s; is camera_node starting? (see its output above)")
        end = time.monotonic() + 1.0  # warm-up
        while time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.05)
        arrivals.clear()
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.05)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(10)
        node.destroy_node()
        rclpy.shutdown()
    which = "Fast DDS default shared memory" if args.baseline else "lerobot_ros loopback profile"
    rate = len(arrivals) / args.seconds
    if not arrivals:
        print(f"{args.width}x{args.height} rgb8 at {args.fps:g} fps ({which}): 0 images/s delivered")
        return
    latency_ms = np.array([(t - s) * 1e3 for t, s in arrivals])
    print(f"{args.width}x{args.height} rgb8 at {args.fps:g} fps ({which}): {rate:.1f} images/s delivered; "
          f"latency p50 {np.percentile(latency_ms, 50):.1f} ms, p99 {np.percentile(latency_ms, 99):.1f} ms")


if __name__ == "__main__":
    main()
