"""Driver loop benchmark: joint_states rate and jitter, command-to-bus latency, and bus cycle time
against LeRobot's own SO-101 driver, all on the protocol-level simulated bus with 1 Mbps wire timing.

    .venv/bin/python benchmarks/driver_loop.py [--seconds 10] [--lerobot-python PATH]

Three measurements:
1. robot_node in its own process on a simulated SO-101 owned by this process; joint_states received
   here over DDS: rate, receive-period and header-stamp-period percentiles.
2. Command-to-bus latency: a single-point JointTrajectory (time_from_start 0) published here, until
   the servo's Goal_Position register changes in the simulator.
3. Bus cycle (read all positions + write all goals) of our Robot vs LeRobot's SO101Follower
   (get_observation + send_action), each on its own simulated bus in the same run. The reference
   runs in LeRobot's own venv (``--lerobot-python``; see docs/benchmarks.md for how it is made).
DDS stays on loopback (profile, discovery range and a domain id of its own are set below).
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

REPO = Path(__file__).resolve().parents[1]
from lerobot_ros.dds import keep_dds_on_loopback  # before rclpy is imported: it reads the settings then

keep_dds_on_loopback("benchmarks/driver_loop.py", domain_id=93)

import numpy as np  # noqa: E402

from lerobot_ros.robots.ports import robot_bus  # noqa: E402
from lerobot_ros.motors.calibration import save_calibration  # noqa: E402
from lerobot_ros.robots.robot import Robot  # noqa: E402
from lerobot_ros.robots.tables import robot_type  # noqa: E402
from lerobot_ros.robots.ports import simulated_bus  # noqa: E402
from lerobot_ros.robots.sim_calibration import default_sim_calibration  # noqa: E402

BAUD = 1_000_000
SO101 = robot_type("so101_follower")
REFERENCE_SCRIPT = Path(__file__).with_name("lerobot_reference_cycle.py")


def percentiles_ms(values) -> dict[str, float]:
    v = np.asarray(values) * 1e3
    return {"p50": float(np.percentile(v, 50)), "p99": float(np.percentile(v, 99)), "max": float(v.max())}


def bus_cycle_ours(cycles: int) -> list[float]:
    """Robot.read() + Robot.send_goal() on a 1 Mbps simulated SO-101."""
    with simulated_bus("so101_follower", timing_baudrate=BAUD) as sim:
        robot = Robot(SO101, robot_bus(sim.port, SO101), default_sim_calibration("so101_follower"))
        start = robot.connect().positions_rad
        times = []
        for i in range(cycles):
            t0 = time.perf_counter()
            robot.read()
            robot.send_goal(start + 0.1 * np.sin(i / 50))
            times.append(time.perf_counter() - t0)
        robot.disconnect()
    return times


def bus_cycle_lerobot(python: str, cycles: int) -> list[float] | None:
    if not Path(python).exists():
        return None
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([python, str(REFERENCE_SCRIPT), str(cycles)], env=env, capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"LeRobot reference failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["cycle_s"]


def ros_measurements(seconds: float, commands: int) -> dict:
    import rclpy
    from lerobot_ros.nodes.spin_thread import spin_in_thread
    from sensor_msgs.msg import JointState
    from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

    tmp = Path(tempfile.mkdtemp(prefix="driver_loop_"))
    calibration = default_sim_calibration("so101_follower")
    calibration_file = save_calibration(tmp / "so101.json", calibration)
    with simulated_bus("so101_follower", timing_baudrate=BAUD) as sim:
        params = tmp / "params.yaml"
        params.write_text(f"robot_node:\n  ros__parameters:\n    robot_type: so101_follower\n    port: {sim.port}\n"
                          f"    calibration_file: {calibration_file}\n    publish_rate_hz: 100.0\n")
        log = open(tmp / "robot_node.log", "wb")
        node_proc = subprocess.Popen([sys.executable, "-m", "lerobot_ros.nodes.robot_node", "--ros-args",
                                      "--params-file", str(params)], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        rclpy.init()
        node = rclpy.create_node("driver_loop_benchmark")
        received: list[tuple[float, float]] = []  # (receive time, header stamp)
        node.create_subscription(JointState, "joint_states", lambda m: received.append(
            (time.monotonic(), m.header.stamp.sec + m.header.stamp.nanosec * 1e-9)), 1000)
        publisher = node.create_publisher(JointTrajectory, "arm_controller/joint_trajectory", 10)
        spinning = spin_in_thread(node)
        try:
            deadline = time.monotonic() + 30
            while not received and time.monotonic() < deadline:
                time.sleep(0.05)
            if not received:
                raise RuntimeError(f"no joint_states; robot_node log: {(tmp / 'robot_node.log').read_text()}")
            time.sleep(1.0)
            first = len(received)
            time.sleep(seconds)
            window = received[first:]
            receive_periods = np.diff([r for r, _ in window])
            stamp_periods = np.diff([s for _, s in window])
            rate = (len(window) - 1) / (window[-1][0] - window[0][0])

            latencies = []
            rng = np.random.default_rng(0)
            servo = sim.servo(1)
            for i in range(commands):
                base = servo.read_register("Goal_Position")
                msg = JointTrajectory()
                msg.joint_names = ["shoulder_pan"]
                msg.points.append(JointTrajectoryPoint(positions=[0.05 if i % 2 == 0 else -0.05]))
                sent = time.perf_counter()
                publisher.publish(msg)
                while servo.read_register("Goal_Position") == base and time.perf_counter() - sent < 1.0:
                    time.sleep(0.0002)
                latencies.append(time.perf_counter() - sent)
                # A random pause, so commands land at random phases of the 10 ms loop (a fixed pause
                # locks onto the loop's phase and measures the same wait every time).
                time.sleep(rng.uniform(0.1, 0.2))
        finally:
            if spinning.stop():
                node.destroy_node()
            rclpy.try_shutdown()
            node_proc.send_signal(2)
            node_proc.wait(10)
            log.close()
    return {"rate_hz": rate, "messages": len(window), "receive_period_ms": percentiles_ms(receive_periods),
            "stamp_period_ms": percentiles_ms(stamp_periods), "command_to_bus_ms": percentiles_ms(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="joint_states measuring window")
    parser.add_argument("--commands", type=int, default=50, help="command-to-bus latency samples")
    parser.add_argument("--cycles", type=int, default=1000, help="bus cycles per driver")
    parser.add_argument("--lerobot-python", default=str(Path.home() / ".cache/lerobot-ref-0.4.4/bin/python"),
                        help="Python of a venv with lerobot installed (the reference)")
    args = parser.parse_args()
    # The simulator's wire timing busy-waits its last millisecond; let the sampling threads in often.
    sys.setswitchinterval(0.0005)

    ros = ros_measurements(args.seconds, args.commands)
    ours = bus_cycle_ours(args.cycles)
    reference = bus_cycle_lerobot(args.lerobot_python, args.cycles)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print("simulated SO-101 bus, 1 Mbps wire timing; robot_node publish_rate_hz 100\n")
    print("| measurement | value |")
    print("|---|---|")
    print(f"| joint_states rate (received, other process) | {ros['rate_hz']:.1f} Hz over {ros['messages']} messages |")
    rp, sp, cl = ros["receive_period_ms"], ros["stamp_period_ms"], ros["command_to_bus_ms"]
    print(f"| period at the subscriber p50 / p99 / max | {rp['p50']:.2f} / {rp['p99']:.2f} / {rp['max']:.2f} ms |")
    print(f"| period of header stamps p50 / p99 / max | {sp['p50']:.2f} / {sp['p99']:.2f} / {sp['max']:.2f} ms |")
    print(f"| command-to-bus latency p50 / p99 / max | {cl['p50']:.2f} / {cl['p99']:.2f} / {cl['max']:.2f} ms |")
    o = percentiles_ms(ours)
    print(f"| bus cycle, lerobot_ros Robot.read + send_goal p50 / p99 | {o['p50']:.2f} / {o['p99']:.2f} ms |")
    if reference is not None:
        r = percentiles_ms(reference)
        print(f"| bus cycle, LeRobot SO101Follower get_observation + send_action p50 / p99 | "
              f"{r['p50']:.2f} / {r['p99']:.2f} ms |")
        print(f"| ratio LeRobot / lerobot_ros (p50) | {r['p50'] / o['p50']:.2f}x |")
    else:
        print("| LeRobot reference | not run: no venv at --lerobot-python |")


if __name__ == "__main__":
    main()
