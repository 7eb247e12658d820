"""Video shards: episodes land at exact from/to timestamps and decode frame by frame with PyAV."""

from __future__ import annotations

import av
import numpy as np
import pytest
from dataset_helpers import CAMERA, FEATURES, FPS, assert_frames_are, create, record_episode

from lerobot_ros.dataset import DatasetReader, DatasetWriter, VideoEncoding


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("video") / "ds"
    writer = create(root)
    lengths = (3, 5, 4)
    results = [record_episode(writer, episode, n) for episode, n in enumerate(lengths)]
    return root, results


def _decode_at(path, timestamps):
    """Decode like LeRobot's pyav backend: the frame whose pts is each timestamp (1e-4 s)."""
    found = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            found[float(frame.pts * stream.time_base)] = frame.to_ndarray(format="rgb24")
    out = []
    for ts in timestamps:
        nearest = min(found, key=lambda t: abs(t - ts))
        assert abs(nearest - ts) < 1e-4, f"no frame at {ts} s (nearest {nearest})"
        out.append(found[nearest])
    return np.stack(out)


def test_episodes_are_concatenated_at_exact_timestamps(recorded):
    root, results = recorded
    spans = [r.videos[CAMERA] for r in results]
    assert [(s.from_timestamp, s.to_timestamp) for s in spans] == [(0.0, 0.3), (0.3, 0.8), (0.8, 1.2)]
    assert len({s.slot for s in spans}) == 1
    path = root / "videos" / CAMERA / "chunk-000" / "file-000.mp4"
    for episode, result in enumerate(results):
        span = result.videos[CAMERA]
        frames = _decode_at(path, [span.from_timestamp + i / FPS for i in range(result.length)])
        assert_frames_are(frames, episode, what="at from_timestamp + i / fps:")


def test_reader_decodes_the_same_frames(recorded):
    root, results = recorded
    reader = DatasetReader(root)
    for episode, result in enumerate(results):
        frames = reader.video_frames(episode, CAMERA)
        span = result.videos[CAMERA]
        path = root / "videos" / CAMERA / "chunk-000" / "file-000.mp4"
        direct = _decode_at(path, [span.from_timestamp + i / FPS for i in range(result.length)])
        np.testing.assert_array_equal(frames, direct)


def test_libsvtav1_default_round_trip(tmp_path):
    writer = DatasetWriter.create(tmp_path / "ds", FPS, FEATURES)  # LeRobot's encoder defaults
    assert writer._encoding == VideoEncoding()
    for episode in range(2):
        record_episode(writer, episode, 3)
    reader = DatasetReader(tmp_path / "ds")
    info = reader.info.features[CAMERA].info
    assert (info["video.codec"], info["video.g"], info["video.crf"], info["video.preset"]) == ("av1", 2, 30, 12)
    for episode in range(2):
        assert_frames_are(reader.video_frames(episode, CAMERA), episode, what="AV1:")


def test_encoding_options():
    svt = VideoEncoding()
    assert svt.codec_options() == {"g": "2", "crf": "30", "preset": "12", "svtav1-params": "fast-decode=0"}
    assert VideoEncoding(codec="h264").codec == "libx264"
    assert VideoEncoding(codec="libx264").codec_options()["bf"] == "0"
    with pytest.raises(ValueError, match="no encoder"):
        VideoEncoding(codec="not-a-codec")
    assert VideoEncoding(codec="av1").codec == "libsvtav1"
