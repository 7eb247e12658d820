"""Dataset edits read back with our reader: right episodes, values, tasks, contiguous indices,
timestamps on the grid, and frames bit for bit the source's (videos are stream-copied)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dataset_helpers import CAMERA, FPS, create, frames_digest, record_episode
from lerobot_ros.dataset import DatasetReader, FileLimits
from lerobot_ros.dataset.edit import delete_episodes, merge, recompute_stats, remove_feature, split
from lerobot_ros.dataset.layout import STATS_PATH

LENGTHS = (5, 7, 4, 6)


def build(root: Path, lengths=LENGTHS, language: bool = False, limits: FileLimits = FileLimits()) -> Path:
    with create(root, language=language, limits=limits) as writer:
        for episode, length in enumerate(lengths):
            record_episode(writer, episode, length, language=language)
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("src") / "ds", language=True)


def assert_episode_equal(new: DatasetReader, new_ep: int, old: DatasetReader, old_ep: int,
                         dropped: str | None = None) -> None:
    a, b = new.episode_columns(new_ep), old.episode_columns(old_ep)
    for key in b:
        if key == dropped:
            assert key not in a
            continue
        if key in ("episode_index", "index", "task_index"):
            continue
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert new.episode_tasks(new_ep) == old.episode_tasks(old_ep)
    assert new.episode_language(new_ep) == old.episode_language(old_ep)
    if dropped != CAMERA:
        assert frames_digest(new.video_frames(new_ep, CAMERA)) == frames_digest(old.video_frames(old_ep, CAMERA))


def assert_well_formed(reader: DatasetReader) -> None:
    """Indices contiguous, timestamps frame_index/fps, task_index pointing at the task table, counters right."""
    start = 0
    for ep in range(reader.num_episodes):
        cols = reader.episode_columns(ep)
        length = reader.episodes[ep].length
        np.testing.assert_array_equal(cols["episode_index"], np.full(length, ep))
        np.testing.assert_array_equal(cols["index"], np.arange(start, start + length))
        np.testing.assert_array_equal(cols["frame_index"], np.arange(length))
        np.testing.assert_array_equal(cols["timestamp"], (np.arange(length) / FPS).astype(np.float32))
        start += length
    task_indices = set()
    for ep in range(reader.num_episodes):
        task_indices |= set(reader.episode_table(ep).column("task_index").to_pylist())
    assert task_indices == set(range(len(reader.tasks.tasks)))
    assert reader.info.total_episodes == reader.num_episodes
    assert reader.info.total_frames == reader.num_frames == start
    assert reader.info.total_tasks == len(reader.tasks.tasks)


def test_delete_episodes(source, tmp_path):
    result = delete_episodes(source, tmp_path / "out", [0, 2])
    old, new = DatasetReader(source), DatasetReader(tmp_path / "out")
    assert (result.episodes, result.frames) == (2, LENGTHS[1] + LENGTHS[3])
    assert [r.length for r in new.episodes] == [LENGTHS[1], LENGTHS[3]]
    assert_well_formed(new)
    assert_episode_equal(new, 0, old, 1)
    assert_episode_equal(new, 1, old, 3)
    # the combined stats are the kept episodes' stats aggregated
    stats = json.loads((tmp_path / "out" / STATS_PATH).read_text())
    assert stats["observation.state"]["count"] == [LENGTHS[1] + LENGTHS[3]]
    assert (stats["episode_index"]["max"], stats["index"]["max"]) == ([1], [LENGTHS[1] + LENGTHS[3] - 1])
    for name, value in old.episodes[3].stats[CAMERA].items():  # same frames, same camera stats
        np.testing.assert_array_equal(new.episodes[1].stats[CAMERA][name], value)


def test_delete_refuses_bad_lists_and_keeps_source(source, tmp_path):
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    with pytest.raises(ValueError, match="episode 9 does not exist"):
        delete_episodes(source, tmp_path / "out", [9])
    with pytest.raises(ValueError, match="without episodes"):
        delete_episodes(source, tmp_path / "out", range(len(LENGTHS)))
    with pytest.raises(FileExistsError, match="already exists"):
        delete_episodes(source, source, [0])
    assert not (tmp_path / "out").exists()
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before


def test_split_by_fraction_and_list(source, tmp_path):
    parts = split(source, tmp_path / "frac", {"train": 0.75, "val": 0.25})
    assert [parts["train"].episodes, parts["val"].episodes] == [3, 1]
    old = DatasetReader(source)
    val = DatasetReader(tmp_path / "frac" / "val")
    assert_well_formed(val)
    assert_episode_equal(val, 0, old, 3)

    split(source, tmp_path / "lists", {"a": [3, 1], "b": [0]})
    a = DatasetReader(tmp_path / "lists" / "a")
    assert_well_formed(a)
    assert_episode_equal(a, 0, old, 3)
    assert_episode_equal(a, 1, old, 1)
    with pytest.raises(ValueError, match="both 'a' and 'b'"):
        split(source, tmp_path / "bad", {"a": [0, 1], "b": [1]})


def test_merge_reindexes_tasks_and_videos(source, tmp_path):
    # the second dataset uses only the second task, so merged task indices must be remapped
    other = tmp_path / "other"
    with create(other, language=True) as writer:
        record_episode(writer, 1, 2, language=True)   # frames 0-1 of episode 1: "put it in the box"
    result = merge([other, source], tmp_path / "merged")
    merged, old, first = DatasetReader(tmp_path / "merged"), DatasetReader(source), DatasetReader(other)
    assert result.episodes == 1 + len(LENGTHS)
    assert merged.tasks.tasks == ["put it in the box", "pick up the cube"]
    assert_well_formed(merged)
    assert_episode_equal(merged, 0, first, 0)
    for ep in range(len(LENGTHS)):
        assert_episode_equal(merged, 1 + ep, old, ep)


def test_merge_rolls_over_video_and_data_shards(tmp_path):
    small = FileLimits(chunks_size=2, data_files_size_in_mb=0.0001, video_files_size_in_mb=0.001)
    a, b = build(tmp_path / "a", (3, 4)), build(tmp_path / "b", (5,), limits=small)
    merged = DatasetReader(merge([b, a], tmp_path / "m").root)  # the limits come from the first source
    assert_well_formed(merged)
    assert len({r.videos[CAMERA].slot for r in merged.episodes}) == 3
    assert len({r.data_slot for r in merged.episodes}) == 3
    assert_episode_equal(merged, 0, DatasetReader(b), 0)
    assert_episode_equal(merged, 2, DatasetReader(a), 1)


@pytest.mark.parametrize("change, message", [
    ("fps", "fps 15 differs from 10"),
    ("feature", "only in the first"),
])
def test_merge_refuses_mismatched_datasets(source, tmp_path, change, message):
    other = tmp_path / "other"
    if change == "fps":
        with create(other, fps=15) as writer:
            record_episode(writer, 0, 2)
    else:
        build(other, (2,))
        remove_feature(other, tmp_path / "fewer", "action")
        other = tmp_path / "fewer"
    with pytest.raises(ValueError, match=message):
        merge([source, other], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("key", ["action", CAMERA])
def test_remove_feature(source, tmp_path, key):
    remove_feature(source, tmp_path / "out", key)
    new, old = DatasetReader(tmp_path / "out"), DatasetReader(source)
    assert key not in new.info.features.to_json()
    assert key not in new.stats and all(key not in r.stats for r in new.episodes)
    assert key not in pq.read_schema(next((tmp_path / "out" / "data").rglob("*.parquet"))).names
    assert (tmp_path / "out" / "videos" / CAMERA).exists() == (key != CAMERA)
    assert_well_formed(new)
    for ep in range(len(LENGTHS)):
        assert_episode_equal(new, ep, old, ep, dropped=key)
    with pytest.raises(ValueError, match="no removable feature 'nope'"):
        remove_feature(source, tmp_path / "x", "nope")


def test_recompute_stats_matches_the_writer_after_damage(tmp_path):
    root = build(tmp_path / "ds", (4, 6))
    written = DatasetReader(root)
    (root / STATS_PATH).write_text("{}")
    recompute_stats(root)
    again = DatasetReader(root)
    for key in ("observation.state", "action", "timestamp"):
        for name, value in written.stats[key].items():
            np.testing.assert_allclose(again.stats[key][name], value, rtol=1e-6, err_msg=f"{key} {name}")
    # cameras: from the decoded video, so close to (not equal to) the writer's stats of the raw frames
    np.testing.assert_allclose(again.stats[CAMERA]["mean"], written.stats[CAMERA]["mean"], atol=0.02)
    assert again.episodes[1].stats[CAMERA]["count"] == [6]
