"""A dataset repaired after damage from outside loads in LeRobot 0.6.1: its first mp4 shard is cut
in half, forced repair sets episodes 0-1 aside and renumbers 2-3 as 0-1, and a resumed recording
appends episode 2. LeRobot sees the values, tasks, language rows and frames our reader sees."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_helpers import CAMERA, create, record_episode
from oracle_helpers import lerobot_view

from lerobot_ros.dataset import DatasetReader, DatasetWriter, FileLimits, repair

pytestmark = pytest.mark.slow


def test_lerobot_reads_a_dataset_repaired_after_damage(tmp_path, oracle_python):
    root = tmp_path / "ds"
    with create(root, language=True, limits=FileLimits(data_files_size_in_mb=0.006,
                                                       video_files_size_in_mb=0.004)) as writer:
        for episode, length in enumerate((5, 6, 5, 6)):
            record_episode(writer, episode, length, language=True)
    original = DatasetReader(root)
    kept_frames = [original.video_frames(e, CAMERA) for e in (2, 3)]
    mp4 = root / "videos" / CAMERA / "chunk-000/file-000.mp4"
    mp4.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])

    report = repair(root, force=True)
    assert (report.set_aside, report.renumbered) == ([0, 1], {2: 0, 3: 1})
    writer = DatasetWriter.resume(root)
    record_episode(writer, 7, 4, language=True)
    writer.close()

    ours = DatasetReader(root)
    assert [r.length for r in ours.episodes] == [5, 6, 4]
    for new, frames in enumerate(kept_frames):
        np.testing.assert_array_equal(ours.video_frames(new, CAMERA), frames)  # stream copy: bit for bit
    columns, meta = lerobot_view(oracle_python, root, tmp_path / "view")
    assert meta["num_episodes"] == 3 and meta["num_frames"] == 15 == ours.num_frames
    for episode, record in enumerate(ours.episodes):
        rows = slice(record.dataset_from_index, record.dataset_to_index)
        ep = ours.episode_columns(episode)
        np.testing.assert_array_equal(columns["action"][rows], ep["action"])
        np.testing.assert_array_equal(columns["episode_index"][rows], episode)
        np.testing.assert_array_equal(columns["index"][rows], np.arange(rows.start, rows.stop))
        assert meta["tasks"][rows] == ours.episode_tasks(episode)
        said = ours.episode_language(episode).events[1][0].content
        assert meta["language_events"][rows.start + 1][0]["content"] == said
        frames = ours.video_frames(episode, CAMERA).astype(int)
        assert np.abs(columns[CAMERA][rows].astype(int) - frames).mean() < 1, "LeRobot decodes other frames"
