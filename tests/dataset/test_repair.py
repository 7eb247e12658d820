"""repair removes exactly what a crash can leave behind and keeps committed episodes bit for bit."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
from dataset_helpers import CAMERA, create, frames_digest, record_episode

from lerobot_ros.dataset import DatasetReader, DatasetWriter, FileLimits, repair
from lerobot_ros.dataset.parquet_io import append_table
from lerobot_ros.dataset.video import concatenate, duration_s


def _snapshot(root):
    reader = DatasetReader(root)
    return [
        ({k: v.tolist() for k, v in reader.episode_columns(e).items()}, frames_digest(reader.video_frames(e, CAMERA)))
        for e in range(reader.num_episodes)
    ]


def test_repair_cuts_every_kind_of_crash_leftover(tmp_path):
    root = tmp_path / "ds"
    writer = create(root)
    for episode in range(2):
        record_episode(writer, episode, 4)
    before = _snapshot(root)
    info_before = (root / "meta/info.json").read_text()

    # What a kill between "append to the shards" and "commit the metadata row" leaves behind:
    scratch = tmp_path / "scratch"
    record_episode(create(scratch), 0, 3)
    data = root / "data/chunk-000/file-000.parquet"
    extra = pq.read_table(scratch / "data/chunk-000/file-000.parquet")
    extra = extra.set_column(extra.schema.get_field_index("index"), "index", [np.arange(8, 11)])
    append_table(data, extra)  # rows past the last committed frame
    mp4 = root / "videos" / CAMERA / "chunk-000/file-000.mp4"
    segment = scratch / "videos" / CAMERA / "chunk-000/file-000.mp4"
    shutil.copy(mp4, tmp_path / "shard.mp4")
    concatenate(tmp_path / "shard.mp4", segment, mp4, duration_s(mp4))  # an mp4 tail
    assert duration_s(mp4) > 0.8
    shutil.copy(segment, root / "videos" / CAMERA / "chunk-000/file-001.mp4")  # an orphan shard
    (root / "data/chunk-000/.file-001.parquet.partial").write_bytes(b"PAR1 half written")
    (root / ".staging/episode-000003").mkdir(parents=True)
    (root / ".staging/episode-000003" / f"{CAMERA}.mp4").write_bytes(b"\x00" * 100)
    # and a kill between the commit and info.json: counters one episode behind
    info = json.loads(info_before)
    info["total_episodes"], info["total_frames"] = 1, 4
    (root / "meta/info.json").write_text(json.dumps(info, indent=4))

    report = repair(root)
    assert report.episodes == 2 and report.frames == 8 and report.dropped_episodes == 0
    assert set(report.removed) == {".staging", "data/chunk-000/.file-001.parquet.partial",
                                   f"videos/{CAMERA}/chunk-000/file-001.mp4"}
    assert set(report.truncated) == {"data/chunk-000/file-000.parquet", f"videos/{CAMERA}/chunk-000/file-000.mp4"}
    assert _snapshot(root) == before
    assert abs(duration_s(mp4) - 0.8) < 1e-6
    assert json.loads((root / "meta/info.json").read_text()) == json.loads(info_before)
    assert not repair(root).changed


def test_repair_drops_episodes_whose_files_are_gone(tmp_path):
    root = tmp_path / "ds"
    writer = create(root, limits=FileLimits(video_files_size_in_mb=0.001))  # one mp4 per episode
    for episode in range(3):
        record_episode(writer, episode, 3)
    (root / "videos" / CAMERA / "chunk-000/file-001.mp4").unlink()  # damage from outside
    report = repair(root)
    assert (report.episodes, report.dropped_episodes) == (1, 2)
    reader = DatasetReader(root)
    assert reader.num_episodes == 1 and reader.info.total_frames == 3
    assert not (root / "videos" / CAMERA / "chunk-000/file-002.mp4").exists()


def test_a_crash_before_the_first_info_update_keeps_the_encoding(tmp_path):
    root = tmp_path / "ds"
    writer = create(root)
    created_info = (root / "meta/info.json").read_text()  # encoder keys only, no stream probe yet
    assert json.loads(created_info)["features"][CAMERA]["info"]["video.codec"] == "h264"
    record_episode(writer, 0, 3)
    complete_info = json.loads((root / "meta/info.json").read_text())
    (root / "meta/info.json").write_text(created_info)  # killed right after the commit
    repair(root)
    assert json.loads((root / "meta/info.json").read_text()) == complete_info
    assert DatasetWriter.resume(root)._encoding.codec == "libx264"
