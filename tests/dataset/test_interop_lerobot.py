"""Interop with LeRobot itself: lerobot 0.6.1 (the oracle venv, scripts/oracle_venv.sh) and 0.4.4
(scripts/reference_venv_044.sh), through the ``lerobot_reference`` fixture that runs a test once per
release.

(a) a dataset we write loads in LeRobotDataset with the values, tasks, language rows (0.6.1) and
frames we recorded; (b) a dataset LeRobot writes loads in our reader with the values LeRobot
recorded. Frames are checked one by one for identity: each carries (episode, frame) in a barcode
(tests/frame_barcode.py) that must read back exactly, at every index, in both directions; a pixel
tolerance applies only to the content below the barcode; (c) folders repaired after a SIGKILL load in LeRobot too; (d) 0.4.4, which predates the
language columns, refuses a dataset that declares them. LeRobot runs as a subprocess
(HF_HUB_OFFLINE=1); if a venv cannot be built these tests fail, they do not skip.
"""

from __future__ import annotations

import json

import frame_barcode
import numpy as np
import pytest
from dataset_helpers import (
    CAMERA,
    FPS,
    assert_frames_are,
    create,
    events,
    killed_writer,
    persistent,
    record_episode,
    task,
    values,
)

from oracle_helpers import build_reference, lerobot_row, lerobot_view, run_in_oracle

from lerobot_ros.dataset import DatasetReader, DatasetWriter, repair

pytestmark = pytest.mark.slow

@pytest.mark.parametrize("codec", ["libx264", "libsvtav1"])
def test_lerobot_reads_what_we_write(tmp_path, lerobot_reference, codec):
    root = tmp_path / "ours"
    language = lerobot_reference.reads_language
    if codec == "libx264":
        writer = create(root, language=language)
    else:
        from dataset_helpers import FEATURES
        writer = DatasetWriter.create(root, FPS, FEATURES, robot_type="so_follower", language=language)
    lengths = (4, 6, 3)
    for episode, length in enumerate(lengths):
        record_episode(writer, episode, length, language=language)
    writer.close()
    columns, meta = lerobot_view(lerobot_reference.python, root, tmp_path / "view")
    assert meta["num_frames"] == sum(lengths) and meta["num_episodes"] == 3
    ours = DatasetReader(root)
    at = 0
    for episode, length in enumerate(lengths):
        ours_frames = ours.video_frames(episode, CAMERA)
        assert_frames_are(columns[CAMERA][at:at + length], episode, what=f"LeRobot {lerobot_reference.version}:")
        assert_frames_are(ours_frames, episode, what="our reader:")
        ours_frames = ours_frames.astype(int)
        for frame in range(length):
            for key, value in values(episode, frame).items():
                np.testing.assert_array_equal(columns[key][at], value)
            assert columns["frame_index"][at] == frame and columns["episode_index"][at] == episode
            assert columns["index"][at] == at
            assert columns["timestamp"][at] == np.float32(frame / FPS)
            assert meta["tasks"][at] == task(episode, frame)
            if language:
                assert meta["language_persistent"][at] == [lerobot_row(r) for r in persistent(episode)]
                assert meta["language_events"][at] == [lerobot_row(r) for r in events(episode, frame)]
            decoded = columns[CAMERA][at].astype(int)
            assert np.abs(decoded - ours_frames[frame]).mean() < 1, "LeRobot and we decode differently"
            at += 1
    assert (meta["tools"][0]["function"]["name"] == "say") if language else not meta["tools"]
    assert CAMERA in meta["stats_keys"] and "observation.state" in meta["stats_keys"]


