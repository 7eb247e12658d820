"""How long recording blocks: add_frame per frame and save_episode per episode, ours vs LeRobot.

Records episodes of one 640x480 camera plus 6-D state and action at 30 fps (synthetic moving
images, so the encoder has real work) and prints add_frame p50/p99 and the save_episode blocking
time with its breakdown.

    .venv/bin/python benchmarks/dataset_save.py                      # libsvtav1 (LeRobot's default)
    .venv/bin/python benchmarks/dataset_save.py --codec libx264
    .venv/bin/python benchmarks/dataset_save.py --baseline           # LeRobot 0.6.1, same frames
    .venv/bin/python benchmarks/dataset_save.py --shard-rewrite      # cost of growing a data shard

``--baseline`` runs this file in the LeRobot oracle venv (scripts/oracle_venv.sh) with LeRobot's
``LeRobotDataset`` in its default mode (PNG staging, encode at save_episode) and with
``streaming_encoding=True`` (encoder threads fed during recording).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ORACLE_PYTHON = pathlib.Path.home() / ".cache" / "lerobot-oracle-0.6.1" / "bin" / "python"
HEIGHT, WIDTH, FPS = 480, 640, 30
CAMERA = "observation.images.front"


def frame(i: int, episode: int) -> dict:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    img = np.stack([(x + 4 * i) % 256, (y + 3 * i + 50 * episode) % 256, ((x + y) // 4 + 2 * i) % 256], -1)
    rng = np.random.default_rng(i)
    return {"observation.state": rng.normal(size=6).astype(np.float32),
            "action": rng.normal(size=6).astype(np.float32), CAMERA: img.astype(np.uint8)}


FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [6], "names": [f"j{i}.pos" for i in range(6)]},
    "action": {"dtype": "float32", "shape": [6], "names": [f"j{i}.pos" for i in range(6)]},
    CAMERA: {"dtype": "video", "shape": [HEIGHT, WIDTH, 3], "names": ["height", "width", "channels"]},
}


def report(name: str, add_times: list[float], saves: list[float], parts: dict[str, float] | None) -> None:
    add_ms = np.array(add_times) * 1e3
    print(f"{name}: add_frame p50 {np.percentile(add_ms, 50):.1f} ms, p99 {np.percentile(add_ms, 99):.1f} ms; "
          f"save_episode blocks {np.mean(saves):.3f} s (mean of {len(saves)}, max {max(saves):.3f} s)")
    if parts:
        print("  breakdown (mean s): " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()))


def run_ours(args, frames) -> None:
    from lerobot_ros.dataset import DatasetWriter, VideoEncoding

    root = pathlib.Path(tempfile.mkdtemp()) / "ds"
    writer = DatasetWriter.create(root, FPS, FEATURES, video=VideoEncoding(codec=args.codec))
    add_times, saves, parts = [], [], {}
    for episode in range(args.episodes):
        for values in frames:
            start = time.perf_counter()
            writer.add_frame(values, task="benchmark")
            add_times.append(time.perf_counter() - start)
        result = writer.save_episode()
        saves.append(result.timings.total_s)
        for key, value in vars(result.timings).items():
            parts[key] = parts.get(key, 0.0) + value / args.episodes
    report(f"lerobot_ros ({args.codec})", add_times, saves, parts)


def run_lerobot(args, frames, streaming: bool) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = pathlib.Path(tempfile.mkdtemp()) / "ds"
    features = {k: {**v, "shape": tuple(v["shape"])} for k, v in FEATURES.items()}
    dataset = LeRobotDataset.create("bench/save", FPS, features, root=root, use_videos=True,
                                    streaming_encoding=streaming)
    add_times, saves = [], []
    for episode in range(args.episodes):
        for values in frames:
            start = time.perf_counter()
            dataset.add_frame({**values, "task": "benchmark"})
            add_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        dataset.save_episode()
        saves.append(time.perf_counter() - start)
    dataset.finalize()
    report(f"LeRobot 0.6.1 ({'streaming_encoding' if streaming else 'default'}, libsvtav1)", add_times, saves, None)


def run_shard_rewrite() -> None:
    """Time one episode's append to data shards of growing size (the crash-safe rewrite)."""
    import pyarrow as pa

    from lerobot_ros.dataset.parquet_io import append_table

    rng = np.random.default_rng(0)

    def table(rows: int, first: int) -> pa.Table:
        vector = lambda: pa.FixedSizeListArray.from_arrays(  # noqa: E731
            pa.array(rng.normal(size=rows * 6).astype(np.float32)), 6)
        index = np.arange(first, first + rows)
        return pa.table({"observation.state": vector(), "action": vector(),
                         "timestamp": (index % 900 / FPS).astype(np.float32), "frame_index": index % 900,
                         "episode_index": index // 900, "index": index, "task_index": np.zeros(rows, np.int64)})

    import pyarrow.parquet as pq

    folder = pathlib.Path(tempfile.mkdtemp())
    for frames in (18_000, 180_000, 900_000, 1_800_000):  # 10 min, 1.7 h, 8.3 h, 16.7 h at 30 fps
        path = folder / f"file-{frames}.parquet"
        pq.write_table(table(frames, 0), path, row_group_size=900)  # one row group per 30 s episode
        start = time.perf_counter()
        append_table(path, table(900, frames))
        print(f"append a 900-frame episode to a {path.stat().st_size / 1024**2:.1f} MB shard "
              f"({frames} frames): {time.perf_counter() - start:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--codec", default="libsvtav1")
    parser.add_argument("--baseline", action="store_true", help="measure LeRobot 0.6.1 in the oracle venv")
    parser.add_argument("--shard-rewrite", action="store_true", help="time appends to growing data shards")
    parser.add_argument("--lerobot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.shard_rewrite:
        run_shard_rewrite()
        return
    if args.baseline:
        command = [str(ORACLE_PYTHON), __file__, "--lerobot", "--episodes", str(args.episodes),
                   "--seconds", str(args.seconds)]
        sys.exit(subprocess.call(command))
    frames = [frame(i, 0) for i in range(int(args.seconds * FPS))]
    if args.lerobot:
        run_lerobot(args, frames, streaming=False)
        run_lerobot(args, frames, streaming=True)
    else:
        run_ours(args, frames)


if __name__ == "__main__":
    main()
