"""Bring a dataset folder back to its last complete episode after a crash.

The episodes metadata rows are the truth (see ``writer`` for why): every episode whose row is on
disk was completely written before the row was. ``repair`` checks each committed episode's data rows
and video spans, keeps the longest prefix that checks out, and then removes everything else: rows
past the last committed frame in data shards, seconds past the last committed episode in mp4 shards
(stream copy, so the kept episodes decode bit for bit as before), shards nothing points at, trailing
tasks no episode uses, temp files and the staging folder. ``info.json`` and ``stats.json`` are
recomputed from the kept rows. Running it on a healthy dataset changes nothing.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow.parquet as pq

from lerobot_ros.dataset import stats as stats_mod
from lerobot_ros.dataset.atomic import write_atomically, write_json_atomically
from lerobot_ros.dataset.episodes import EpisodeRecord, check_contiguous, episode_files
from lerobot_ros.dataset.info import DatasetInfo
from lerobot_ros.dataset.layout import (
    DATA_DIR,
    PARTIAL_SUFFIX,
    STAGING_DIR,
    STATS_PATH,
    VIDEOS_DIR,
    data_file,
    video_file,
)
from lerobot_ros.dataset.parquet_io import keep_rows_below
from lerobot_ros.dataset.tasks import TaskTable
from lerobot_ros.dataset.video import duration_s, stream_info, truncate

# Half a frame at 1000 fps: well under any frame period, well over float rounding of timestamps.
_TIME_SLACK_S = 5e-4


@dataclass
class RepairReport:
    episodes: int = 0
    frames: int = 0
    dropped_episodes: int = 0
    removed: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.dropped_episodes or self.removed or self.truncated)


def repair(root: str | Path) -> RepairReport:
    root = Path(root)
    info = DatasetInfo.load(root)
    report = RepairReport()
    _remove_temporaries(root, report)

    rows_by_file = [(path, pq.read_table(path).to_pylist()) for path in episode_files(root)]
    video_keys = info.features.video_keys
    records = [EpisodeRecord.from_row(row, video_keys) for _, rows in rows_by_file for row in rows]
    kept = _verified_prefix(root, records)
    check_contiguous(kept, root)
    report.episodes = len(kept)
    report.frames = kept[-1].dataset_to_index if kept else 0
    report.dropped_episodes = len(records) - len(kept)

    if report.dropped_episodes:
        _rewrite_episode_files(root, rows_by_file, len(kept), report)
    _trim_data(root, kept, report)
    _trim_videos(root, kept, video_keys, report)
    tasks = _trim_tasks(root, kept, report)
    _rewrite_info_and_stats(root, info, kept, tasks)
    return report


def _remove_temporaries(root: Path, report: RepairReport) -> None:
    staging = root / STAGING_DIR
    if staging.exists():
        if any(staging.iterdir()):
            report.removed.append(STAGING_DIR)
        shutil.rmtree(staging)
    for path in root.rglob(f"*{PARTIAL_SUFFIX}"):
        path.unlink()
        report.removed.append(str(path.relative_to(root)))


def _verified_prefix(root: Path, records: list[EpisodeRecord]) -> list[EpisodeRecord]:
    """The committed episodes up to the first one whose data or video is not all there."""
    data_index: dict[Path, set[int]] = {}
    video_end: dict[Path, float] = {}
    kept: list[EpisodeRecord] = []
    expected_from = 0
    for position, record in enumerate(records):
        if record.episode_index != position or record.dataset_from_index != expected_from:
            break
        path = data_file(root, record.data_slot)
        if path not in data_index:
            data_index[path] = set(pq.read_table(path, columns=["index"]).column("index").to_pylist()) \
                if path.exists() else set()
        if not set(range(record.dataset_from_index, record.dataset_to_index)) <= data_index[path]:
            break
        spans_ok = True
        for key, span in record.videos.items():
            vpath = video_file(root, key, span.slot)
            if vpath not in video_end:
                video_end[vpath] = duration_s(vpath) if vpath.exists() else -1.0
            spans_ok &= video_end[vpath] + _TIME_SLACK_S >= span.to_timestamp
        if not spans_ok:
            break
        kept.append(record)
        expected_from = record.dataset_to_index
    return kept


def _rewrite_episode_files(root: Path, rows_by_file, keep: int, report: RepairReport) -> None:
    seen = 0
    for path, rows in rows_by_file:
        if seen >= keep:
            path.unlink()
            report.removed.append(str(path.relative_to(root)))
        elif seen + len(rows) > keep:
            table = pq.read_table(path).slice(0, keep - seen)
            write_atomically(path, lambda tmp, t=table: pq.write_table(t, tmp))
            report.truncated.append(str(path.relative_to(root)))
        seen += len(rows)


def _trim_data(root: Path, kept: list[EpisodeRecord], report: RepairReport) -> None:
    referenced = {data_file(root, r.data_slot) for r in kept}
    total = kept[-1].dataset_to_index if kept else 0
    for path in sorted((root / DATA_DIR).glob("*/*.parquet")):
        if path not in referenced:
            path.unlink()
            report.removed.append(str(path.relative_to(root)))
        elif keep_rows_below(path, "index", total):
            report.truncated.append(str(path.relative_to(root)))


def _trim_videos(root: Path, kept: list[EpisodeRecord], video_keys, report: RepairReport) -> None:
    ends: dict[Path, float] = {}
    for record in kept:
        for key, span in record.videos.items():
            path = video_file(root, key, span.slot)
            ends[path] = max(ends.get(path, 0.0), span.to_timestamp)
    for path in sorted((root / VIDEOS_DIR).glob("*/*/*.mp4")):
        if path not in ends:
            path.unlink()
            report.removed.append(str(path.relative_to(root)))
        elif duration_s(path) > ends[path] + _TIME_SLACK_S:
            write_atomically(path, lambda tmp, p=path: truncate(p, ends[p], tmp))
            report.truncated.append(str(path.relative_to(root)))


def _trim_tasks(root: Path, kept: list[EpisodeRecord], report: RepairReport) -> TaskTable:
    tasks = TaskTable.load(root)
    used = {task for record in kept for task in record.tasks}
    keep = len(tasks.tasks)
    while keep and tasks.tasks[keep - 1] not in used:
        keep -= 1
    if keep < len(tasks.tasks):
        tasks = TaskTable(tasks.tasks[:keep])
        tasks.write(root)
        report.truncated.append("meta/tasks.parquet")
    return tasks


def _rewrite_info_and_stats(root: Path, info: DatasetInfo, kept: list[EpisodeRecord], tasks: TaskTable) -> None:
    features = info.features
    if kept:
        for key, span in kept[0].videos.items():
            if "video.height" not in (features[key].info or {}):
                # The crash came before info.json got the first episode's stream info.
                first = video_file(root, key, span.slot)
                features = features.with_video_info(key, {**(features[key].info or {}), **stream_info(first)})
    fixed = replace(
        info,
        features=features,
        total_episodes=len(kept),
        total_frames=kept[-1].dataset_to_index if kept else 0,
        total_tasks=len(tasks.tasks),
    )
    if fixed.to_json() != info.to_json():
        fixed.write(root)
    stats_path = root / STATS_PATH
    if not kept:
        stats_path.unlink(missing_ok=True)
        return
    # The writer aggregates the same per-episode rows in the same order, so a healthy file is equal.
    combined = stats_mod.to_json(stats_mod.aggregate(r.stats for r in kept))
    if not stats_path.exists() or json.loads(stats_path.read_text(encoding="utf-8")) != combined:
        write_json_atomically(stats_path, combined)

