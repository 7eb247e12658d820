"""Damage from outside (a disk fault, a careless copy): every file of a committed dataset in turn is
truncated, has bytes flipped in its middle, or is deleted. Resume must never drop a committed
episode silently: it refuses and changes nothing, or (derived files) rebuilds and says so. Repair
with force keeps exactly the episodes whose rows and frames still read back as recorded, moves the
untouched original aside, and leaves a dataset that loads and resumes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from dataset_helpers import CAMERA, create, frames_digest, record_episode

from lerobot_ros.dataset import (
    DatasetDamagedError,
    DatasetNotFoundError,
    DatasetReader,
    DatasetWriter,
    FileLimits,
    RepairNeedsConfirmation,
    repair,
)

LENGTHS = (5, 6, 5, 6)
# Two episodes per data shard and per mp4 shard; every episode metadata row gets its own file.
LIMITS = FileLimits(data_files_size_in_mb=0.006, video_files_size_in_mb=0.004)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) -> sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def snapshot(reader: DatasetReader, episode: int) -> tuple:
    columns = reader.episode_columns(episode)
    return ({k: v.tolist() for k, v in columns.items() if k not in ("episode_index", "index")},
            reader.episode_tasks(episode), frames_digest(reader.video_frames(episode, CAMERA)))


def readable_as_recorded(damaged: Path, pristine: DatasetReader, original: list[tuple]) -> list[int]:
    """The episodes whose rows and frames still read back exactly as recorded, located through the
    pristine metadata (so this does not depend on what the damage did to the metadata files)."""
    reader = DatasetReader.of(damaged, pristine.info, pristine.tasks, pristine.episodes)
    readable = []
    for episode in range(pristine.num_episodes):
        try:
            if snapshot(reader, episode) == original[episode]:
                readable.append(episode)
        except Exception:  # a missing or unreadable file: exactly what is being tested
            continue
    return readable


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:])
    else:
        path.unlink()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, list[tuple]]:
    root = tmp_path_factory.mktemp("damage") / "ds"
    with create(root, limits=LIMITS) as writer:
        for episode, length in enumerate(LENGTHS):
            record_episode(writer, episode, length)
    reader = DatasetReader(root)
    assert len({r.data_slot for r in reader.episodes}) >= 2
    assert len({r.videos[CAMERA].slot for r in reader.episodes}) >= 2
    return root, [snapshot(reader, e) for e in range(reader.num_episodes)]


FILES = (
    "meta/info.json",
    "meta/stats.json",
    "meta/tasks.parquet",
    *(f"meta/episodes/chunk-000/file-00{i}.parquet" for i in range(len(LENGTHS))),
    "data/chunk-000/file-000.parquet",
    "data/chunk-000/file-001.parquet",
    f"videos/{CAMERA}/chunk-000/file-000.mp4",
    f"videos/{CAMERA}/chunk-000/file-001.mp4",
)


def test_the_fixture_has_exactly_these_files(recorded):
    root, _ = recorded
    assert sorted(tree(root)) == sorted(FILES)


@pytest.mark.parametrize("how", ["truncate", "flip", "delete"])
@pytest.mark.parametrize("name", FILES)
def test_damage_never_loses_a_committed_episode_silently(recorded, tmp_path, name, how):
    pristine_root, original = recorded
    pristine = DatasetReader(pristine_root)
    root = tmp_path / "ds"
    shutil.copytree(pristine_root, root)
    damage(root / name, how)
    damaged_tree = tree(root)
    readable = readable_as_recorded(root, pristine, original)

    if name == "meta/info.json":
        # It declares the features: nothing can be read or repaired without it. Refuse, touch nothing.
        error = DatasetNotFoundError if how == "delete" else DatasetDamagedError
        with pytest.raises(error, match="meta/info.json"):
            DatasetWriter.resume(root)
        with pytest.raises(error):
            repair(root, force=True)
        assert tree(root) == damaged_tree
        return

    if name in ("meta/stats.json", "meta/tasks.parquet"):
        # Derived from the episode rows: rebuilt without asking, and the report says so.
        writer = DatasetWriter.resume(root)
        report = writer.repair_report
        assert name in report.rewritten and any(p.path == name for p in report.problems), report.summary()
        assert name in report.summary()
        assert report.set_aside == [] and report.episodes == len(LENGTHS)
        assert not repair(root).changed
        _assert_holds(root, original, list(range(len(LENGTHS))))
        return

    if len(readable) == len(LENGTHS) and not name.startswith("meta/episodes/"):
        # The bytes hit nothing recorded (x264 writes its settings as text into each first frame): the
        # frames still decode exactly as recorded, and there is nothing to repair.
        assert how == "flip" and name.endswith(".mp4")
        assert not DatasetWriter.resume(root).repair_report.changed
        _assert_holds(root, original, readable)
        return

    # A committed episode's data, frames or metadata row: resume refuses and changes nothing.
    with pytest.raises(RepairNeedsConfirmation) as refused:
        DatasetWriter.resume(root)
    assert name in str(refused.value) and "lerobot-ros dataset repair" in str(refused.value)
    assert "--apply" in str(refused.value)
    assert tree(root) == damaged_tree
    assert repair(root, dry_run=True).loses_episodes and tree(root) == damaged_tree

    report = repair(root, force=True)
    if name.startswith("meta/episodes/"):
        # The rows of this file's episode and every later one are lost: they can no longer be located.
        lost_from = int(name[-len("0.parquet"):-len(".parquet")])
        expected = [e for e in readable if e < lost_from]
        assert report.metadata_lost
    else:
        expected = readable
        assert report.set_aside == [e for e in range(len(LENGTHS)) if e not in readable]
    assert report.set_aside_to is not None and tree(report.set_aside_to) == damaged_tree  # nothing lost
    assert str(report.set_aside_to) in report.summary() and name in report.summary()
    assert report.episodes == len(expected)
    # every file still there and unaffected by the damage keeps its episodes
    untouched = [e for e, r in enumerate(pristine.episodes)
                 if name not in (f"data/chunk-000/file-00{r.data_slot.file_index}.parquet",
                                 f"videos/{CAMERA}/chunk-000/file-00{r.videos[CAMERA].slot.file_index}.mp4")]
    if not name.startswith("meta/episodes/"):
        assert set(untouched) <= set(expected)
    _assert_holds(root, original, expected)


def _assert_holds(root: Path, original: list[tuple], episodes: list[int]) -> None:
    """``root`` is a valid dataset holding exactly ``episodes`` as recorded, renumbered, and resumes."""
    reader = DatasetReader(root)
    assert reader.num_episodes == reader.info.total_episodes == len(episodes)
    assert [snapshot(reader, new) for new in range(len(episodes))] == [original[e] for e in episodes]
    assert not repair(root).changed
    writer = DatasetWriter.resume(root)
    assert not writer.repair_report.changed
    record_episode(writer, len(episodes), 3)
    writer.close()
    assert DatasetReader(root).num_episodes == len(episodes) + 1


def test_kept_frames_are_bit_identical_and_timestamps_exact(recorded, tmp_path):
    """The second mp4 shard truncated: episodes 0 and 1 are kept, 2 and 3 set aside."""
    pristine_root, original = recorded
    root = tmp_path / "ds"
    shutil.copytree(pristine_root, root)
    damage(root / f"videos/{CAMERA}/chunk-000/file-001.mp4", "truncate")
    report = repair(root, force=True)
    assert report.episodes == 2 and report.set_aside
    reader = DatasetReader(root)
    for episode in range(reader.num_episodes):
        columns = reader.episode_columns(episode)
        np.testing.assert_array_equal(columns["timestamp"],
                                      (np.arange(reader.episodes[episode].length) / 10).astype(np.float32))
    aside = DatasetReader.of(report.set_aside_to, DatasetReader(pristine_root).info,
                             DatasetReader(pristine_root).tasks, DatasetReader(pristine_root).episodes)
    # the set-aside episodes' rows are all still there, next to their (damaged) video
    for episode in report.set_aside:
        assert len(aside.episode_table(episode)) == LENGTHS[episode]