def test_we_read_what_lerobot_writes(tmp_path, lerobot_reference):
    root, out = tmp_path / "theirs", tmp_path / "recorded"
    run_in_oracle(lerobot_reference.python, "write_with_lerobot.py", root, out)
    recorded = np.load(out / "recorded.npz")
    tasks = json.loads((out / "tasks.json").read_text())
    reader = DatasetReader(root)
    lengths = recorded["lengths"].tolist()
    assert [r.length for r in reader.episodes] == lengths
    assert reader.info.fps == 10 and reader.info.robot_type == "so_follower"
    at = 0
    for episode, length in enumerate(lengths):
        columns = reader.episode_columns(episode)
        np.testing.assert_array_equal(columns["observation.state"], recorded["observation.state"][at:at + length])
        np.testing.assert_array_equal(columns["action"], recorded["action"][at:at + length])
        assert reader.episode_tasks(episode) == tasks[at:at + length]
        frames = reader.video_frames(episode, "observation.images.front")
        expected = recorded["observation.images.front"][at:at + length]
        read = frame_barcode.read_all(frames)
        assert read == [episode << 8 | frame for frame in range(length)], (
            f"LeRobot {lerobot_reference.version}'s episode {episode}: our reader returns frames "
            f"{[(r >> 8, r & 255) for r in read]} as (episode, frame)")
        for frame, (got, want) in enumerate(zip(frames, expected)):
            difference = np.abs(frame_barcode.content(got).astype(int) - frame_barcode.content(want).astype(int))
            assert difference.mean() < 6, f"episode {episode} frame {frame}: content differs by {difference.mean():.1f}"
        at += length
    assert reader.stats["action"]["mean"].shape == (3,)
    assert reader.stats["observation.images.front"]["mean"].shape == (3, 1, 1)
    # and it continues: resume appends an episode LeRobot still reads
    writer = DatasetWriter.resume(root)
    assert writer.num_episodes == 3
    writer.add_frame({"observation.state": np.zeros(3, np.float32), "action": np.ones(3, np.float32),
                      "observation.images.front": np.zeros((48, 64, 3), np.uint8)}, task="wave")
    writer.save_episode()
    writer.close()
    columns, meta = lerobot_view(lerobot_reference.python, root, tmp_path / "view")
    assert meta["num_episodes"] == 4 and meta["num_frames"] == at + 1
    np.testing.assert_array_equal(columns["action"][at], np.ones(3, np.float32))


def test_lerobot_reads_folders_repaired_after_a_kill(tmp_path, oracle_python):
    loaded = 0
    for seed in (3, 7, 12, 14):
        root, reported = killed_writer(tmp_path / f"trial-{seed}", seed)
        repair(root)
        ours = DatasetReader(root)
        if ours.num_episodes == 0:
            continue
        columns, meta = lerobot_view(oracle_python, root, tmp_path / f"view-{seed}")
        assert meta["num_episodes"] == ours.num_episodes >= len(reported)
        assert meta["num_frames"] == ours.num_frames
        for episode, record in enumerate(ours.episodes):
            ours_frames = ours.video_frames(episode, CAMERA).astype(int)
            start = record.dataset_from_index
            np.testing.assert_array_equal(columns["action"][start:start + record.length],
                                          ours.episode_columns(episode)["action"])
            assert_frames_are(columns[CAMERA][start:start + record.length], episode, what="LeRobot, repaired:")
            assert np.abs(columns[CAMERA][start:start + record.length].astype(int) - ours_frames).mean() < 1
        loaded += 1
    assert loaded >= 3


def test_lerobot_044_refuses_language_columns(tmp_path):
    """LeRobot 0.4.4 maps every feature dtype to an Arrow type, and "language" is none: it refuses to
    load a dataset declaring the language columns. Datasets for 0.4.x are written with
    language=False (a recording config with ``language: false``)."""
    python = build_reference("0.4.4").python
    writer = create(tmp_path / "ours", language=True)
    record_episode(writer, 0, 3, language=True)
    writer.close()
    with pytest.raises(AssertionError, match="Neither language nor language_ seems to be a pyarrow data type"):
        lerobot_view(python, tmp_path / "ours", tmp_path / "view")
