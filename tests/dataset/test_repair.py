"""repair removes exactly what a crash can leave behind and keeps committed episodes bit for bit; it
sets a damaged committed episode aside only when forced, and never deletes it."""

from __future__ import annotations

import json
import shutil

import av
import numpy as np
import pyarrow.parquet as pq
import pytest
from dataset_helpers import CAMERA, create, frames_digest, record_episode

from lerobot_ros.dataset import (
    DatasetReader,
    DatasetWriter,
    FileLimits,
    RepairNeedsConfirmation,
    check_dataset,
    repair,
)
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


def test_a_damaged_mp4_shard_is_never_dropped_silently(tmp_path):
    """Issue 21: resume used to cut a dataset with a damaged mp4 shard (parquet intact) to zero
    episodes without a word. Now it refuses and changes nothing; the dry run changes nothing; only
    force keeps the readable episodes, with the untouched original set aside."""
    root = tmp_path / "ds"
    writer = create(root, limits=FileLimits(video_files_size_in_mb=0.001))  # one mp4 per episode
    for episode in range(3):
        record_episode(writer, episode, 3)
    writer.close()
    frames = [frames_digest(DatasetReader(root).video_frames(e, CAMERA)) for e in range(3)]
    mp4 = root / "videos" / CAMERA / "chunk-000/file-001.mp4"
    mp4.write_bytes(mp4.read_bytes()[:600])  # damage from outside
    before = _files(root)

    with pytest.raises(RepairNeedsConfirmation) as refused:
        DatasetWriter.resume(root)
    message = str(refused.value)
    assert f"committed episode 1 cannot be read (damaged: videos/{CAMERA}/chunk-000/file-001.mp4)" in message
    assert f"lerobot-ros dataset repair {root} --apply" in message and "\n" not in message
    assert refused.value.report.set_aside == [1] and refused.value.report.episodes == 2
    assert _files(root) == before

    dry = repair(root, dry_run=True)
    assert (dry.applied, dry.set_aside, dry.episodes) == (False, [1], 2)
    assert "set aside: episodes 1 (not applied)" in dry.summary()
    assert _files(root) == before

    report = repair(root, force=True)
    assert (report.set_aside, report.episodes, report.renumbered) == ([1], 2, {2: 1})
    assert report.set_aside_to == tmp_path / report.set_aside_to.name
    assert report.set_aside_to.name.startswith("ds.damaged-") and _files(report.set_aside_to) == before
    assert "set aside: episodes 1 -> the original folder" in report.summary()
    reader = DatasetReader(root)
    assert reader.num_episodes == reader.info.total_episodes == 2
    assert [frames_digest(reader.video_frames(e, CAMERA)) for e in range(2)] == [frames[0], frames[2]]
    assert not DatasetWriter.resume(root).repair_report.changed


def test_frames_that_no_longer_decode_set_their_episode_aside(tmp_path):
    """Bytes flipped in a frame's coded data (not in x264's text header): the frame fails to decode,
    its episode is named, the episodes around it in the same shard are kept."""
    root = tmp_path / "ds"
    writer = create(root)
    for episode in range(3):
        record_episode(writer, episode, 4)
    writer.close()
    mp4 = root / "videos" / CAMERA / "chunk-000/file-000.mp4"
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        first_of_1 = next(p for p in container.demux(stream) if p.pts == round(0.4 / stream.time_base))
        end = first_of_1.pos + first_of_1.size
    data = bytearray(mp4.read_bytes())
    data[end - 40:end] = bytes(b ^ 0xFF for b in data[end - 40:end])
    mp4.write_bytes(bytes(data))

    found = check_dataset(root)
    assert found.damaged == [1], found.summary()
    assert "episode 1:" in found.summary() and "do not decode" in found.summary()
    report = repair(root, force=True)
    assert report.set_aside == [1] and DatasetReader(root).num_episodes == 2


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


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
