"""Teleoperation latency: a simulated SO-101 leader moved by hand -> the follower's Goal_Position.

    .venv/bin/python benchmarks/teleop_latency.py [--moves 100]

robot_node (follower) and teleop_node (leader) run in their own processes, each on a simulated bus
owned by this process with 1 Mbps wire timing (every packet takes its real wire time). This process
turns the leader's shoulder_pan shaft by 40 ticks (0.06 rad) at random phases of the nodes' 10 ms
loops and polls the follower servo's Goal_Position register:

* first change: until Goal_Position first moves toward the new pose (what a person would notice);
* settled: until it is within 1 tick of LeRobot's goal for the new leader pose.

teleop_node's own stamps (leader read started -> trajectory published) come from its /diagnostics.
``--reference`` adds the same measurement with robot_node as before issue 20 (its commands handled
by rclpy's MultiThreadedExecutor: benchmarks/robot_node_with_rclpy_executor.py) and as first shipped
for issue 20 (commands read at the loop's tick only: benchmarks/robot_node_reading_at_tick.py), in
the same run.
DDS stays on loopback (profile, discovery range and a domain id of its own are set below).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lerobot_ros.dds import keep_dds_on_loopback  # before rclpy is imported: it reads the settings then

keep_dds_on_loopback("benchmarks/teleop_latency.py", domain_id=94)

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from lerobot_ros.motors.calibration import save_calibration  # noqa: E402
from lerobot_ros.robots.tables import robot_type  # noqa: E402
from lerobot_ros.robots.ports import simulated_bus  # noqa: E402
from lerobot_ros.robots.sim_calibration import default_sim_calibration  # noqa: E402
from lerobot_ros.teleop.leader import LeaderFollowerMap  # noqa: E402

BAUD = 1_000_000
STEP_TICKS = 40


def percentiles_ms(values) -> dict[str, float]:
    v = np.asarray(values) * 1e3
    return {"p50": float(np.percentile(v, 50)), "p90": float(np.percentile(v, 90)), "p99": float(np.percentile(v, 99)),
            "max": float(v.max())}


def start_node(module: str, name: str, params: dict, tmp: Path) -> tuple[subprocess.Popen, Path]:
    """``module``: a module to run with -m, or a script's path."""
    params_file = tmp / f"{name}.yaml"
    params_file.write_text(yaml.safe_dump({name: {"ros__parameters": params}}))
    log = tmp / f"{name}.log"
    program = [module] if module.endswith(".py") else ["-m", module]
    proc = subprocess.Popen([sys.executable, *program, "--ros-args", "--params-file", str(params_file)],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


ROBOT_NODES = {  # the robot_node variants measured: module or script, and the name in the table
    "shipped": ("lerobot_ros.nodes.robot_node", "shipped (written on arrival)"),
    "tick": (str(Path(__file__).parent / "robot_node_reading_at_tick.py"),
             "issue 20 as first shipped (read at the tick only)"),
    "executor": (str(Path(__file__).parent / "robot_node_with_rclpy_executor.py"),
                 "before issue 20 (rclpy MultiThreadedExecutor)"),
}


def measure(moves: int, time_from_start_s: float, variant: str = "shipped") -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from lerobot_ros.nodes.spin_thread import spin_in_thread

    tmp = Path(tempfile.mkdtemp(prefix="teleop_latency_"))
    leader_type, follower_type = robot_type("so101_leader"), robot_type("so101_follower")
    leader_cal, follower_cal = default_sim_calibration("so101_leader"), default_sim_calibration("so101_follower")
    pair = LeaderFollowerMap(leader_type, leader_cal, follower_type, follower_cal)
    leader_file = save_calibration(tmp / "leader.json", leader_cal)
    follower_file = save_calibration(tmp / "follower.json", follower_cal)
    with simulated_bus("so101_leader", timing_baudrate=BAUD) as leader_sim, \
            simulated_bus("so101_follower", timing_baudrate=BAUD) as follower_sim:
        robot_module = ROBOT_NODES[variant][0]
        robot, robot_log = start_node(robot_module, "robot_node", {
            "robot_type": "so101_follower", "port": follower_sim.port, "calibration_file": str(follower_file)}, tmp)
        teleop, teleop_log = start_node("lerobot_ros.nodes.teleop_node", "teleop_node", {
            "leader_type": "so101_leader", "leader_port": leader_sim.port, "leader_calibration_file": str(leader_file),
            "follower_type": "so101_follower", "follower_calibration_file": str(follower_file),
            "ramp_time_s": 1.0, "time_from_start_s": time_from_start_s, "diagnostics_rate_hz": 2.0}, tmp)
        rclpy.init()
        node = rclpy.create_node("teleop_latency_benchmark")
        diagnostics: list[dict[str, str]] = []

        def on_diagnostics(msg: DiagnosticArray) -> None:
            for status in msg.status:
                values = {kv.key: kv.value for kv in status.values}
                if status.name.startswith("teleop_node") and "phase" in values:
                    diagnostics.append(values)

        node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
        spinning = spin_in_thread(node)
        pan = leader_sim.servo(leader_type.motor("shoulder_pan").id)
        goal = follower_sim.servo(follower_type.motor("shoulder_pan").id)
        rest = pan.actual_position
        try:
            deadline = time.monotonic() + 60
            while not (diagnostics and diagnostics[-1]["phase"] == "tracking") and time.monotonic() < deadline:
                time.sleep(0.05)
            if not diagnostics or diagnostics[-1]["phase"] != "tracking":
                raise RuntimeError(f"teleop never tracked; logs:\n{robot_log.read_text()}\n{teleop_log.read_text()}")
            time.sleep(0.5)
            first, settled = [], []
            rng = np.random.default_rng(0)
            for i in range(moves):
                time.sleep(rng.uniform(0.15, 0.25))  # random phases of both 10 ms loops
                before = goal.read_register("Goal_Position")
                step = STEP_TICKS if i % 2 == 0 else -STEP_TICKS
                moved = time.perf_counter()
                pan.set_actual_position(rest + (STEP_TICKS if i % 2 == 0 else 0))
                target = pair.follower_raw({m.name: leader_sim.servo(m.id).read_register("Present_Position")
                                            for m in leader_type.joints})["shoulder_pan"]
                changed = None
                while time.perf_counter() - moved < 1.0:
                    now_goal = goal.read_register("Goal_Position")
                    if changed is None and (now_goal - before) * step > 0:
                        changed = time.perf_counter()
                    if abs(now_goal - target) <= 1:
                        break
                    time.sleep(0.0002)
                end = time.perf_counter()
                first.append((changed or end) - moved)
                settled.append(end - moved)
            time.sleep(1.0)  # one more /diagnostics with every stamp
            stats = diagnostics[-1]
        finally:
            if spinning.stop():
                node.destroy_node()
            rclpy.try_shutdown()
            for proc in (teleop, robot):
                proc.send_signal(2)
                proc.wait(10)
    return {"first": percentiles_ms(first), "settled": percentiles_ms(settled),
            "read_to_publish": (float(stats["read_to_publish_ms_p50"]), float(stats["read_to_publish_ms_p99"])),
            "overruns": stats["loop_overruns"], "clamped": stats["clamped_steps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=100, help="leader moves measured")
    parser.add_argument("--time-from-start", type=float, default=0.01,
                        help="teleop_node time_from_start_s (its default is 0.01)")
    parser.add_argument("--reference", action="store_true",
                        help="also measure robot_node as before issue 20 (rclpy's MultiThreadedExecutor) and as "
                             "first shipped for issue 20 (commands read at the tick only)")
    args = parser.parse_args()
    sys.setswitchinterval(0.0005)  # this process serves both simulated buses while it polls them
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"simulated SO-101 leader and follower, 1 Mbps wire timing; rate_hz 100, time_from_start_s "
          f"{args.time_from_start}; {args.moves} moves of {STEP_TICKS} ticks; load average (1 min) before each run\n")
    print("| robot_node | measurement | p50 | p90 | p99 | max | load |")
    print("|---|---|---|---|---|---|---|")
    for variant in ("shipped", "tick", "executor") if args.reference else ("shipped",):
        load = os.getloadavg()[0]
        r = measure(args.moves, args.time_from_start, variant)
        name = ROBOT_NODES[variant][1]
        for key, label in (("first", "leader shaft moved -> follower Goal_Position first changes"),
                           ("settled", "leader shaft moved -> follower Goal_Position at LeRobot's goal (+/-1 tick)")):
            q = r[key]
            print(f"| {name} | {label} | {q['p50']:.1f} ms | {q['p90']:.1f} ms | {q['p99']:.1f} ms | {q['max']:.1f} ms "
                  f"| {load:.2f} |")
        p50, p99 = r["read_to_publish"]
        print(f"| {name} | teleop_node: leader read started -> trajectory published (last 1000) | {p50:.2f} ms "
              f"| | {p99:.2f} ms | | |")
        print(f"| {name} | teleop_node loop overruns: {r['overruns']}, clamped steps: {r['clamped']} | | | | | |",
              flush=True)

if __name__ == "__main__":
    main()
