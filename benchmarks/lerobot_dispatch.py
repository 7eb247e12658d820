"""policy_node's dispatch with a LeRobot ACT checkpoint against LeRobot's own deployment loop, on the
same simulated SO-101 (issue 15).

    .venv/bin/python benchmarks/lerobot_dispatch.py [--checkpoint DIR] [--rate 30] [--seconds 30]

What runs
  * The checkpoint: a tiny ACT trained by LeRobot's own ``lerobot-train`` on a reach that lerobot_ros
    recorded on the simulated arm at ``--rate`` fps (tests/lerobot_round_trip.py, the same helpers and
    dims as tests/nodes/test_lerobot_policy.py), unless ``--checkpoint`` names one (a lerobot-train
    ``pretrained_model`` folder whose train_config.json dataset is still on disk).
  * LeRobot: ``lerobot-rollout --strategy.type=base --inference.type=sync --policy.path=<ckpt>
    --robot.type=so101_follower --robot.port=<pty> --fps=<rate>``. LeRobot 0.6 removed
    ``--policy.*`` from ``lerobot-record`` ("lerobot-record is for data collection only. Use
    lerobot-rollout for policy deployment": its RecordConfig refuses a run without a teleoperator);
    lerobot-rollout's base strategy with sync inference is the same loop lerobot-record ran with a
    policy in 0.4 (observation, ``select_action`` with the model run inline whenever the chunk queue is
    empty, ``send_action``, sleep to the next tick). No dataset is written (the base strategy records
    nothing, as policy_node does not).
  * lerobot_ros: robot_node (``so101_follower``, ``publish_rate_hz`` = rate) on the same kind of
    simulated bus, camera_node (its simulated view), policy_node with the same checkpoint (LeRobot
    backend, ``control_rate_hz`` = rate), each its own process over loopback DDS; this process sends
    the task and the operator heartbeat.
  * The arm: our protocol-level Feetech simulator on a pseudo-terminal, served out of process
    (``--serve-sim``), with 1 Mbps wire timing, calibrated as robot_node's ``port:=sim`` is. Both
    sides talk to it through the vendor SDK (LeRobot's FeetechMotorsBus, our bus) and it stamps
    (``SimulatedBus.observe_writes``, time.monotonic) every Goal_Position write of servo 1 that it
    applies: the moment a command reaches the arm.

The camera, measured fairly: ACT needs the image it was trained on (64x48, the simulated view of the
arm). LeRobot's cameras cannot subscribe to camera_node, so the simulator process draws the same view
(lerobot_ros.sim.camera's renderer, at the pose of its own servos) and streams it at 30 fps as a
YUV4MPEG2 stream into a named pipe, which LeRobot's own OpenCVCamera reads (OpenCV's FFmpeg backend):
its reads wait for frames as on a real 30 fps camera and its background thread does not spin. LeRobot
0.6.1 robots demand a camera's width, height and fps, which OpenCVCamera applies with
``VideoCapture.set`` and a pipe refuses, so the camera type is ``pipe``: OpenCVCamera checking them
against the stream instead (benchmarks/lerobot_plugins/lerobot_camera_pipe.py, found by LeRobot's
third-party plugin discovery). policy_node sees camera_node's 30 fps frames of the same
renderer. Resolution, rate and drawing match; the transport differs (a pipe vs DDS), as it would on
a real arm.

Reported, for each side, over ``--seconds`` after ``--warmup-s`` from its first command: the
intervals between Goal_Position writes at the arm (p50, p99, the longest gap: the longest the arm
went without a command), the write rate and the writes more than two periods apart; for lerobot_ros
also policy_node's own dispatch (the intervals at which its trajectories reach this process over
DDS), the figure that compares with LeRobot's one write per loop tick. robot_node writes at each of
its ticks and also when a trajectory arrives (issue 20), so its arm write rate exceeds the control
rate and its p50 is shorter than a period by construction. For LeRobot the intervals are also split
into the ticks that ran the model inline (every ``n_action_steps``-th) and the others; for
policy_node its chunk compute time from /diagnostics (observation to schedule). Ratios are
lerobot_ros over LeRobot (below 1: shorter). The load average is taken before each side and at the
end; the machine is shared, so read the numbers beside it. Nothing is asserted: this is a
measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from lerobot_ros.dds import keep_dds_on_loopback  # before rclpy is imported: it reads the settings then

keep_dds_on_loopback("benchmarks/lerobot_dispatch.py", domain_id=91)

import numpy as np  # noqa: E402
import yaml  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests"
PLUGINS = Path(__file__).resolve().parent / "lerobot_plugins"
ROBOT = "so101_follower"
SIM_PORT = "sim?timing=1mbps"
CAMERA_FPS = 30
TASK = "reach forward"


# -- the simulated arm, out of process --------------------------------------------------------------


def stream_camera(sim, fifo: Path, width: int, height: int, stop: threading.Event) -> None:
    """Draw the arm at its servos' pose into ``fifo`` as YUV4MPEG2 at CAMERA_FPS (a reader that goes
    away and opens the path again gets a fresh stream)."""
    import cv2

    from lerobot_ros.motors.normalization import raw_to_radians
    from lerobot_ros.robots.sim_calibration import default_sim_calibration
    from lerobot_ros.robots.tables import robot_type
    from lerobot_ros.sim.camera import ArmRenderer, SimCameraConfig

    renderer = ArmRenderer(SimCameraConfig(width=width, height=height, fps=CAMERA_FPS))
    calibration = default_sim_calibration(ROBOT)
    motors = robot_type(ROBOT).motors
    ticks_per_turn, feetech_drive_mode = 4096, True  # the SO-101's STS3215, as robots.robot converts them
    while not stop.is_set():
        with open(fifo, "wb", buffering=0) as out:  # blocks until a reader opens the pipe
            out.write(f"YUV4MPEG2 W{width} H{height} F{CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
            start, frame = time.monotonic(), 0
            while not stop.is_set():
                pose = {m.name: raw_to_radians(sim.servo(m.id).read_register("Present_Position"), calibration[m.name],
                                               ticks_per_turn, feetech_drive_mode) for m in motors}
                image = renderer.render(pose)
                try:
                    out.write(b"FRAME\n" + cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420).tobytes())
                except BrokenPipeError:
                    break
                frame += 1
                time.sleep(max(0.0, start + frame / CAMERA_FPS - time.monotonic()))


def serve_sim(stamps_path: str, camera_fifo: str, width: int, height: int) -> None:
    """``--serve-sim``: the simulated arm until stdin closes. Prints its port and the folder of its
    LeRobot calibration (``sim.json``), then saves servo 1's Goal_Position write times to ``stamps_path``."""
    from lerobot_ros.robots.setup import open_sim_for_lerobot

    sim, folder = open_sim_for_lerobot(SIM_PORT, ROBOT)
    stamps: list[float] = []
    sim.observe_writes(lambda servo_id, names, t: stamps.append(t) if servo_id == 1 and "Goal_Position" in names
                       else None)
    stop = threading.Event()
    if camera_fifo:
        os.mkfifo(camera_fifo)
        threading.Thread(target=stream_camera, args=(sim, Path(camera_fifo), width, height, stop),
                         daemon=True).start()
    print(sim.port, folder, flush=True)
    sys.stdin.read()
    stop.set()
    Path(stamps_path).write_text(json.dumps(stamps))
    sim.stop()
    shutil.rmtree(folder, ignore_errors=True)


