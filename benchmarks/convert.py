"""Bag conversion throughput (frames/s): ``lerobot-ros convert`` on one bag and on N bags in
parallel, side by side with LeRobot 0.4.4's writer fed the same decoded frames in the same run.

    .venv/bin/python benchmarks/convert.py                        # 1 and 2 cameras, 10 s bags, 4 bags
    .venv/bin/python benchmarks/convert.py --cameras 1 --seconds 3 --bags 2 --workers 2

The bags (MCAP, written by the rosbags writer before timing) hold 6 joints at 100 Hz and one or two
640x480 JPEG CompressedImage cameras at 30 fps. Ours is the whole conversion: read the bag, decode
the JPEGs, causal sampling onto the 30 fps grid, encode (PyAV) and the crash-safe commit of every
episode. LeRobot 0.4.4 (``~/.cache/lerobot-ref-0.4.4``, scripts/reference_venv_044.sh) has no bag
converter, so it gets only the writing part: the same decoded frames handed to
``LeRobotDataset.create`` / ``add_frame`` / ``save_episode`` (one episode per bag, in sequence, as
its single-process writer runs) / ``finalize``, in its venv, timed from create to finalize.
The ratio is ours / LeRobot in frames per second (above 1: we convert faster than LeRobot writes).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

# The same cameras, frames and joints as the recording benchmark (this folder is on sys.path).
from record import (
    DISTINCT_FRAMES,
    FPS,
    HEIGHT,
    JOINT_HZ,
    JOINTS,
    REFERENCE_PYTHON,
    WIDTH,
    camera_keys,
    images,
)

T0 = 1_700_000_000 * 10**9


def write_bags(folder: pathlib.Path, count: int, cameras: int, seconds: float) -> list[pathlib.Path]:
    """MCAP bags written with the rosbags writer (the test suite's independent bag writer)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "recording"))
    from bag_writers import jpeg_image, joint_state, write_rosbags

    frames = images(cameras)
    messages = [joint_state("/joint_states", T0 + i * 10_000_000 + 1_000_000, JOINTS,
                            np.sin(np.arange(6) + i / 50.0)) for i in range(int(seconds * JOINT_HZ))]
    for c in range(cameras):
        messages += [jpeg_image(f"/cam{c}/image_raw/compressed", T0 + round(i * 1e9 / FPS) + 2_000_000,
                                frames[c][i % DISTINCT_FRAMES]) for i in range(int(seconds * FPS))]
    messages.sort(key=lambda m: m.log_ns)
    return [write_rosbags(folder / f"bag{k}", messages, storage="mcap") for k in range(count)]


def config(cameras: int) -> dict:
    features = [{"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": JOINTS}]
    features += [{"key": key, "topic": f"/cam{c}/image_raw/compressed", "type": "compressed_image",
                  "height": HEIGHT, "width": WIDTH} for c, key in enumerate(camera_keys(cameras))]
    return {"fps": FPS, "features": features, "language": False}


def run_ours(bags: list[pathlib.Path], cameras: int, codec: str, workers: int, root: pathlib.Path) -> dict:
    from lerobot_ros.dataset import VideoEncoding
    from lerobot_ros.recording.convert import convert, options_from_config

    options = options_from_config(config(cameras), task="benchmark", workers=workers,
                                  video=VideoEncoding(codec=codec), progress=False)
    start = time.perf_counter()
    summary = convert(bags, root, options)
    elapsed = time.perf_counter() - start
    return {"frames": summary.frames, "seconds": elapsed, "fps": summary.frames / elapsed}


def run_lerobot(frames_file: pathlib.Path, episodes: int, length: int, codec: str, root: pathlib.Path) -> dict:
    """In the LeRobot 0.4.4 venv: write ``episodes`` episodes of ``length`` frames from the decoded images."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    data = np.load(frames_file)
    cameras = [data[key] for key in sorted(data.files)]
    features = {"observation.state": {"dtype": "float32", "shape": (6,), "names": JOINTS}}
    features.update({key: {"dtype": "video", "shape": (HEIGHT, WIDTH, 3), "names": ["height", "width", "channels"]}
                     for key in camera_keys(len(cameras))})
    start = time.perf_counter()
    ds = LeRobotDataset.create("bench/convert", FPS, features, root=root, use_videos=True,
                               image_writer_threads=4 * len(cameras), vcodec=codec)
    for _ in range(episodes):
        for k in range(length):
            frame = {"observation.state": np.sin(np.arange(6) + k / 15.0).astype(np.float32), "task": "benchmark"}
            frame.update({key: cameras[c][k % DISTINCT_FRAMES] for c, key in enumerate(camera_keys(len(cameras)))})
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()
    elapsed = time.perf_counter() - start
    return {"frames": episodes * length, "seconds": elapsed, "fps": episodes * length / elapsed}


def decoded_frames(bag: pathlib.Path, cameras: int, out: pathlib.Path) -> pathlib.Path:
    """The bag's first DISTINCT_FRAMES camera images as the converter decodes them (JPEG -> RGB)."""
    from lerobot_ros.recording.bags import BagSource
    from lerobot_ros.recording.config import load_recording_config
    from lerobot_ros.recording.message_values import feature_value

    features = [f for f in load_recording_config(config(cameras)).features if f.is_image]
    decoded = {}
    with BagSource(bag).open() as reader:
        for feature in features:
            messages = reader.messages([feature.topic], T0, T0 + round(DISTINCT_FRAMES * 1e9 / FPS))
            decoded[feature.key] = np.stack([feature_value(feature, msg) for _, _, msg in messages])
    np.savez(out, **decoded)
    return out


def lerobot_in_its_venv(frames_file, episodes: int, length: int, codec: str, root: pathlib.Path) -> dict:
    if not REFERENCE_PYTHON.exists():
        raise SystemExit(f"no LeRobot 0.4.4 venv at {REFERENCE_PYTHON}: run scripts/reference_venv_044.sh")
    out = subprocess.run([str(REFERENCE_PYTHON), __file__, "--lerobot-child", str(frames_file), str(episodes),
                          str(length), codec, str(root)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(pathlib.Path.home())})
    if out.returncode != 0:
        raise SystemExit(f"LeRobot 0.4.4 run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--lerobot-child":
        frames_file, episodes, length, codec, root = sys.argv[2:7]
        print(json.dumps(run_lerobot(pathlib.Path(frames_file), int(episodes), int(length), codec,
                                     pathlib.Path(root))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", default="1,2", help="camera counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each bag")
    parser.add_argument("--bags", type=int, default=4, help="bags for the parallel run")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the parallel run")
    parser.add_argument("--codec", default="libsvtav1", help="libsvtav1 (LeRobot's default) or libx264")
    args = parser.parse_args()
    print(f"{args.seconds:g} s bags, {WIDTH}x{HEIGHT}@{FPS} JPEG cameras + 6 joints at {JOINT_HZ} Hz, {args.codec}")
    print("| cameras | bags (workers) | ours: frames/s (s) | LeRobot 0.4.4 writer: frames/s (s) | ratio ours/LeRobot |")
    print("|---|---|---|---|---|")
    for cameras in [int(c) for c in args.cameras.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            bags = write_bags(tmp, args.bags, cameras, args.seconds)
            frames_file = decoded_frames(bags[0], cameras, tmp / "frames.npz")
            for count, workers in ((1, 1), (args.bags, args.workers)):
                ours = run_ours(bags[:count], cameras, args.codec, workers, tmp / f"ours{count}")
                length = ours["frames"] // count
                theirs = lerobot_in_its_venv(frames_file, count, length, args.codec, tmp / f"lerobot{count}")
                print(f"| {cameras} | {count} ({workers}) | {ours['fps']:.1f} ({ours['seconds']:.1f} s) | "
                      f"{theirs['fps']:.1f} ({theirs['seconds']:.1f} s) | {ours['fps'] / theirs['fps']:.2f}x |",
                      flush=True)


if __name__ == "__main__":
    main()
