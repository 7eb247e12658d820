"""Shared by the dataset tests: a small synthetic recording with values known in advance."""

from __future__ import annotations

import hashlib
from pathlib import Path

import frame_barcode
import numpy as np

from lerobot_ros.dataset import DatasetWriter, FileLimits, LanguageRow, SaveResult, VideoEncoding, say

FPS = 10
CAMERA = "observation.images.front"
HEIGHT, WIDTH = 24, 32
FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [3], "names": ["j1.pos", "j2.pos", "j3.pos"]},
    "action": {"dtype": "float32", "shape": [3], "names": ["j1.pos", "j2.pos", "j3.pos"]},
    CAMERA: {"dtype": "video", "shape": [HEIGHT, WIDTH, 3], "names": ["height", "width", "channels"]},
}
X264 = VideoEncoding(codec="libx264", preset="ultrafast")
TASKS = ("pick up the cube", "put it in the box")


def frame_id(episode: int, frame: int) -> int:
    """The number image(episode, frame) carries in its barcode."""
    return episode << 8 | frame


def image(episode: int, frame: int, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """A smooth synthetic image (gradients move with the frame), easy on lossy codecs, with
    frame_id(episode, frame) in a barcode band at the top (tests/frame_barcode.py)."""
    y, x = np.mgrid[0:height, 0:width]
    r = (60 + 3 * x + 5 * frame) % 256
    g = (40 + 4 * y + 7 * episode) % 256
    b = np.full_like(x, (100 + 10 * frame + 20 * episode) % 200)
    return frame_barcode.stamp(np.stack([r, g, b], axis=-1).astype(np.uint8), frame_id(episode, frame))


def assert_frames_are(frames: np.ndarray, episode: int, first: int = 0, what: str = "") -> None:
    """Decoded ``frames`` are image(episode, first + i), i = 0, 1, ...: each one's barcode reads its
    own frame (identity, exact), and the content below the band is close: a mean absolute difference
    below 10 per frame, a codec's tolerance (x264 ultrafast on 24x32 frames measured up to 7.7, AV1
    up to 4.2). The tolerance is not what tells neighbours apart (they differ by 5.5-6 in content);
    the barcode is."""
    expected = [frame_id(episode, first + i) for i in range(len(frames))]
    read = frame_barcode.read_all(frames)
    assert read == expected, (f"{what} episode {episode}: the frames carry "
                              f"{[(r >> 8, r & 255) for r in read]} as (episode, frame), expected frames "
                              f"{first}..{first + len(frames) - 1} of episode {episode}")
    for i, frame in enumerate(frames):
        difference = np.abs(frame_barcode.content(frame).astype(int)
                            - frame_barcode.content(image(episode, first + i)).astype(int)).mean()
        assert difference < 10, f"{what} episode {episode} frame {first + i}: content differs by {difference:.1f}"


def values(episode: int, frame: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1000 * episode + frame)
    return {
        "observation.state": rng.normal(size=3).astype(np.float32),
        "action": rng.normal(size=3).astype(np.float32),
    }


def task(episode: int, frame: int) -> str:
    return TASKS[(episode + (frame >= 3)) % 2]


def events(episode: int, frame: int) -> list[LanguageRow]:
    return [say(f"episode {episode} frame {frame}")] if frame == 1 else []


def persistent(episode: int) -> list[LanguageRow]:
    return [
        LanguageRow(role="assistant", content="reach the cube", style="subtask", timestamp=0.0),
        LanguageRow(role="assistant", content=f"grasp {episode}", style="subtask", timestamp=0.2),
    ]


def record_episode(writer: DatasetWriter, episode: int, length: int, language: bool = False) -> SaveResult:
    for frame in range(length):
        writer.add_frame(
            {**values(episode, frame), CAMERA: image(episode, frame)},
            task=task(episode, frame),
            language_events=events(episode, frame) if language else (),
        )
    return writer.save_episode(language_persistent=persistent(episode) if language else ())


def create(root: Path, language: bool = False, limits: FileLimits = FileLimits(), fps: float = FPS) -> DatasetWriter:
    return DatasetWriter.create(root, fps, FEATURES, robot_type="so_follower", video=X264,
                                language=language, limits=limits)


def frames_digest(frames: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(frames).tobytes()).hexdigest()


CRASH_WRITER = Path(__file__).with_name("crash_writer.py")


def killed_writer(folder: Path, seed: int, resume: bool = False) -> tuple[Path, list[dict]]:
    """Run crash_writer.py on ``folder/ds``, SIGKILL it after a seeded random delay, and return
    the dataset root and the episodes it reported saved."""
    import json
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    root, report = folder / "ds", folder / "report.jsonl"
    command = [sys.executable, str(CRASH_WRITER), str(root), str(report), str(seed)]
    process = subprocess.Popen(command + (["resume"] if resume else []), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    try:
        assert process.stdout.readline().strip() == b"READY", "crash_writer.py did not start"
        time.sleep(random.Random(seed).uniform(0.0, 1.0))
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
    lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    return root, [json.loads(line) for line in lines]


def check_recording(root: Path, reported: list[dict], unreported: int = 1) -> int:
    """Assert the folder holds every reported episode bit for bit, plus at most ``unreported``
    episodes that were committed but not reported before a kill (checked against their inputs);
    return the number of episodes."""
    from lerobot_ros.dataset import DatasetReader

    reader = DatasetReader(root)
    by_index = {line["episode_index"]: line for line in reported}
    assert all(index < reader.num_episodes for index in by_index), "a reported episode was lost"
    assert reader.num_episodes <= len(by_index) + unreported
    for episode in range(reader.num_episodes):
        record = reader.episodes[episode]
        columns = reader.episode_columns(episode)
        for frame in range(record.length):
            for key, value in values(episode, frame).items():
                np.testing.assert_array_equal(columns[key][frame], value)
        assert reader.episode_tasks(episode) == [task(episode, f) for f in range(record.length)]
        np.testing.assert_array_equal(columns["frame_index"], np.arange(record.length))
        np.testing.assert_array_equal(columns["timestamp"], (np.arange(record.length) / FPS).astype(np.float32))
        frames = reader.video_frames(episode, CAMERA)
        if episode in by_index:
            assert record.length == by_index[episode]["length"]
            assert frames_digest(frames) == by_index[episode]["frames_sha256"], f"episode {episode} video changed"
        else:
            assert_frames_are(frames, episode)
    return reader.num_episodes
