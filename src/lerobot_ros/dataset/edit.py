"""Dataset edits as LeRobot's ``lerobot-edit-dataset`` offers them: delete episodes, split, merge,
remove a feature, recompute statistics.

Every edit but ``recompute_stats`` reads its sources and writes a NEW folder, so nothing already
recorded can be lost by an edit gone wrong. The new folder is built under a hidden
``.<name>.partial`` sibling and renamed into place only when complete: a crash leaves no half
dataset at ``dst``. Episodes, ``index`` and ``task_index`` are renumbered contiguously; videos are
cut and appended by stream copy (packets, never re-encoded), so every kept frame decodes bit for bit
as in the source, at ``from_timestamp + frame_index / fps`` of its new shard. The feature contract
(``meta/lerobot_ros.json``) goes along (:func:`carried_contract`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import stats as stats_mod
from .atomic import (
    fsync_dir,
    fsync_file,
    move_atomically,
    write_atomically,
    write_json_atomically,
)
from .episodes import EpisodeRecord, VideoSpan, episode_files
from .features import FeatureSet
from .info import DatasetInfo
from .layout import (
    CONTRACT_PATH,
    STAGING_DIR,
    STATS_PATH,
    FileSlot,
    data_file,
    episodes_file,
    mb,
    partial_path,
    video_file,
)
from .reader import DatasetReader
from .tasks import TaskTable
from .video import concatenate


@dataclass(frozen=True)
class EditResult:
    """What an edit wrote."""

    root: Path
    episodes: int
    frames: int
    tasks: int


@dataclass(frozen=True)
class _Source:
    reader: DatasetReader
    episode: int


def delete_episodes(src: str | Path, dst: str | Path, episodes: Sequence[int]) -> EditResult:
    """Copy ``src`` to ``dst`` without ``episodes``."""
    reader = DatasetReader(src)
    drop = set(check_episodes(reader, episodes))
    keep = [e for e in range(reader.num_episodes) if e not in drop]
    if not keep:
        raise ValueError(f"deleting {sorted(drop)} would leave {src} without episodes; keep at least one")
    return copy_episodes(reader, dst, keep)


def copy_episodes(reader: DatasetReader, dst: str | Path, episodes: Sequence[int]) -> EditResult:
    """Write ``episodes`` of ``reader`` (in that order) to the new dataset ``dst``, renumbered.

    Only those episodes' rows and video spans are read, so ``repair`` uses it to rebuild a dataset
    from the intact episodes of a damaged one.
    """
    return _write(Path(dst), reader.info, [_Source(reader, e) for e in episodes])


def split(src: str | Path, out_dir: str | Path,
          parts: Mapping[str, Sequence[int] | float]) -> dict[str, EditResult]:
    """Write each part to ``out_dir/<name>``: a part is a list of episodes, or a fraction of them
    (fractions take consecutive blocks of episodes in order, like LeRobot's split)."""
    reader = DatasetReader(src)
    chosen = split_episodes(reader, parts)
    return {name: _write(Path(out_dir) / name, reader.info, [_Source(reader, e) for e in episodes])
            for name, episodes in chosen.items()}


def split_episodes(reader: DatasetReader, parts: Mapping[str, Sequence[int] | float]) -> dict[str, list[int]]:
    """The episodes of every part; parts must not overlap and none may be empty."""
    if not parts:
        raise ValueError("no parts given; name at least one, e.g. {'train': 0.8, 'val': 0.2}")
    n = reader.num_episodes
    fractions = {k: v for k, v in parts.items() if isinstance(v, float)}
    if fractions and len(fractions) != len(parts):
        raise ValueError("give every part as a fraction or every part as an episode list, not both")
    chosen: dict[str, list[int]] = {}
    if fractions:
        if any(not 0 < f <= 1 for f in fractions.values()) or sum(fractions.values()) > 1 + 1e-9:
            raise ValueError(f"fractions {fractions} must each be in (0, 1] and sum to at most 1")
        start = 0
        for i, (name, fraction) in enumerate(fractions.items()):
            last = i == len(fractions) - 1 and abs(sum(fractions.values()) - 1) < 1e-9
            stop = n if last else min(n, start + round(fraction * n))
            chosen[name] = list(range(start, stop))
            start = stop
    else:
        seen: dict[int, str] = {}
        for name, episodes in parts.items():
            chosen[name] = check_episodes(reader, episodes)
            for e in chosen[name]:
                if e in seen:
                    raise ValueError(f"episode {e} is in both {seen[e]!r} and {name!r}; parts must not overlap")
                seen[e] = name
    for name, episodes in chosen.items():
        if not episodes:
            raise ValueError(f"part {name!r} gets no episodes of {n}; give it a larger fraction or a list")
    return chosen


def merge(srcs: Sequence[str | Path], dst: str | Path) -> EditResult:
    """Concatenate datasets of the same fps and features; tasks are merged and re-indexed."""
    if len(srcs) < 2:
        raise ValueError(f"merge needs at least two datasets, got {len(srcs)}")
    readers = [DatasetReader(s) for s in srcs]
    first = readers[0]
    for other in readers[1:]:
        check_compatible(first, other)
    sources = [_Source(r, e) for r in readers for e in range(r.num_episodes)]
    return _write(Path(dst), first.info, sources)


def remove_feature(src: str | Path, dst: str | Path, key: str) -> EditResult:
    """Copy ``src`` to ``dst`` without feature ``key`` (its column, or its videos, and its stats)."""
    reader = DatasetReader(src)
    user_keys = [f.key for f in reader.info.features.user]
    if key not in user_keys:
        raise ValueError(f"{src} has no removable feature {key!r}; its features are {user_keys}")
    if len(user_keys) == 1:
        raise ValueError(f"{key!r} is the only feature of {src}; a dataset needs at least one")
    features = FeatureSet(tuple(f for f in reader.info.features.features if f.key != key))
    return _write(Path(dst), replace(reader.info, features=features),
                  [_Source(reader, e) for e in range(reader.num_episodes)], removed=key)


def recompute_stats(root: str | Path) -> None:
    """Recompute every episode's statistics from its frames (cameras from the decoded video, as
    LeRobot does) and the combined ``stats.json``; each file is replaced atomically."""
    reader = DatasetReader(root)
    records = [replace(r, stats=episode_stats(reader, r.episode_index)) for r in reader.episodes]
    for path in episode_files(reader.root):
        table = pq.read_table(path)
        rows = [records[i].to_row() for i in table.column("episode_index").to_pylist()]
        write_atomically(path, lambda tmp: pq.write_table(pa.Table.from_pylist(rows), tmp))
    write_json_atomically(reader.root / STATS_PATH, stats_mod.to_json(stats_mod.aggregate(r.stats for r in records)))


def episode_stats(reader: DatasetReader, episode: int) -> stats_mod.Stats:
    """One episode's statistics, as the writer computes them (every numeric column, every camera)."""
    out = numeric_stats(reader.episode_table(episode), reader.info.features)
    for key in reader.info.features.video_keys:
        accumulator = stats_mod.ImageStatsAccumulator()
        for frame in reader.video_frames(episode, key):
            accumulator.add(frame)
        out[key] = accumulator.result()
    return out


def numeric_stats(table: pa.Table, features: FeatureSet) -> stats_mod.Stats:
    """Statistics of an episode's numeric columns (including the index columns, as the writer does)."""
    out: stats_mod.Stats = {}
    for feature in features.column_features:
        if not feature.is_numeric:
            continue
        column = table.column(feature.key).combine_chunks()
        values = (column.to_numpy(zero_copy_only=False) if feature.shape == (1,)
                  else column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), -1))
        out[feature.key] = stats_mod.numeric_stats(values)
    return out


