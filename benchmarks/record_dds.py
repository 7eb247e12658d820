"""Recording over real DDS, on the path users take: robot_node (simulated SO-101) and N camera_node
processes (simulated view, 640x480@30, raw rgb8 over the shared-memory profile), recorded by
`lerobot-ros record` in a process of its own, for E episodes of S seconds each.

    .venv/bin/python benchmarks/record_dds.py                          # 1 and 2 cameras, 10 x 30 s
    .venv/bin/python benchmarks/record_dds.py --cameras 1 --episodes 20 --seconds 10
    .venv/bin/python benchmarks/record_dds.py --cameras 1 --busy      # one core kept busy meanwhile

The recording config is the shipped ``config/recording/so101_front_camera.yaml`` with what a
recording without teleop has (the follower's joint_states and the cameras, each camera with the
shipped camera's ``max_age_s``; no action topic, no language; joints in LeRobot's degrees through the
simulator's calibration). Per episode (a take: a take split at a
stall saves several dataset episodes) it reports written/ticks, the gaps (stalls that split it) and
the largest message age any stream had at a tick, read from the recorder's quality reports.

The reference, in the same invocation and on the same graph: the same command with the recorder
on rclpy's MultiThreadedExecutor, as before issue 23 (``benchmarks/record_with_rclpy_executor.py``;
``--reference-episodes``, 0 to skip). ``benchmarks/record.py`` measures the recorder core without
DDS against LeRobot's writer; this one adds the transport, the conversion and the node processes.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import yaml

from lerobot_ros.dds import keep_dds_on_loopback  # before any node starts: they inherit the settings
from lerobot_ros.package_files import config_path

keep_dds_on_loopback("benchmarks/record_dds.py", domain_id=94)

SHIPPED_CONFIG = "recording/so101_front_camera.yaml"
HEIGHT, WIDTH, FPS = 480, 640, 30


def recording_config(cameras: int) -> dict:
    """The shipped config's robot, joint_states feature and camera, repeated for ``cameras`` cameras."""
    shipped = yaml.safe_load(config_path(SHIPPED_CONFIG).read_text())
    state = next(f for f in shipped["features"] if f["key"] == "observation.state")
    camera = next(f for f in shipped["features"] if f["type"] == "image")
    features = [state] + [{**camera, "key": f"observation.images.cam{i}", "topic": f"cam{i}/image_raw"}
                          for i in range(cameras)]
    return {"fps": shipped["fps"], "robot": shipped["robot"], "features": features}


def start(module: str, params: list[str], log: pathlib.Path) -> subprocess.Popen:
    args = [sys.executable, "-m", module, "--ros-args"] + [a for p in params for a in ("-p", p)]
    return subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def takes(reports: pathlib.Path) -> list[dict]:
    """One entry per take, from the per-episode quality reports (a split take wrote several)."""
    result = []
    for path in sorted(reports.glob("episode_*.json")):
        report = json.loads(path.read_text())
        if report.get("part", 0) != 0:
            continue
        account, streams = report["account"], report["quality"]["streams"]
        result.append({
            "ticks": account["ticks"], "written": account["written"],
            "lost": account["not_fresh"] + account["dropped_encoder"] + account["after_truncation"],
            "gaps": len(account["gaps"]), "parts": report.get("parts", 1),
            "max_age_s": max(s["max_age_s"] or 0.0 for s in streams.values()),
            "max_age_stream": max(streams, key=lambda k: streams[k]["max_age_s"] or 0.0),
            # lerobot-ros record's stop_episode waits for the commit: from the stop to committed.
            "stop_blocked_s": report.get("committed_after_s", report["stop_blocked_s"]),
        })
    return result


