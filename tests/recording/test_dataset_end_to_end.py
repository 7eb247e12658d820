"""Sampled frames go into the real DatasetWriter and read back on the exact fps grid."""

import json

import numpy as np

from lerobot_ros.dataset import DatasetReader, DatasetWriter, VideoEncoding
from lerobot_ros.recording import CausalSampler, load_recording_config
from lerobot_ros.recording.causal_sampler import grid

FPS = 10
CONFIG = {
    "fps": FPS,
    "features": [
        {"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": ["a", "b"]},
        {"key": "action", "topic": "/arm/joint_trajectory", "type": "joint_trajectory", "joints": ["a", "b"]},
        {"key": "observation.images.front", "topic": "/front/image_raw", "type": "image",
         "height": 16, "width": 16},
    ],
}


def _image(i):
    return np.full((16, 16, 3), 10 * i % 250, np.uint8)


def test_sampled_episode_round_trips_through_the_writer(tmp_path):
    config = load_recording_config(CONFIG)
    sampler = CausalSampler(config)
    start_s = 50.0
    # Joints at 30 Hz, slightly jittered after each tick; the camera starts late (first ticks missing).
    for i in range(60):
        t = start_s + i / 30 + 0.001
        sampler.push("observation.state", t, [t, -t])
        sampler.push("action", t, [t + 1, -t - 1])
    for i in range(3, 20):
        sampler.push("observation.images.front", start_s + i / FPS + 0.002, _image(i))

    writer = DatasetWriter.create(tmp_path / "ds", FPS, config.dataset_features(),
                                  video=VideoEncoding(codec="libx264", preset="ultrafast"))
    frames = [f for t in grid(start_s, start_s + 1.9, FPS) if (f := sampler.sample(t)) is not None]
    for frame in frames:
        writer.add_frame(frame.values, task="pick")
    writer.save_episode()
    report = sampler.finish_episode()
    report.write_json(tmp_path / "quality.json")

    assert report.streams["observation.images.front"].missing == 4  # ticks 0..3 precede the first image
    assert report.frames_emitted == len(frames) == 15 and report.timestamps_exact
    assert json.loads((tmp_path / "quality.json").read_text())["frames_emitted"] == 15
    for frame in frames:  # causal: every sample is at or before its tick
        assert all(s.time_s <= frame.tick_s for s in frame.samples.values())

    reader = DatasetReader(tmp_path / "ds")
    table = reader.episode_table(0)
    frame_index = np.asarray(table.column("frame_index"))
    assert np.array_equal(np.asarray(table.column("timestamp")), (frame_index / FPS).astype(np.float32))
    columns = reader.episode_columns(0)
    expected = np.stack([f.values["observation.state"] for f in frames])
    assert np.array_equal(columns["observation.state"], expected)
    video = reader.video_frames(0, "observation.images.front")
    assert video.shape == (15, 16, 16, 3)
    decoded_means = video.reshape(15, -1).mean(axis=1)
    written_means = np.array([f.values["observation.images.front"].mean() for f in frames])
    assert np.allclose(decoded_means, written_means, atol=3)
