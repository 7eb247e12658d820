"""Size-based rollover of data, video and episodes shards, and resuming a dataset."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_helpers import CAMERA, assert_frames_are, create, record_episode, values

from lerobot_ros.dataset import DatasetReader, DatasetWriter, FileLimits, VideoEncoding

TINY = FileLimits(chunks_size=2, data_files_size_in_mb=0.01, video_files_size_in_mb=0.004)


def _check_all(root):
    reader = DatasetReader(root)
    for episode, record in enumerate(reader.episodes):
        columns = reader.episode_columns(episode)
        for frame in range(record.length):
            np.testing.assert_array_equal(columns["action"][frame], values(episode, frame)["action"])
        assert_frames_are(reader.video_frames(episode, CAMERA), episode)
    return reader


def test_small_limits_roll_every_kind_of_shard_over(tmp_path):
    writer = create(tmp_path / "ds", limits=TINY)
    for episode in range(8):
        record_episode(writer, episode, 6)
    reader = _check_all(tmp_path / "ds")
    data_slots = {r.data_slot for r in reader.episodes}
    video_slots = {r.videos[CAMERA].slot for r in reader.episodes}
    meta_slots = {r.meta_slot for r in reader.episodes}
    assert len(data_slots) > 1 and len(video_slots) > 1 and len(meta_slots) > 1
    assert any(slot.chunk_index == 1 for slot in video_slots)  # chunks_size=2: file 2 is chunk-001
    # Several episodes still share a shard: rollover is by size, not per episode.
    assert len(video_slots) < 8
    for path in (tmp_path / "ds").rglob("*.mp4"):
        assert path.stat().st_size < 2 * TINY.video_files_size_in_mb * 1024**2


def test_resume_appends_to_new_files(tmp_path):
    root = tmp_path / "ds"
    writer = create(root, language=True)
    for episode in range(2):
        record_episode(writer, episode, 3, language=True)
    writer.close()
    writer = DatasetWriter.resume(root)
    assert writer.num_episodes == 2
    saved = record_episode(writer, 2, 5, language=True)
    assert (saved.episode_index, saved.dataset_from_index) == (2, 6)
    reader = _check_all(root)
    assert reader.num_episodes == 3 and reader.num_frames == 11
    last = reader.episodes[2]
    assert (last.data_slot.file_index, last.meta_slot.file_index, last.videos[CAMERA].slot.file_index) == (1, 1, 1)
    assert reader.episode_language(2).persistent[1].content == "grasp 2"
    assert reader.info.total_tasks == 2


def test_resume_refuses_another_codec(tmp_path):
    writer = create(tmp_path / "ds")
    record_episode(writer, 0, 2)
    with pytest.raises(ValueError, match="same codec"):
        DatasetWriter.resume(tmp_path / "ds", video=VideoEncoding())