class SimulatedArm:
    """The ``--serve-sim`` process: ``port``, ``calibration_dir``; ``close()`` returns the write stamps."""

    def __init__(self, work: Path, camera_fifo: Path | None = None, width: int = 0, height: int = 0):
        self.stamps_path = work / "goal_writes.json"
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve-sim", str(self.stamps_path),
                                      str(camera_fifo or ""), str(width), str(height)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError(f"the simulator did not start (exit {self.proc.wait(10)})")
        self.port, self.calibration_dir = line

    def close(self) -> np.ndarray:
        self.proc.stdin.close()
        if self.proc.wait(30) != 0:
            raise RuntimeError(f"the simulator exited with {self.proc.returncode}")
        return np.array(json.loads(self.stamps_path.read_text()))


# -- the checkpoint ----------------------------------------------------------------------------------


def train_checkpoint(work: Path, rate: int) -> Path:
    """Record the reach at ``rate`` fps with lerobot_ros, train ACT with lerobot-train (tiny dims)."""
    import rclpy

    sys.path.insert(0, str(TESTS))
    from lerobot_round_trip import lerobot_train, record_demonstrations
    from nodes.test_lerobot_policy import ACT_ARGS, ACT_STEPS

    work.mkdir(parents=True, exist_ok=True)
    rclpy.init()
    try:
        dataset = record_demonstrations(work / "dataset", work, fps=rate)
    finally:
        rclpy.shutdown()
    return lerobot_train(dataset, work / "act" / "train", ACT_ARGS, ACT_STEPS)


