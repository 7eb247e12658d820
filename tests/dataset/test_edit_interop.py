"""An edited dataset (merged, then episodes deleted and a feature removed) loads in LeRobot 0.6.1
with the values and frames our reader sees; the oracle is run as in test_interop_lerobot.py."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_helpers import CAMERA, create, record_episode
from oracle_helpers import lerobot_view

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.dataset.edit import delete_episodes, merge, remove_feature

pytestmark = pytest.mark.slow


def test_lerobot_reads_an_edited_dataset(tmp_path, oracle_python):
    for name, lengths in (("a", (4, 3)), ("b", (5, 2, 3))):
        with create(tmp_path / name, language=True) as writer:
            for episode, length in enumerate(lengths):
                record_episode(writer, episode + 10 * (name == "b"), length, language=True)
    merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged")
    delete_episodes(tmp_path / "merged", tmp_path / "deleted", [1, 3])
    remove_feature(tmp_path / "deleted", tmp_path / "edited", "action")
    ours = DatasetReader(tmp_path / "edited")
    columns, meta = lerobot_view(oracle_python, tmp_path / "edited", tmp_path / "view")
    assert meta["num_episodes"] == 3 and meta["num_frames"] == 4 + 5 + 3 == ours.num_frames
    assert "action" not in columns
    for episode, record in enumerate(ours.episodes):
        rows = slice(record.dataset_from_index, record.dataset_to_index)
        ep = ours.episode_columns(episode)
        np.testing.assert_array_equal(columns["observation.state"][rows], ep["observation.state"])
        np.testing.assert_array_equal(columns["episode_index"][rows], episode)
        np.testing.assert_array_equal(columns["index"][rows], np.arange(rows.start, rows.stop))
        assert meta["tasks"][rows] == ours.episode_tasks(episode)
        frames = ours.video_frames(episode, CAMERA).astype(int)
        assert np.abs(columns[CAMERA][rows].astype(int) - frames).mean() < 1, "LeRobot decodes other frames"