def check_episodes(reader: DatasetReader, episodes: Sequence[int]) -> list[int]:
    """``episodes`` if they all exist and none repeats, else a ValueError naming the bad one."""
    n = reader.num_episodes
    for e in episodes:
        if not 0 <= e < n:
            raise ValueError(f"episode {e} does not exist: {reader.root} has {n} episodes (0..{n - 1})")
    if len(set(episodes)) != len(episodes):
        raise ValueError(f"episode list {list(episodes)} names an episode twice")
    return list(episodes)


_VIDEO_KEYS_TO_MATCH = ("video.codec", "video.pix_fmt", "video.height", "video.width")


def check_compatible(a: DatasetReader, b: DatasetReader) -> None:
    """Raise ValueError naming the first difference that forbids merging ``b`` after ``a``."""
    where = f"cannot merge {b.root} into {a.root}"
    if a.info.fps != b.info.fps:
        raise ValueError(f"{where}: fps {b.info.fps} differs from {a.info.fps}; resample one of them first")
    fa, fb = a.info.features, b.info.features
    keys_a, keys_b = [f.key for f in fa.features], [f.key for f in fb.features]
    if sorted(keys_a) != sorted(keys_b):
        raise ValueError(f"{where}: features differ: only in the first {sorted(set(keys_a) - set(keys_b))}, "
                         f"only in the second {sorted(set(keys_b) - set(keys_a))}; remove-feature first")
    for key in keys_a:
        x, y = fa[key], fb[key]
        if (x.dtype, x.shape, x.names) != (y.dtype, y.shape, y.names):
            raise ValueError(f"{where}: feature {key!r} is {y.dtype} {list(y.shape)} {y.names}, "
                             f"not {x.dtype} {list(x.shape)} {x.names}")
        if x.is_video:
            for name in _VIDEO_KEYS_TO_MATCH:
                vx, vy = (x.info or {}).get(name), (y.info or {}).get(name)
                if vx != vy:
                    raise ValueError(f"{where}: camera {key!r} has {name} {vy!r}, not {vx!r}; videos are "
                                     "joined by stream copy, so they must be encoded alike")


