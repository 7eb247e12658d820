"""robot_node's rate under teleoperation: the full graph of a teleoperated recording, measured at the
follower's joint_states.

    .venv/bin/python benchmarks/teleop_rate.py                 # --seconds 30, simulator in and out of process
    .venv/bin/python benchmarks/teleop_rate.py --sim out --no-reference

The graph, each node a process of its own as `ros2 launch lerobot_ros teleop.launch.py camera:=true`
plus a recorder starts it: robot_node (simulated SO-101 follower, 1 Mbps wire timing), teleop_node
(simulated SO-101 leader, 1 Mbps, in its own process: the launch file's default) streaming
``arm_controller/joint_trajectory`` at 100 Hz, camera_node (simulated view, 640x480 rgb8 at 30 fps)
and recorder_node recording an episode of the shipped so101_front_camera.yaml (state, action,
camera; libsvtav1) while the window is measured. This process subscribes to joint_states and reports
the rate and the period between header stamps (stamped by robot_node's loop at each tick), the
command rate it saw, robot_node's loop overruns (its /diagnostics) and its CPU use.

Simulator placement: ``in``: port ``sim?timing=1mbps``, the simulator's threads inside robot_node's
process (what ``port:=sim`` does); ``out``: the simulator in a process of its own, robot_node on its
pseudo-terminal, as with a real arm on a serial port.

The reference, in the same invocation and on the same graph: robot_node as before issue 20, its
commands handled by rclpy's MultiThreadedExecutor (benchmarks/robot_node_with_rclpy_executor.py);
``--robot-nodes shipped,tick,executor`` adds robot_node as first shipped for issue 20, commands read
at the loop's tick only (benchmarks/robot_node_reading_at_tick.py).
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

import yaml

from lerobot_ros.dds import keep_dds_on_loopback  # before rclpy is imported: it reads the settings then

keep_dds_on_loopback("benchmarks/teleop_rate.py", domain_id=95)

import numpy as np  # noqa: E402

from lerobot_ros.package_files import config_path  # noqa: E402

BAUD = 1_000_000
TIMED_SIM = "sim?timing=1mbps"
ROBOT_NODES = {  # the robot_node variants measured: command line, and the name in the table
    "shipped": ([sys.executable, "-m", "lerobot_ros.nodes.robot_node"], "shipped (written on arrival)"),
    "tick": ([sys.executable, str(Path(__file__).parent / "robot_node_reading_at_tick.py")],
             "issue 20 as first shipped (read at the tick only)"),
    "executor": ([sys.executable, str(Path(__file__).parent / "robot_node_with_rclpy_executor.py")],
                 "before issue 20 (rclpy MultiThreadedExecutor)"),
}


def serve_sim(robot: str) -> None:
    """``--serve-sim``: a simulated bus in this process until stdin closes; prints its port first."""
    from lerobot_ros.robots.ports import simulated_bus

    with simulated_bus(robot, timing_baudrate=BAUD) as sim:
        print(sim.port, flush=True)
        sys.stdin.read()


def recording_config() -> dict:
    shipped = yaml.safe_load(config_path("recording/so101_front_camera.yaml").read_text())
    return {"fps": shipped["fps"], "robot": shipped["robot"], "features": shipped["features"]}


def start(command: list[str], params: dict, log: Path) -> subprocess.Popen:
    args = [*command, "--ros-args"] + [a for k, v in params.items() for a in ("-p", f"{k}:={v}")]
    return subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(sim: str, variant: str, seconds: float, work: Path) -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from lerobot_ros_interfaces.srv import StartEpisode
    from sensor_msgs.msg import JointState
    from std_srvs.srv import Trigger
    from trajectory_msgs.msg import JointTrajectory

    from lerobot_ros.motors.calibration import save_calibration
    from lerobot_ros.nodes.spin_thread import spin_in_thread
    from lerobot_ros.robots.sim_calibration import default_sim_calibration

    work.mkdir(parents=True)
    (work / "rec.yaml").write_text(yaml.safe_dump(recording_config(), sort_keys=False))
    follower_cal = str(save_calibration(work / "follower.json", default_sim_calibration("so101_follower")))
    procs: list[subprocess.Popen] = []
    simulator = None
    if sim == "out":
        simulator = subprocess.Popen([sys.executable, __file__, "--serve-sim", "so101_follower"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = simulator.stdout.readline().strip()
    else:
        port = TIMED_SIM
    robot_cmd = ROBOT_NODES[variant][0]
    rclpy.init()
    node = rclpy.create_node("teleop_rate_benchmark")
    stamps: list[float] = []
    received: list[float] = []
    commands: list[float] = []
    overruns: list[int] = []
    recording = False

    def on_state(msg: JointState) -> None:
        if recording:
            stamps.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)
            received.append(time.monotonic())

    def on_command(_msg) -> None:
        if recording:
            commands.append(time.monotonic())

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == "robot_node: bus":
                values = {kv.key: kv.value for kv in status.values}
                overruns.append(int(values["loop_overruns"]))

    node.create_subscription(JointState, "joint_states", on_state, 200)
    node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory", on_command, 200)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    start_client = node.create_client(StartEpisode, "recorder_node/start_episode")
    stop_client = node.create_client(Trigger, "recorder_node/stop_episode")
    spinning = spin_in_thread(node)
    try:
        robot = start(robot_cmd, {"robot_type": "so101_follower", "port": port, "calibration_file": follower_cal},
                      work / "robot.log")
        procs.append(robot)
        procs.append(start([sys.executable, "-m", "lerobot_ros.nodes.teleop_node"], {
            "leader_type": "so101_leader", "leader_port": TIMED_SIM, "follower_type": "so101_follower",
            "follower_port": port, "follower_calibration_file": follower_cal}, work / "teleop.log"))
        procs.append(start([sys.executable, "-m", "lerobot_ros.nodes.camera_node"], {
            "name": "front", "source": "sim", "width": 640, "height": 480, "fps": 30.0}, work / "camera.log"))
        procs.append(start([sys.executable, "-m", "lerobot_ros.nodes.recorder_node"], {
            "config": str(work / "rec.yaml"), "root": str(work / "ds"), "port": port,
            "calibration_file": follower_cal}, work / "recorder.log"))
        if not start_client.wait_for_service(timeout_sec=60):
            raise RuntimeError(f"recorder_node did not come up:\n{(work / 'recorder.log').read_text()}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = start_client.call(StartEpisode.Request(task="teleoperated"), timeout_sec=10)
            if answer is not None and answer.success:
                break
            time.sleep(1.0)
        else:
            raise RuntimeError("recorder_node refused to start an episode")
        time.sleep(3.0)  # every stream flowing, the encoder warm
        load = os.getloadavg()[0]
        overruns_before = overruns[-1] if overruns else 0
        sim_pid = simulator.pid if simulator is not None else None
        cpu_before, wall_before = cpu_s(robot.pid), time.monotonic()
        sim_before = cpu_s(sim_pid) if sim_pid else 0.0
        recording = True
        time.sleep(seconds)
        recording = False
        elapsed = time.monotonic() - wall_before
        cpu = (cpu_s(robot.pid) - cpu_before) / elapsed
        sim_cpu = (cpu_s(sim_pid) - sim_before) / elapsed if sim_pid else 0.0
        time.sleep(1.2)  # one more /diagnostics
        overruns_after = overruns[-1] if overruns else -1
        stop_client.call(Trigger.Request(), timeout_sec=30)
    finally:
        for proc in reversed(procs):
            stop(proc)
        if simulator is not None:
            simulator.stdin.close()
            simulator.wait(10)
        if spinning.stop():
            node.destroy_node()
        rclpy.try_shutdown()
    periods_ms = np.diff(np.asarray(stamps)) * 1e3
    received_ms = np.diff(np.asarray(received)) * 1e3
    return {"sim": sim, "robot_node": ROBOT_NODES[variant][1],
            "rate_hz": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
            "stamp_ms": [float(np.percentile(periods_ms, q)) for q in (50, 99)] + [float(periods_ms.max())],
            "received_p99_ms": float(np.percentile(received_ms, 99)),
            "command_hz": (len(commands) - 1) / (commands[-1] - commands[0]) if len(commands) > 1 else 0.0,
            "overruns": overruns_after - overruns_before, "cpu": cpu, "sim_cpu": sim_cpu, "load": load}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-sim":
        serve_sim(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window (default 30)")
    parser.add_argument("--sim", default="in,out", help="simulator placements: in, out or in,out")
    parser.add_argument("--no-reference", action="store_true", help="skip robot_node as before issue 20")
    parser.add_argument("--robot-nodes", default="shipped,executor",
                        help=f"robot_node variants, comma-separated, of {', '.join(ROBOT_NODES)} "
                             "(default shipped,executor; --no-reference: shipped)")
    args = parser.parse_args()
    if unknown := set(args.robot_nodes.split(",")) - set(ROBOT_NODES):
        parser.error(f"unknown robot_node variants {sorted(unknown)}; known: {', '.join(ROBOT_NODES)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="teleop_rate_") as tmp:
        for sim in args.sim.split(","):
            for variant in ("shipped",) if args.no_reference else args.robot_nodes.split(","):
                rows.append(measure(sim, variant, args.seconds, Path(tmp) / f"{sim}-{variant}"))
                print(f"simulator {sim}, {rows[-1]['robot_node']}: {rows[-1]['rate_hz']:.2f} Hz", file=sys.stderr,
                      flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.seconds:g} s windows; load average (1 min) at each window's start in the last column\n")
    print("| simulator | robot_node | joint_states rate | stamp period p50 / p99 / max | received period p99 "
          "| commands seen | loop overruns | robot_node CPU (+ simulator process) | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p50, p99, most = r["stamp_ms"]
        print(f"| {r['sim']} process | {r['robot_node']} | {r['rate_hz']:.2f} Hz | {p50:.2f} / {p99:.2f} / {most:.1f} ms "
              f"| {r['received_p99_ms']:.1f} ms | {r['command_hz']:.1f} Hz | {r['overruns']} | {100 * r['cpu']:.0f} %"
              + (f" (+ {100 * r['sim_cpu']:.0f} %)" if r["sim"] == "out" else "") + " "
              f"| {r['load']:.2f} |")


if __name__ == "__main__":
    main()
