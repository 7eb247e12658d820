"""How many 640x480@30 fps cameras (plus 6 joints at 100 Hz) record with zero lost frames, and how
long stopping an episode blocks: our recorder core against LeRobot 0.4.4's writer, same frames.

    .venv/bin/python benchmarks/record.py                       # 1, 2, 3 cameras, 10 s episodes
    .venv/bin/python benchmarks/record.py --cameras 1,2,4 --seconds 20 --codec libx264

Ours: ``RecordingSession`` (what recorder_node and ``lerobot-ros record`` run) in this process, fed
in real time by a thread (joints every 10 ms, every camera every 33.3 ms); its ticker samples the
30 fps grid and its worker encodes in the background. Lost = grid ticks not written (dropped by the
full encoder queue, or after the episode was truncated at the first drop). Blocked = how long
``stop_episode`` blocked (draining the queue and the crash-safe save).

LeRobot 0.4.4 (``~/.cache/lerobot-ref-0.4.4``, scripts/reference_venv_044.sh), run by this file in
that venv: ``LeRobotDataset.create`` as lerobot-record sets it up (4 image-writer threads per camera,
videos encoded at save), then a 30 Hz loop with absolute deadlines calling ``add_frame`` for the same
frames, ``save_episode`` and ``finalize``. LeRobot never drops: a tick that cannot keep up runs late
and its frame is still stamped frame_index / fps. Lost = ticks of the wall-clock window that got no
frame; late = frames added more than one period after their tick. Blocked = ``save_episode``.

No DDS is involved on either side (the node adds message transport and conversion). Both runs
happen one after the other in one invocation, so they see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

REFERENCE_PYTHON = pathlib.Path.home() / ".cache" / "lerobot-ref-0.4.4" / "bin" / "python"
HEIGHT, WIDTH, FPS, JOINT_HZ = 480, 640, 30, 100
JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
DISTINCT_FRAMES = 30


def camera_keys(cameras: int) -> list[str]:
    return [f"observation.images.cam{i}" for i in range(cameras)]


def images(cameras: int) -> list[list[np.ndarray]]:
    """DISTINCT_FRAMES moving gradients per camera (real work for the encoder), made once."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return [[np.stack([(x + 4 * i + 40 * c) % 256, (y + 3 * i) % 256, ((x + y) // 4 + 2 * i) % 256],
                      -1).astype(np.uint8) for i in range(DISTINCT_FRAMES)] for c in range(cameras)]


def joints(i: int) -> np.ndarray:
    return np.sin(np.arange(6) + i / 50.0).astype(np.float32)


# -- ours ------------------------------------------------------------------------------------------

