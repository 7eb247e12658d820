"""How long stop_episode blocks and what a commit costs, after 1, 50 and 200 episodes of 30 s (issue 20).

    .venv/bin/python benchmarks/stop_episode.py                       # --at 1,50,200 --takes 3 --seconds 30
    .venv/bin/python benchmarks/stop_episode.py --at 1,50 --takes 2 --seconds 10

One 640x480 camera (moving gradients) plus 6-D state and action at 30 fps, libsvtav1 (LeRobot's
defaults). Two layouts, each in a dataset of its own, in the same invocation:

* shipped: ``RecordingSession.end_episode`` (what recorder_node's ~/stop_episode calls) returns at
  once; the take's encoder flush and commit run on the session's commit thread while the next take
  records (takes run back to back, as the keyboard's next_episode does); each episode goes to new
  files (``one_episode_per_file``).
* before issue 20: ``RecordingSession.stop_episode`` blocking until the episode is saved, each
  episode appended to the current data / episodes / video shards (each append rewrites the shard).

Filling: the dataset grows to each size in ``--at`` by committing copies of one real 30 s episode
(encoded once, new random state/action values each time) through the writer's commit
(``save_encoded_episode``), whose time per episode is the commit cost at that size (no encoder
flush). Then ``--takes`` real-time takes of ``--seconds`` are recorded through the session, fed by a
thread (joints every 10 ms, the camera every 33.3 ms): stop blocking, stop -> committed, and the
ticks the takes lost (a commit that held the next take up would show there).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from lerobot_ros.dataset import DatasetWriter, VideoEncoding
from lerobot_ros.dataset.episode_buffer import FinishedEpisode
from lerobot_ros.recording import load_recording_config
from lerobot_ros.recording.recording_session import RecordingSession, SessionSettings

HEIGHT, WIDTH, FPS, JOINT_HZ = 480, 640, 30, 100
FILL_SECONDS = 30
JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
CAMERA = "observation.images.front"
CONFIG = load_recording_config({"fps": FPS, "features": [
    {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": JOINTS},
    {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory", "joints": JOINTS},
    {"key": CAMERA, "topic": "front/image_raw", "type": "image", "height": HEIGHT, "width": WIDTH}]})
DISTINCT_FRAMES = 30
LAYOUTS = {"shipped": True, "before issue 20": False}  # name -> one_episode_per_file


def images() -> list[np.ndarray]:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return [np.stack([(x + 4 * i) % 256, (y + 3 * i) % 256, ((x + y) // 4 + 2 * i) % 256], -1).astype(np.uint8)
            for i in range(DISTINCT_FRAMES)]


def joints(i: int) -> np.ndarray:
    return np.sin(np.arange(6) + i / 50.0).astype(np.float32)


def template_episode(work: Path, encoding: VideoEncoding) -> FinishedEpisode:
    """One 30 s episode encoded for real, its segment kept outside any dataset."""
    writer = DatasetWriter.create(work / "template", FPS, CONFIG.dataset_features(), video=encoding)
    frames = images()
    for i in range(FILL_SECONDS * FPS):
        writer.add_frame({"observation.state": joints(i), "action": joints(i), CAMERA: frames[i % DISTINCT_FRAMES]},
                         "fill")
    finished = writer.take_episode().finish()
    kept = work / "template.mp4"
    shutil.move(finished.segments[CAMERA], kept)
    return FinishedEpisode(finished.length, finished.columns, finished.tasks, finished.events, {CAMERA: kept},
                           finished.video_stats, finished.staging)


def fill(root: Path, one_file: bool, target: int, template: FinishedEpisode, encoding: VideoEncoding,
         rng: np.random.Generator) -> dict[int, float]:
    """Grow the dataset to ``target`` episodes; the commit time of each episode added, by its index."""
    if (root / "meta" / "info.json").exists():
        writer = DatasetWriter.resume(root, one_episode_per_file=one_file)
    else:
        writer = DatasetWriter.create(root, FPS, CONFIG.dataset_features(), video=encoding,
                                      one_episode_per_file=one_file)
    times = {}
    while writer.num_episodes < target:
        staging = root / ".staging" / f"fill-{writer.num_episodes}"
        staging.mkdir(parents=True)
        segment = staging / f"{CAMERA}.mp4"
        shutil.copyfile(template.segments[CAMERA], segment)
        columns = {key: rng.standard_normal(values.shape).astype(values.dtype)
                   for key, values in template.columns.items()}
        episode = FinishedEpisode(template.length, columns, template.tasks, template.events, {CAMERA: segment},
                                  template.video_stats, staging)
        result = writer.save_encoded_episode(episode)
        times[result.episode_index] = result.timings.total_s
    writer.close()
    return times


def record_takes(root: Path, one_file: bool, takes: int, seconds: float, encoding: VideoEncoding) -> list[dict]:
    settings = SessionSettings(root=root, video=encoding, quality_dir=root.parent / f"{root.name}.quality")
    if one_file:
        session = RecordingSession.open(CONFIG, settings, None)
    else:
        writer = DatasetWriter.resume(root, video=encoding, one_episode_per_file=False)
        session = RecordingSession(CONFIG, writer, settings, None)
    frames = images()
    stop = threading.Event()

    def feed() -> None:
        start, i = time.monotonic(), 0
        while not stop.is_set():
            session.push("observation.state", joints(i))
            session.push("action", joints(i))
            if i % (JOINT_HZ // 10) in (0, 3, 7):  # 30 of every 100 joint ticks: 30 Hz camera
                session.push(CAMERA, frames[i % DISTINCT_FRAMES])
            i += 1
            stop.wait(max(0.0, start + i / JOINT_HZ - time.monotonic()))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    session.start_ticker()
    time.sleep(0.5)
    rows, pending = [], []
    try:
        for _ in range(takes):
            session.start_episode("benchmark")
            time.sleep(seconds)
            started = time.perf_counter()
            if one_file:
                pending.append(session.end_episode())
                rows.append({"blocked_s": time.perf_counter() - started})
            else:
                outcome = session.stop_episode()
                rows.append({"blocked_s": time.perf_counter() - started, "outcome": outcome})
        for row, outcome in zip(rows, [f.result() for f in pending]):
            row["outcome"] = outcome
    finally:
        session.finalize()
        stop.set()
        feeder.join()
    for row in rows:
        outcome = row.pop("outcome")
        account = outcome.account
        timings = outcome.results[0].timings if outcome.results else None
        row.update(committed_after_s=outcome.committed_after_s if one_file else row["blocked_s"],
                   flush_s=timings.encode_flush_s if timings else float("nan"),
                   commit_s=(timings.total_s - timings.encode_flush_s) if timings else float("nan"),
                   lost=account.ticks - account.written, ticks=account.ticks, dropped=account.dropped_encoder,
                   not_fresh=account.not_fresh, gaps=len(account.gaps))
    return rows


def folder_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", default="1,50,200", help="dataset sizes (episodes) to measure at")
    parser.add_argument("--takes", type=int, default=3, help="real-time takes recorded at each size")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each take")
    parser.add_argument("--codec", default="libsvtav1")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="shipped, before issue 20, or both")
    args = parser.parse_args()
    sizes = [int(n) for n in args.at.split(",")]
    encoding = VideoEncoding(codec=args.codec)
    load = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory(prefix="stop_episode_") as tmp:
        work = Path(tmp)
        template = template_episode(work, encoding)
        segment_mb = template.segments[CAMERA].stat().st_size / 1e6
        for name in args.layouts.split(","):
            one_file = LAYOUTS[name]
            root, rng = work / name.replace(" ", "_"), np.random.default_rng(0)
            fills: dict[int, float] = {}
            for size in sizes:
                fills.update(fill(root, one_file, size, template, encoding, rng))
                takes = record_takes(root, one_file, args.takes, args.seconds, encoding)
                # The commits the fill made just before this size (up to 5): the cost at this size.
                near = [fills[i] for i in sorted(fills) if size - 5 <= i < size]
                results[(name, size)] = {"takes": takes, "fill_commit_s": float(np.median(near)),
                                         "files": folder_files(root)}
                print(f"{name}, {size} episodes: done", flush=True)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average "
          f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) at the start, {os.getloadavg()[0]:.2f} at the end")
    print(f"{args.codec}, 640x480 camera + 6-D state/action at {FPS} fps; fill episodes {FILL_SECONDS} s "
          f"(segment {segment_mb:.2f} MB); takes of {args.seconds:g} s, {args.takes} per size\n")
    print("| layout | episodes before | stop blocks p50 / max | stop -> committed p50 / max | of which encoder flush p50 "
          "| commit (after the flush) p50 | fill commit at this size (median of 5) | ticks lost in takes | files |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, size), r in results.items():
        t = r["takes"]
        blocked = sorted(x["blocked_s"] for x in t)
        committed = sorted(x["committed_after_s"] for x in t)
        print(f"| {name} | {size} | {1e3 * np.median(blocked):.1f} / {1e3 * blocked[-1]:.1f} ms "
              f"| {np.median(committed):.3f} / {committed[-1]:.3f} s | {np.median([x['flush_s'] for x in t]):.3f} s "
              f"| {np.median([x['commit_s'] for x in t]):.3f} s | {r['fill_commit_s']:.3f} s "
              f"| {sum(x['lost'] for x in t)}/{sum(x['ticks'] for x in t)} (encoder queue full: "
              f"{sum(x['dropped'] for x in t)}, not fresh: {sum(x['not_fresh'] for x in t)}; "
              f"{sum(x['gaps'] for x in t)} splits) | {r['files']} |")


if __name__ == "__main__":
    main()