class _Shards:
    """The current shard of one kind of file and when to move to the next (the writer's rule)."""

    def __init__(self, limit_mb: float, chunks_size: int):
        self.slot: FileSlot | None = None
        self.limit_mb, self.chunks_size = limit_mb, chunks_size

    def place(self, current_mb: float, new_mb: float) -> tuple[FileSlot, bool]:
        """The slot for an item of ``new_mb``, and whether it opens a new file."""
        if self.slot is None:
            self.slot = FileSlot()
            return self.slot, True
        if current_mb + new_mb >= self.limit_mb:
            self.slot = self.slot.next(self.chunks_size)
            return self.slot, True
        return self.slot, False


def carried_contract(readers: Sequence[DatasetReader], removed: str | None = None) -> dict | None:
    """The feature contract (``meta/lerobot_ros.json``: topics, joints, units) an edit's result keeps:
    its sources', which must agree on every feature's units and joints (merged datasets recorded in
    degrees and in -100..100 would share names and not values), without a ``removed`` feature."""
    contracts = [(r.root, json.loads((r.root / CONTRACT_PATH).read_text(encoding="utf-8")))
                 for r in {id(r): r for r in readers}.values() if (r.root / CONTRACT_PATH).is_file()]
    if not contracts:
        return None
    (first_root, contract), *others = contracts
    meaning = lambda c: {f["key"]: (f.get("units"), f.get("joints")) for f in c.get("features", [])}  # noqa: E731
    for root, other in others:
        if meaning(other) != meaning(contract):
            raise ValueError(f"{root} was recorded with other units or joints than {first_root} "
                             f"({meaning(other)} vs {meaning(contract)}, meta/lerobot_ros.json); they cannot be merged")
    if removed is not None:
        language = contract.get("language")
        contract = {**contract, "features": [f for f in contract["features"] if f["key"] != removed],
                    "language": None if language is None else [t for t in language if t.get("camera") != removed]}
    return contract


def _write(dst: Path, info: DatasetInfo, sources: list[_Source], removed: str | None = None) -> EditResult:
    if dst.exists():
        raise FileExistsError(f"{dst} already exists; edits write a new dataset: pick a new folder")
    contract = carried_contract([s.reader for s in sources], removed)
    work = partial_path(dst)
    if work.exists():
        shutil.rmtree(work)  # our own leftover of an interrupted edit, never a dataset
    work.mkdir(parents=True)
    features = info.features
    tasks = TaskTable().with_tasks([t for s in sources for t in s.reader.episode_tasks(s.episode)])
    data_shards = _Shards(info.data_files_size_in_mb, info.chunks_size)
    video_shards = {k: _Shards(info.video_files_size_in_mb, info.chunks_size) for k in features.video_keys}
    video_ends: dict[str, float] = {}
    data_writer: pq.ParquetWriter | None = None
    data_mb = 0.0
    records: list[EpisodeRecord] = []
    frames = 0
    try:
        for new_index, source in enumerate(sources):
            table = _renumber(source, features, tasks, new_index, frames)
            table_mb = table.nbytes / 1024**2
            slot, fresh = data_shards.place(data_mb, table_mb)
            if fresh:
                if data_writer is not None:
                    data_writer.close()
                path = data_file(work, slot)
                path.parent.mkdir(parents=True, exist_ok=True)
                data_writer, data_mb = pq.ParquetWriter(path, features.data_schema(), compression="snappy",
                                                          use_dictionary=True), 0.0
            data_writer.write_table(table, row_group_size=max(len(table), 1))  # one row group per episode
            data_mb += table_mb
            old = source.reader.episodes[source.episode]
            videos = {key: _copy_video(work, key, source, video_shards[key], video_ends) for key in features.video_keys}
            records.append(EpisodeRecord(
                episode_index=new_index, tasks=list(old.tasks), length=old.length, data_slot=slot,
                dataset_from_index=frames, dataset_to_index=frames + old.length, videos=videos,
                # renumbered columns get fresh stats; frames are unchanged, so camera stats are kept
                stats={**numeric_stats(table, features), **{k: old.stats[k] for k in features.video_keys}},
            ))
            frames += old.length
        if data_writer is not None:
            data_writer.close()
        meta = episodes_file(work, FileSlot())
        meta.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([r.to_row() for r in records]), meta)
        tasks.write(work)
        shutil.rmtree(work / STAGING_DIR, ignore_errors=True)
        replace(info, features=features, total_episodes=len(records), total_frames=frames,
                total_tasks=len(tasks.tasks)).write(work)
        write_json_atomically(work / STATS_PATH, stats_mod.to_json(stats_mod.aggregate(r.stats for r in records)))
        if contract is not None:
            write_json_atomically(work / CONTRACT_PATH, contract)
        for path in work.rglob("*"):
            if path.is_file():
                fsync_file(path)
        os.replace(work, dst)  # the whole dataset appears at once
        fsync_dir(dst.parent)
    finally:
        if data_writer is not None:
            data_writer.close()  # idempotent; closes the file after an error
        shutil.rmtree(work, ignore_errors=True)  # gone after a success; a failure's half folder
    return EditResult(dst, len(records), frames, len(tasks.tasks))