def run_ours(cameras: int, seconds: float, codec: str, root: pathlib.Path) -> dict:
    from lerobot_ros.dataset import VideoEncoding
    from lerobot_ros.recording import load_recording_config
    from lerobot_ros.recording.recording_session import RecordingSession, SessionSettings

    features = [{"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": JOINTS}]
    features += [{"key": key, "topic": f"{key}/image_raw", "type": "image", "height": HEIGHT, "width": WIDTH}
                 for key in camera_keys(cameras)]
    config = load_recording_config({"fps": FPS, "features": features})
    session = RecordingSession.open(config, SessionSettings(root=root, video=VideoEncoding(codec=codec)), None)
    frames = images(cameras)
    stop = threading.Event()

    def feed() -> None:
        start, i = time.monotonic(), 0
        while not stop.is_set():
            session.push("observation.state", joints(i))
            if i % (JOINT_HZ // 10) in (0, 3, 7):  # 30 of every 100 joint ticks: 30 Hz cameras
                for c, key in enumerate(camera_keys(cameras)):
                    session.push(key, frames[c][i % DISTINCT_FRAMES])
            i += 1
            stop.wait(max(0.0, start + i / JOINT_HZ - time.monotonic()))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    session.start_ticker()
    time.sleep(0.5)  # every stream fresh before the episode starts
    session.start_episode("benchmark")
    time.sleep(seconds)
    outcome = session.stop_episode()
    stop.set()
    feeder.join()
    session.finalize()
    a = outcome.account
    return {"ticks": a.ticks, "written": a.written, "lost": a.ticks - a.written, "dropped_encoder": a.dropped_encoder,
            "not_fresh": a.not_fresh, "truncated": a.truncated, "blocked_s": outcome.blocked_s}


# -- LeRobot 0.4.4 (runs in its venv) ----------------------------------------------------------------

def run_lerobot(cameras: int, seconds: float, codec: str, root: pathlib.Path) -> dict:
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {"observation.state": {"dtype": "float32", "shape": (6,), "names": JOINTS},
                "action": {"dtype": "float32", "shape": (6,), "names": JOINTS}}
    features.update({key: {"dtype": "video", "shape": (HEIGHT, WIDTH, 3), "names": ["height", "width", "channels"]}
                     for key in camera_keys(cameras)})
    ds = LeRobotDataset.create("bench/record", FPS, features, root=root, robot_type="so_follower", use_videos=True,
                               image_writer_threads=4 * cameras, vcodec=codec)
    frames = images(cameras)
    start = time.monotonic()
    added = late = 0
    while (tick := added) < seconds * FPS and time.monotonic() - start < seconds:
        deadline = start + tick / FPS
        now = time.monotonic()
        if now < deadline:
            time.sleep(deadline - now)
        late += time.monotonic() - deadline > 1.0 / FPS
        frame = {"observation.state": joints(tick * 10 // 3), "action": joints(tick * 10 // 3), "task": "benchmark"}
        frame.update({key: frames[c][tick % DISTINCT_FRAMES] for c, key in enumerate(camera_keys(cameras))})
        ds.add_frame(frame)
        added += 1
    t0 = time.perf_counter()
    ds.save_episode()
    blocked = time.perf_counter() - t0
    ds.finalize()
    ticks = int(seconds * FPS)
    return {"ticks": ticks, "written": added, "lost": ticks - added, "late": late, "blocked_s": blocked}


def lerobot_in_its_venv(cameras: int, seconds: float, codec: str, root: pathlib.Path) -> dict:
    if not REFERENCE_PYTHON.exists():
        raise SystemExit(f"no LeRobot 0.4.4 venv at {REFERENCE_PYTHON}: run scripts/reference_venv_044.sh")
    out = subprocess.run([str(REFERENCE_PYTHON), __file__, "--lerobot-child", str(cameras), str(seconds), codec,
                          str(root)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                                           "HOME": str(pathlib.Path.home())})
    if out.returncode != 0:
        raise SystemExit(f"LeRobot 0.4.4 run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--lerobot-child":
        cameras, seconds, codec, root = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], pathlib.Path(sys.argv[5])
        print(json.dumps(run_lerobot(cameras, seconds, codec, root)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", default="1,2,3", help="camera counts to try, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="episode length")
    parser.add_argument("--codec", default="libsvtav1", help="libsvtav1 (LeRobot's default) or libx264")
    args = parser.parse_args()
    print(f"{args.seconds:g} s episodes, {WIDTH}x{HEIGHT}@{FPS} cameras + 6 joints at {JOINT_HZ} Hz, {args.codec}")
    print("| cameras | ours: written/ticks | ours: lost | ours: stop_episode blocks | LeRobot 0.4.4: frames/ticks "
          "| LeRobot: late | LeRobot: save_episode blocks | blocking ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for cameras in [int(c) for c in args.cameras.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_ours(cameras, args.seconds, args.codec, pathlib.Path(tmp) / "ours")
            theirs = lerobot_in_its_venv(cameras, args.seconds, args.codec, pathlib.Path(tmp) / "lerobot")
        cause = (f" (truncated: {ours['dropped_encoder']} dropped by the encoder queue, {ours['not_fresh']} not fresh)"
                 if ours["truncated"] else "")
        print(f"| {cameras} | {ours['written']}/{ours['ticks']} | {ours['lost']}{cause} | {ours['blocked_s']:.2f} s | "
              f"{theirs['written']}/{theirs['ticks']} | {theirs['late']} | {theirs['blocked_s']:.2f} s | "
              f"{theirs['blocked_s'] / max(ours['blocked_s'], 1e-9):.1f}x |", flush=True)


if __name__ == "__main__":
    main()