# -- the two sides -----------------------------------------------------------------------------------


def window(stamps: np.ndarray, start: float, seconds: float) -> np.ndarray:
    chosen = stamps[(stamps >= start) & (stamps <= start + seconds)]
    if len(chosen) < 10:
        raise RuntimeError(f"only {len(chosen)} commands in the {seconds} s window")
    return chosen


def stats(stamps: np.ndarray, rate: float) -> dict:
    intervals = np.diff(stamps)
    ms = lambda v: round(float(v) * 1e3, 2)  # noqa: E731
    return {"commands": int(len(stamps)), "rate_hz": round(float((len(stamps) - 1) / (stamps[-1] - stamps[0])), 2),
            "interval_ms": {"p50": ms(np.percentile(intervals, 50)), "p99": ms(np.percentile(intervals, 99)),
                            "max": ms(intervals.max())},
            "gaps_over_2_periods": int(np.sum(intervals > 2.0 / rate))}


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def camera_plugin(work: Path) -> Path:
    """A folder for PYTHONPATH where LeRobot's plugin discovery (importlib.metadata distributions named
    ``lerobot_camera_*``) finds benchmarks/lerobot_plugins/lerobot_camera_pipe.py."""
    folder = work / "plugins"
    info = folder / "lerobot_camera_pipe-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lerobot_camera_pipe\nVersion: 0\n")
    shutil.copy(PLUGINS / "lerobot_camera_pipe.py", folder)
    return folder


def run_lerobot(checkpoint: Path, rate: int, seconds: float, warmup_s: float, work: Path, width: int,
                height: int) -> dict:
    """lerobot-rollout (sync ACT inference) on the simulated arm; its Goal_Position write times."""
    work.mkdir(parents=True)
    fifo = work / "front.y4m"
    arm = SimulatedArm(work, fifo, width, height)
    cameras = "{front: {type: pipe, index_or_path: %s, width: %d, height: %d, fps: %d}}" % (fifo, width, height,
                                                                                          CAMERA_FPS)
    command = [str(Path(sys.executable).parent / "lerobot-rollout"), "--strategy.type=base", "--inference.type=sync",
               f"--policy.path={checkpoint}", "--device=cpu", f"--robot.type={ROBOT}", f"--robot.port={arm.port}",
               "--robot.id=sim", f"--robot.calibration_dir={arm.calibration_dir}", f"--robot.cameras={cameras}",
               f"--task={TASK}", f"--fps={rate}", f"--duration={warmup_s + seconds + 3}", "--play_sounds=false",
               "--return_to_initial_position=false", "--display_data=false"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_LEROBOT_HOME": str(work / "hf_lerobot_home"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(camera_plugin(work)), os.environ.get("PYTHONPATH")]))}
    before = load()
    log = work / "lerobot_rollout.log"
    try:
        with open(log, "wb") as out:
            result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    timeout=warmup_s + seconds + 300)
    finally:
        stamps = arm.close()
    if result.returncode != 0:
        raise RuntimeError(f"lerobot-rollout failed ({result.returncode}):\n{' '.join(command)}\n"
                           f"{log.read_text(errors='replace')[-4000:]}")
    if not len(stamps):
        raise RuntimeError(f"lerobot-rollout never wrote Goal_Position:\n{log.read_text(errors='replace')[-4000:]}")
    steps = json.loads((checkpoint / "config.json").read_text())["n_action_steps"]
    return {"command": " ".join(command[1:]), "load_before": before,
            "arm": stats(window(stamps, stamps[0] + warmup_s, seconds), rate),
            "by_tick": model_ticks(stamps, steps, stamps[0] + warmup_s, seconds)}