def _renumber(source: _Source, features: FeatureSet, tasks: TaskTable, new_index: int, first: int) -> pa.Table:
    """The episode's data rows with new episode_index, index and task_index, in the new schema."""
    table = source.reader.episode_table(source.episode)
    old_tasks = source.reader.tasks.tasks
    length = len(table)
    new_columns = {
        "episode_index": pa.array(np.full(length, new_index, dtype=np.int64)),
        "index": pa.array(np.arange(first, first + length, dtype=np.int64)),
        "task_index": pa.array([tasks.index_of(old_tasks[i]) for i in table.column("task_index").to_pylist()],
                               pa.int64()),
    }
    schema = features.data_schema()
    arrays = [new_columns[name] if name in new_columns else table.column(name) for name in schema.names]
    return pa.Table.from_arrays(arrays, names=schema.names).cast(schema)


def _copy_video(work: Path, key: str, source: _Source, shards: _Shards, ends: dict[str, float]) -> VideoSpan:
    """Cut the episode's span out of its source shard and append it to the new shard (stream copy)."""
    old = source.reader.episodes[source.episode]
    span = old.videos[key]
    segment = work / STAGING_DIR / f"{key}.mp4"
    segment.parent.mkdir(parents=True, exist_ok=True)
    _cut(video_file(source.reader.root, key, span.slot), span.from_timestamp, old.length, source.reader.info.fps,
         segment)
    current = video_file(work, key, shards.slot) if shards.slot is not None else None
    slot, fresh = shards.place(mb(current) if current else 0.0, mb(segment))
    target = video_file(work, key, slot)
    if fresh:
        move_atomically(segment, target)
        ends[key] = float(Fraction(old.length, source.reader.info.fps))
        return VideoSpan(slot, 0.0, ends[key])
    appended = write_atomically(target, lambda tmp: concatenate(target, segment, tmp, ends[key]))
    segment.unlink()
    ends[key] = appended.to_timestamp
    return VideoSpan(slot, appended.from_timestamp, appended.to_timestamp)


def _cut(shard: Path, from_s: float, length: int, fps: int, out_path: Path) -> None:
    """Copy the packets of frames ``from_s + i/fps`` (i < length) to a segment starting at 0.

    An episode's span starts on a keyframe (each episode is encoded as its own segment), so its
    packets alone decode to the same frames.
    """
    with av.open(str(shard)) as src:
        stream = src.streams.video[0]
        tb = stream.time_base
        start = round(Fraction(from_s) / tb)
        stop = start + round(Fraction(length, fps) / tb)
        with av.open(str(out_path), "w", format="mp4", options={"movflags": "faststart"}) as out:
            out_stream = out.add_stream_from_template(stream, opaque=True)
            out_stream.time_base = tb
            for packet in src.demux(stream):
                if packet.dts is None:
                    continue
                if packet.dts >= stop:
                    break
                if not start <= packet.pts < stop:
                    continue
                packet.pts -= start
                packet.dts -= start
                packet.stream = out_stream
                out.mux(packet)