def run(cameras: int, episodes: int, seconds: float, codec: str, work: pathlib.Path, reference: bool = False) -> dict:
    work.mkdir(parents=True)
    config = work / "rec.yaml"
    config.write_text(yaml.safe_dump(recording_config(cameras), sort_keys=False))
    nodes = [start("lerobot_ros.nodes.robot_node", ["robot_type:=so101_follower", "port:=sim"], work / "robot.log")]
    nodes += [start("lerobot_ros.nodes.camera_node", [f"name:=cam{i}", "source:=sim", f"width:={WIDTH}",
                                                      f"height:={HEIGHT}", f"fps:={FPS}.0"], work / f"cam{i}.log")
              for i in range(cameras)]
    load_before = os.getloadavg()[0]
    try:
        started = time.monotonic()
        command = ([sys.executable, str(pathlib.Path(__file__).parent / "record_with_rclpy_executor.py")] if reference
                   else [sys.executable, "-m", "lerobot_ros.cli.main", "record"])
        record = subprocess.run(
            [*command, "--config", str(config), "--root",
             str(work / "ds"), "--task", "hold still", "--num-episodes", str(episodes), "--episode-time-s",
             str(seconds), "--reset-time-s", "0", "--codec", codec, "--no-keyboard", "--port", "sim"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=episodes * (seconds + 30) + 120)
        elapsed = time.monotonic() - started
    finally:
        for node in nodes:
            stop(node)
    if record.returncode != 0 and not reference:  # the reference may end early: nothing saved in a take
        raise SystemExit(f"lerobot-ros record failed ({record.returncode}):\n{record.stdout}\n{record.stderr}")
    per_take = takes(work / "ds.quality")
    return {"cameras": cameras, "episodes": per_take, "elapsed_s": elapsed, "load_before": load_before,
            "load_after": os.getloadavg()[0], "executor": "rclpy MultiThreadedExecutor" if reference else "shipped"}


def _fraction(result: dict) -> float:
    """Written ticks over the ticks of every take asked for (a take that saved nothing counts 0)."""
    written = sum(t["written"] for t in result["episodes"])
    return written / max(1, sum(t["ticks"] for t in result["episodes"]))


def summary_row(result: dict, busy: bool) -> str:
    takes_ = result["episodes"]
    written, ticks = sum(t["written"] for t in takes_), sum(t["ticks"] for t in takes_)
    worst = min(t["written"] / t["ticks"] for t in takes_)
    held = sum(t["written"] >= 0.98 * t["ticks"] for t in takes_)
    oldest = max(takes_, key=lambda t: t["max_age_s"])
    blocked = sorted(t["stop_blocked_s"] for t in takes_)
    if not takes_:
        return f"| {result['cameras']} | {result['executor']} | {'one core kept busy' if busy else 'as found'} | 0 | nothing saved | | | | | |"
    return (f"| {result['cameras']} | {result['executor']} | {'one core kept busy' if busy else 'as found'} | {len(takes_)} | {written}/{ticks} "
            f"({100 * written / ticks:.2f} %) | {100 * worst:.1f} % | {held}/{len(takes_)} | "
            f"{sum(t['gaps'] for t in takes_)} | {oldest['max_age_s'] * 1000:.0f} ms ({oldest['max_age_stream']}) | "
            f"{blocked[len(blocked) // 2]:.2f} / {blocked[-1]:.2f} s | {result['load_before']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", default="1,2", help="comma-separated camera counts (default 1,2)")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--codec", default="libsvtav1")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a spinning process meanwhile")
    parser.add_argument("--reference-episodes", type=int, default=3,
                        help="episodes recorded with rclpy's MultiThreadedExecutor for comparison (0: none)")
    parser.add_argument("--json", type=pathlib.Path, help="write every take's numbers here")
    args = parser.parse_args()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="record_dds_") as tmp:
            for cameras in (int(c) for c in args.cameras.split(",")):
                results.append(run(cameras, args.episodes, args.seconds, args.codec, pathlib.Path(tmp) / f"n{cameras}"))
                print(f"{cameras} camera(s) done in {results[-1]['elapsed_s']:.0f} s", file=sys.stderr, flush=True)
                if args.reference_episodes:
                    results.append(run(cameras, args.reference_episodes, args.seconds, args.codec,
                                       pathlib.Path(tmp) / f"ref{cameras}", reference=True))
                    ours, ref = (_fraction(r) for r in results[-2:])
                    print(f"  reference done; written fraction ours / reference = {ours / max(ref, 1e-9):.2f}x",
                          file=sys.stderr, flush=True)
    finally:
        if spinner is not None:
            spinner.kill()
    print(f"episodes of {args.seconds:g} s at {FPS} fps, {args.codec}; load average before each run in the last column")
    print("| cameras | executor | machine | episodes | written/ticks | worst episode | episodes >= 98 % | gaps (splits) "
          "| largest message age at a tick | stop_episode p50 / max | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        print(summary_row(result, args.busy))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