def model_ticks(stamps: np.ndarray, steps: int, start: float, seconds: float) -> dict:
    """LeRobot's sync loop writes once a tick and runs the model inline when its queue of ``steps``
    actions is empty: on the first tick and every ``steps``-th after, so the write ending every
    ``steps``-th interval waited for the model. Their intervals apart from the others (in the window)."""
    intervals = np.diff(stamps)
    inside = (stamps[:-1] >= start) & (stamps[1:] <= start + seconds)  # as window() chooses them
    model = (np.arange(len(intervals)) % steps) == steps - 1
    ms = lambda v: round(float(v) * 1e3, 2)  # noqa: E731
    return {f"{name}_interval_ms": {"count": int(sum(chosen)), "p50": ms(np.median(intervals[chosen])),
                                    "max": ms(intervals[chosen].max())}
            for name, chosen in (("model_tick", inside & model), ("queue_tick", inside & ~model))}


def start_node(module: str, name: str, params: dict, work: Path) -> subprocess.Popen:
    params_file = work / f"{name}.yaml"
    params_file.write_text(yaml.safe_dump({name: {"ros__parameters": params}}))
    return subprocess.Popen([sys.executable, "-m", module, "--ros-args", "-r", f"__node:={name}", "--params-file",
                             str(params_file)], stdout=open(work / f"{name}.log", "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_nodes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, 2)
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def run_lerobot_ros(checkpoint: Path, rate: int, seconds: float, warmup_s: float, work: Path, width: int,
                    height: int) -> dict:
    """robot_node + camera_node + policy_node on the simulated arm; Goal_Position writes and trajectory arrivals."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from std_msgs.msg import Empty, String
    from trajectory_msgs.msg import JointTrajectory

    from lerobot_ros.nodes.spin_thread import spin_in_thread

    work.mkdir(parents=True)
    arm = SimulatedArm(work)
    calibration = str(Path(arm.calibration_dir) / "sim.json")
    before = load()
    procs = [start_node("lerobot_ros.nodes.robot_node", "robot_node", {
                 "robot_type": ROBOT, "port": arm.port, "calibration_file": calibration,
                 "publish_rate_hz": float(rate)}, work),
             start_node("lerobot_ros.nodes.camera_node", "front_camera", {
                 "name": "front", "source": "sim", "width": width, "height": height, "fps": float(CAMERA_FPS)}, work),
             start_node("lerobot_ros.nodes.policy_node", "policy_node", {
                 "checkpoint": str(checkpoint), "backend": "lerobot", "calibration_file": calibration,
                 "control_rate_hz": float(rate), "heartbeat_timeout_s": 1.0}, work)]
    logs = lambda: "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"  # noqa: E731
                             for p in sorted(work.glob("*.log")))
    arrivals: list[float] = []
    try:
        deadline = time.monotonic() + 180
        while "ready" not in (work / "policy_node.log").read_text(errors="replace"):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"policy_node did not get ready:\n{logs()}")
            time.sleep(0.2)
        rclpy.init()
        node = rclpy.create_node("lerobot_dispatch_benchmark")
        node.create_subscription(JointTrajectory, "arm_controller/joint_trajectory",
                                 lambda m: arrivals.append(time.monotonic()) if m.points else None, 100)
        latencies: list[float] = []  # policy_node's chunk compute, observation to schedule (1 Hz /diagnostics)
        node.create_subscription(DiagnosticArray, "/diagnostics", lambda msg: latencies.extend(
            float(kv.value) for status in msg.status if status.name.endswith("runtime") for kv in status.values
            if kv.key == "chunk_latency_s" and kv.value != "nan"), 10)
        task = node.create_publisher(String, "task", 10)
        heartbeat = node.create_publisher(Empty, "heartbeat", 10)
        node.create_timer(0.05, lambda: heartbeat.publish(Empty()))
        spinning = spin_in_thread(node)
        try:
            deadline = time.monotonic() + 20
            while task.get_subscription_count() == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            task.publish(String(data=TASK))
            deadline = time.monotonic() + 60
            while not arrivals and time.monotonic() < deadline:
                time.sleep(0.05)
            if not arrivals:
                raise RuntimeError(f"no trajectory came from policy_node:\n{logs()}")
            start = arrivals[0] + warmup_s
            time.sleep(max(0.0, start + seconds + 0.5 - time.monotonic()))
        finally:
            if spinning.stop():
                node.destroy_node()
            rclpy.shutdown()
    finally:
        stop_nodes(procs)
        stamps = arm.close()
    return {"load_before": before, "arm": stats(window(stamps, start, seconds), rate),
            "policy_node_dispatch": stats(window(np.array(arrivals), start, seconds), rate),
            "chunk_compute_ms": {"samples": len(latencies), "p50": round(float(np.median(latencies)) * 1e3, 1),
                                 "max": round(max(latencies) * 1e3, 1)} if latencies else None}


def ratios(ours: dict, theirs: dict) -> dict:
    return {key: round(ours["interval_ms"][key] / theirs["interval_ms"][key], 3) for key in ("p50", "p99", "max")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path,
                        help="a lerobot-train ACT pretrained_model folder (default: train one)")
    parser.add_argument("--rate", type=int, default=30, help="control rate of both sides and the training fps")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window of each side")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="left out after each side's first command")
    parser.add_argument("--work", type=Path, help="folder for the dataset, checkpoint and logs (default: a temp one)")
    parser.add_argument("--repeats", type=int, default=1, help="measure both sides this often, alternating the order")
    parser.add_argument("--train-only", action="store_true", help="train the checkpoint, print its path, stop")
    parser.add_argument("--serve-sim", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sim:
        stamps, fifo, width, height = args.serve_sim
        serve_sim(stamps, fifo, int(width), int(height))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="lerobot_dispatch_"))
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = args.checkpoint or train_checkpoint(work / "checkpoint", args.rate)
    if args.train_only:
        print(checkpoint)
        return
    sys.path.insert(0, str(TESTS))
    from lerobot_round_trip import HEIGHT, WIDTH

    for repeat in range(args.repeats):
        # Alternate which side goes first: the shared machine's load drifts over a run.
        run = work / f"run_{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}"
        sides = {"lerobot_rollout": lambda: run_lerobot(checkpoint, args.rate, args.seconds, args.warmup_s,
                                                        run / "lerobot", WIDTH, HEIGHT),
                 "lerobot_ros": lambda: run_lerobot_ros(checkpoint, args.rate, args.seconds, args.warmup_s,
                                                        run / "lerobot_ros", WIDTH, HEIGHT)}
        order = list(sides) if repeat % 2 == 0 else list(sides)[::-1]
        measured = {name: sides[name]() for name in order}
        theirs, ours = measured["lerobot_rollout"], measured["lerobot_ros"]
        result = {
            "machine": f"{platform.node()} ({os.cpu_count()} cpus)", "date": datetime.now(timezone.utc).isoformat(),
            "load_average_end": load(), "checkpoint": str(checkpoint), "rate_hz": args.rate,
            "period_ms": round(1e3 / args.rate, 2), "seconds": args.seconds, "order": order, **measured,
            "ratio_arm_writes_ours_over_lerobot": ratios(ours["arm"], theirs["arm"]),
            "ratio_policy_node_dispatch_over_lerobot": ratios(ours["policy_node_dispatch"], theirs["arm"]),
        }
        print(json.dumps(result, indent=2), flush=True)

if __name__ == "__main__":
    main()
