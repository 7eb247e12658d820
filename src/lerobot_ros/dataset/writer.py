"""Record episodes into a LeRobotDataset v3.0 folder that is valid after every saved episode.

Crash safety, by construction
-----------------------------
Every file is replaced only whole: written under a temp name, fsynced, renamed with ``os.replace``
and its folder fsynced (``atomic.py``). ``save_episode`` then writes in an order where each step
only adds data that the previous state does not point at, and one rename commits the episode:

1. encode: each camera's frames were streamed into the episode's own mp4 segment in ``.staging/``
   while recording; saving flushes the encoders;
2. ``meta/tasks.parquet`` gains any new task (extra tasks are harmless);
3. each camera's segment is appended to its mp4 shard by stream copy into a temp file that replaces
   the shard, or becomes a new shard (LeRobot concatenates the same way);
4. the episode's rows are appended to the data shard (a rewrite of the shard, see ``parquet_io``);
5. **commit**: the episode's metadata row is appended to the episodes parquet shard;
6. ``info.json`` and ``stats.json`` are rewritten from the in-memory state.

With ``one_episode_per_file`` (the live recorder's choice) steps 3-5 write new files instead of
growing the current ones: each episode's mp4 segment, data rows and metadata row go to the next
file slots (``file-NNN`` in a chunk, the next chunk after ``chunks_size`` files), which LeRobot
v3.0 loads the same way (every episode row names its files and its span in them). Growing a shard
rewrites it, a cost that grows with the shard (1.6 s for a 73 MB data shard); a new file costs the
same at any dataset size. The commit is still the one rename of step 5, in the same order.

Killed before 5, the folder holds the previous episodes plus unreferenced tails (extra rows in the
data shard, extra seconds in mp4 shards, temp files, staging); killed between 5 and 6, counters and
stats lag one episode. ``repair`` (run by ``DatasetWriter.resume``) cuts the tails and recomputes
info and stats from the committed rows, so a kill at any moment loses at most the episode in
progress, and after every ``save_episode`` the folder is a complete dataset that LeRobot loads.
A committed episode that cannot be read (damage from outside, never a crash) makes ``resume``
refuse with ``RepairNeedsConfirmation`` rather than drop it.

Threads
-------
``add_frame`` may be called from a recording thread while another thread runs ``save_episode``:
saving first detaches the episode in progress (a pointer swap under a lock), so frames added
meanwhile start the next episode. ``take_episode`` does only that detaching, so that the episode's
encoder flush and commit (``save_episode(episode=...)``) can run on another thread while the next
episode records; commits run one at a time, in the order they are called. Frames are never held twice: camera frames are encoded as they
arrive and only numeric values are buffered. ``SaveResult.timings`` says how long the call blocked,
step by step.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import stats as stats_mod
from .atomic import move_atomically, write_atomically, write_json_atomically
from .episode_buffer import EpisodeBuffer, FinishedEpisode
from .episodes import EpisodeRecord, VideoSpan, load_records
from .features import FeatureSet
from .info import DatasetInfo
from .language import (
    LANGUAGE_COLUMNS,
    LANGUAGE_EVENTS,
    LANGUAGE_FEATURE,
    LANGUAGE_PERSISTENT,
    SAY_TOOL_SCHEMA,
    LanguageRow,
    column_array,
)
from .layout import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DATA_FILE_SIZE_MB,
    DEFAULT_VIDEO_FILE_SIZE_MB,
    STAGING_DIR,
    STATS_PATH,
    FileSlot,
    data_file,
    episodes_file,
    mb,
    video_file,
)
from .parquet_io import append_table
from .repair import RepairReport, repair
from .tasks import TaskTable
from .video import VideoEncoding, concatenate, stream_info


@dataclass(frozen=True)
class FileLimits:
    """Shard rollover limits (LeRobot's defaults); small values make tests roll over."""

    chunks_size: int = DEFAULT_CHUNK_SIZE
    data_files_size_in_mb: float = DEFAULT_DATA_FILE_SIZE_MB
    video_files_size_in_mb: float = DEFAULT_VIDEO_FILE_SIZE_MB


@dataclass(frozen=True)
class SaveTimings:
    """Seconds ``save_episode`` spent per step; ``total_s`` is how long the call blocked."""

    encode_flush_s: float
    stats_s: float
    tasks_s: float
    videos_s: float
    data_s: float
    commit_s: float
    info_stats_s: float
    total_s: float


@dataclass(frozen=True)
class SaveResult:
    episode_index: int
    length: int
    dataset_from_index: int
    dataset_to_index: int
    tasks: list[str]
    videos: dict[str, VideoSpan]
    timings: SaveTimings


class EmptyEpisodeError(ValueError):
    """``save_episode`` was called with no frames added."""


@dataclass
class _Shard:
    """The shard this session appends to, and how much it holds."""

    slot: FileSlot
    items: int = 0  # frames (data), episodes (metadata) in it
    end_s: float = 0.0  # video: committed end inside the mp4


@dataclass
class _State:
    """Everything the next save needs, advanced only after a commit."""

    info: DatasetInfo
    tasks: TaskTable
    episode_stats: list[stats_mod.Stats]
    data: _Shard | None = None
    meta: _Shard | None = None
    videos: dict[str, _Shard] = field(default_factory=dict)
    # Where the first shard of this session goes (after the last one on disk when resuming).
    first_data_slot: FileSlot = FileSlot()
    first_meta_slot: FileSlot = FileSlot()
    first_video_slots: dict[str, FileSlot] = field(default_factory=dict)


class DatasetWriter:
    """Writes episodes; create a dataset with ``create`` or continue one with ``resume``."""

    def __init__(self, root: Path, state: _State, encoding: VideoEncoding, one_episode_per_file: bool = False):
        self.root = root
        self._state = state
        self._encoding = encoding
        self.one_episode_per_file = one_episode_per_file
        self._episode: EpisodeBuffer | None = None
        self._frame_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._staged = 0
        self.repair_report: RepairReport | None = None  # set by ``resume``: what its repair found and did

    # -- opening ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | Path,
        fps: int,
        features: Mapping[str, Mapping],
        *,
        robot_type: str | None = None,
        video: VideoEncoding | None = None,
        language: bool = False,
        limits: FileLimits = FileLimits(),
        one_episode_per_file: bool = False,
    ) -> DatasetWriter:
        """Start a new dataset at ``root``, which must not exist yet (as in LeRobot) or be an empty
        folder: a mount point cannot be removed and made again, so it is written into as it is.

        ``features`` maps keys to ``{"dtype", "shape", "names"}``: numeric scalars/vectors and
        ``"video"`` cameras of shape ``[H, W, 3]``. ``language=True`` declares the two language
        columns and the ``say`` tool. ``one_episode_per_file``: every episode in new files (module
        docstring), so that a commit costs the same however many episodes the dataset holds.
        """
        root = Path(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise FileExistsError(
                f"{root} already exists; pick a new folder, or continue it with DatasetWriter.resume"
            )
        if int(fps) != fps:
            raise ValueError(f"fps must be an integer (LeRobot stores frame_index / fps), got {fps}")
        encoding = video or VideoEncoding()
        specs = {key: dict(spec) for key, spec in features.items()}
        for spec in specs.values():
            if spec.get("dtype") == "video":
                # Recorded now, so a crash before the first episode's stream info still says how
                # the videos are encoded (resume reuses it).
                spec["info"] = {**encoding.info(), "is_depth_map": False}
        if language:
            specs.update({key: dict(LANGUAGE_FEATURE) for key in LANGUAGE_COLUMNS})
        info = DatasetInfo(
            fps=int(fps),
            features=FeatureSet.from_json(specs),
            robot_type=robot_type,
            chunks_size=limits.chunks_size,
            data_files_size_in_mb=limits.data_files_size_in_mb,
            video_files_size_in_mb=limits.video_files_size_in_mb,
            tools=[SAY_TOOL_SCHEMA] if language else None,
        )
        root.mkdir(parents=True, exist_ok=True)
        info.write(root)
        state = _State(info=info, tasks=TaskTable(), episode_stats=[])
        state.first_video_slots = {key: FileSlot() for key in info.features.video_keys}
        return cls(root, state, encoding, one_episode_per_file)

    @classmethod
    def resume(cls, root: str | Path, *, video: VideoEncoding | None = None, decode: bool = False,
               one_episode_per_file: bool = False, keep_staging: bool = False) -> DatasetWriter:
        """Continue an existing dataset: repair it to its last complete episode, then append.

        The repair only cuts what no committed episode uses (a crash's leftovers); if a committed
        episode cannot be read, it raises ``RepairNeedsConfirmation`` and changes nothing: setting
        episodes aside is for ``lerobot-ros dataset repair ROOT --apply``, never silent.
        ``writer.repair_report`` is the repair's ``RepairReport`` (its ``summary()`` is for the user).

        By default every row and every video packet is read, not decoded: that finds truncated,
        missing and unparsable files in about a tenth of the time (decoding a 50-episode, two-camera
        dataset takes most of a minute on 2 cores), and resuming never touches committed files, so
        damage inside a frame is left for ``lerobot-ros dataset check``. ``decode=True`` decodes too.

        New episodes go to new shard files, as in LeRobot's resume. ``video`` defaults to the
        encoding recorded in info.json; another codec is refused, since info.json describes one.
        ``keep_staging`` leaves ``.staging`` alone (a writer recovering from a failed save while its
        next episode records there).
        """
        root = Path(root)
        report = repair(root, decode=decode, keep_staging=keep_staging)
        info = DatasetInfo.load(root)
        recorded = [info.features[key].info for key in info.features.video_keys if info.features[key].info]
        if recorded:
            used = VideoEncoding.from_info(recorded[0])
            if video is not None and video.codec != used.codec:
                raise ValueError(
                    f"{root}: its videos are encoded with {used.codec}, not {video.codec}; resume with "
                    "the same codec (leave video= unset to reuse the recorded encoding)"
                )
            video = video or used
        records = load_records(root, info.features.video_keys)
        state = _State(info=info, tasks=TaskTable.load(root), episode_stats=[r.stats for r in records])
        if records:
            last = records[-1]
            size = info.chunks_size
            state.first_data_slot = last.data_slot.next(size)
            state.first_meta_slot = last.meta_slot.next(size)
            state.first_video_slots = {key: span.slot.next(size) for key, span in last.videos.items()}
        else:
            state.first_video_slots = {key: FileSlot() for key in info.features.video_keys}
        writer = cls(root, state, video or VideoEncoding(), one_episode_per_file)
        writer.repair_report = report
        return writer

    # -- recording --------------------------------------------------------------------------------

    @property
    def info(self) -> DatasetInfo:
        return replace(self._state.info)

    @property
    def num_episodes(self) -> int:
        return self._state.info.total_episodes

    @property
    def episode_length(self) -> int:
        """Frames added to the episode in progress."""
        with self._frame_lock:
            return self._episode.length if self._episode else 0

    def add_frame(
        self, frame: Mapping[str, object], task: str, language_events: Sequence[LanguageRow] = ()
    ) -> None:
        """Append one frame to the episode in progress.

        ``frame`` holds every user feature (numeric arrays, uint8 HWC camera images); the writer adds
        timestamp = frame_index / fps and the indices. ``language_events`` fire at this frame.
        """
        with self._frame_lock:
            if self._episode is None:
                self._staged += 1
                staging = self.root / STAGING_DIR / f"episode-{self._staged:06d}"
                self._episode = EpisodeBuffer(self._state.info.features, self._state.info.fps, staging,
                                              self._encoding)
            self._episode.add(frame, task, language_events)

    def clear_episode(self) -> None:
        """Drop the episode in progress (e.g. to re-record it)."""
        with self._frame_lock:
            episode, self._episode = self._episode, None
        if episode is not None:
            episode.discard()

    def take_episode(self) -> EpisodeBuffer:
        """Detach the episode in progress, to be saved with ``save_episode(episode=...)``, maybe on
        another thread; frames added from now on start the next episode."""
        with self._frame_lock:
            episode, self._episode = self._episode, None
        if episode is None or episode.length == 0:
            raise EmptyEpisodeError("save_episode: no frames were added since the last save")
        return episode

    def save_episode(self, language_persistent: Sequence[LanguageRow] = (),
                     episode: EpisodeBuffer | None = None) -> SaveResult:
        """Commit the episode in progress, or ``episode`` taken earlier with ``take_episode``; returns
        where it went and how long this call blocked.

        ``language_persistent`` rows (subtask, plan, memory, ...) are stored on every frame.
        """
        start = time.perf_counter()
        self._check_persistent(language_persistent)
        if episode is None:
            episode = self.take_episode()
        with self._save_lock:
            return self._commit(episode.finish(), language_persistent, start)

    def save_encoded_episode(self, episode: FinishedEpisode,
                             language_persistent: Sequence[LanguageRow] = ()) -> SaveResult:
        """Commit an episode built by an ``EpisodeBuffer`` elsewhere, e.g. in a worker process.

        The buffer must have been made with this dataset's features, fps and encoding and a staging
        folder under ``<root>/.staging`` (same file system: segments are moved, not copied). The
        bag converter encodes episodes in parallel this way and commits them here in order; the
        write order and crash safety are those of ``save_episode``.
        """
        start = time.perf_counter()
        self._check_persistent(language_persistent)
        if episode.length == 0:
            raise EmptyEpisodeError("save_encoded_episode: the episode has no frames")
        with self._save_lock:
            return self._commit(episode, language_persistent, start)

    @property
    def encoding(self) -> VideoEncoding:
        return self._encoding

    def _check_persistent(self, language_persistent: Sequence[LanguageRow]) -> None:
        for row in language_persistent:
            row.validate(self._state.info.features.video_keys)
            if not row.persistent:
                raise ValueError(f"a {row.style!r} row is an event: pass it to add_frame(language_events=...)")
        if language_persistent and not self._state.info.features.has_language:
            raise ValueError("language rows given, but the dataset was created without language=True")

    def _commit(self, finished: FinishedEpisode, language_persistent: Sequence[LanguageRow],
                start: float) -> SaveResult:
        """Save a finished episode (under the save lock); on failure cut back to the last commit."""
        saved = None
        try:
            saved = self._save(finished, list(language_persistent), start)
        finally:
            shutil.rmtree(finished.staging, ignore_errors=True)
            if saved is None:
                # The save failed part way: cut the folder back to the last commit.
                self._recover()
        return saved

    def close(self) -> None:
        """Drop any episode in progress and the staging folder; saved episodes are already safe."""
        self.clear_episode()
        shutil.rmtree(self.root / STAGING_DIR, ignore_errors=True)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- saving -----------------------------------------------------------------------------------

    def _save(self, ep: FinishedEpisode, persistent: list[LanguageRow], start: float) -> SaveResult:
        state = self._state
        info = state.info
        marks = [time.perf_counter()]
        episode_index = info.total_episodes
        first = info.total_frames
        tasks = state.tasks.with_tasks(ep.tasks)
        columns = self._data_columns(ep, persistent, episode_index, first, tasks)
        ep_stats = {f.key: stats_mod.numeric_stats(columns[f.key])
                    for f in info.features.column_features if f.is_numeric}
        ep_stats.update(ep.video_stats)
        marks.append(time.perf_counter())

        if tasks.tasks != state.tasks.tasks:
            tasks.write(self.root)
        marks.append(time.perf_counter())

        videos: dict[str, VideoSpan] = {}
        video_shards: dict[str, _Shard] = {}
        for key, segment in ep.segments.items():
            videos[key], video_shards[key] = self._append_video(key, segment, ep.length)
        marks.append(time.perf_counter())

        data_shard = self._rollover(state.data, state.first_data_slot, ep.length, data_file,
                                    info.data_files_size_in_mb)
        append_table(data_file(self.root, data_shard.slot), self._data_table(columns))
        marks.append(time.perf_counter())

        meta_shard = self._rollover(state.meta, state.first_meta_slot, 1, episodes_file,
                                    info.data_files_size_in_mb)
        record = EpisodeRecord(
            episode_index=episode_index,
            tasks=list(dict.fromkeys(ep.tasks)),
            length=ep.length,
            data_slot=data_shard.slot,
            dataset_from_index=first,
            dataset_to_index=first + ep.length,
            videos=videos,
            meta_slot=meta_shard.slot,
            stats=ep_stats,
        )
        append_table(episodes_file(self.root, meta_shard.slot), record.to_table())  # the commit
        marks.append(time.perf_counter())

        features = info.features
        if episode_index == 0:
            for key, span in videos.items():
                path = video_file(self.root, key, span.slot)
                features = features.with_video_info(key, {**(features[key].info or {}), **stream_info(path)})
        new_info = replace(info, features=features, total_episodes=episode_index + 1,
                           total_frames=first + ep.length, total_tasks=len(tasks.tasks))
        # Aggregated from every episode in order, exactly as repair recomputes it.
        new_stats = stats_mod.aggregate([*state.episode_stats, ep_stats])
        new_info.write(self.root)
        write_json_atomically(self.root / STATS_PATH, stats_mod.to_json(new_stats))
        marks.append(time.perf_counter())

        state.info, state.tasks = new_info, tasks
        state.episode_stats.append(ep_stats)
        state.data = _Shard(data_shard.slot, data_shard.items + ep.length)
        state.meta = _Shard(meta_shard.slot, meta_shard.items + 1)
        state.videos.update(video_shards)
        steps = [b - a for a, b in zip(marks, marks[1:])]
        timings = SaveTimings(
            encode_flush_s=marks[0] - start, stats_s=steps[0], tasks_s=steps[1], videos_s=steps[2],
            data_s=steps[3], commit_s=steps[4], info_stats_s=steps[5],
            total_s=time.perf_counter() - start,
        )
        return SaveResult(episode_index, ep.length, first, first + ep.length, record.tasks, videos, timings)

    def _data_columns(self, ep: FinishedEpisode, persistent: list[LanguageRow], episode_index: int,
                      first: int, tasks: TaskTable) -> dict[str, object]:
        """The episode's parquet columns: numpy arrays (length, ...) and language row lists."""
        info = self._state.info
        frame_index = np.arange(ep.length, dtype=np.int64)
        columns: dict[str, object] = dict(ep.columns)
        columns["timestamp"] = (frame_index / info.fps).astype(np.float32)
        columns["frame_index"] = frame_index
        columns["episode_index"] = np.full(ep.length, episode_index, dtype=np.int64)
        columns["index"] = first + frame_index
        columns["task_index"] = np.array([tasks.index_of(t) for t in ep.tasks], dtype=np.int64)
        if info.features.has_language:
            rows = [row.to_arrow() for row in persistent]
            columns[LANGUAGE_PERSISTENT] = [rows] * ep.length
            columns[LANGUAGE_EVENTS] = [[row.to_arrow() for row in events] for events in ep.events]
        return columns

    def _data_table(self, columns: dict[str, object]) -> pa.Table:
        features = self._state.info.features
        arrays = []
        for feature in features.column_features:
            value = columns[feature.key]
            if feature.is_numeric and feature.shape != (1,):
                flat = pa.array(np.ascontiguousarray(value).reshape(-1))
                arrays.append(pa.FixedSizeListArray.from_arrays(flat, feature.shape[0]))
            elif feature.is_numeric:
                arrays.append(pa.array(np.asarray(value).reshape(-1), type=feature.arrow_type()))
            else:
                arrays.append(column_array(feature.key, value))
        return pa.Table.from_arrays(arrays, schema=features.data_schema())

    def _rollover(self, shard: _Shard | None, first_slot: FileSlot, items: int, path_of,
                  limit_mb: float) -> _Shard:
        """The shard the next ``items`` go to: the current one, or the next when it would pass the limit
        (or always the next, one episode per file)."""
        if shard is None:
            return _Shard(first_slot)
        if self.one_episode_per_file:
            return _Shard(shard.slot.next(self._state.info.chunks_size))
        size = mb(path_of(self.root, shard.slot))
        if size + size / shard.items * items >= limit_mb:
            return _Shard(shard.slot.next(self._state.info.chunks_size))
        return shard

    def _append_video(self, key: str, segment: Path, length: int) -> tuple[VideoSpan, _Shard]:
        info = self._state.info
        shard = self._state.videos.get(key)
        if shard is not None and not self.one_episode_per_file:
            target = video_file(self.root, key, shard.slot)
            if mb(target) + mb(segment) < info.video_files_size_in_mb:
                appended = write_atomically(target, lambda tmp: concatenate(target, segment, tmp, shard.end_s))
                return (VideoSpan(shard.slot, appended.from_timestamp, appended.to_timestamp),
                        _Shard(shard.slot, shard.items + 1, appended.to_timestamp))
        slot = shard.slot.next(info.chunks_size) if shard else self._state.first_video_slots[key]
        move_atomically(segment, video_file(self.root, key, slot))
        end = float(Fraction(length, info.fps))
        return VideoSpan(slot, 0.0, end), _Shard(slot, 1, end)

    def _recover(self) -> None:
        """After a failed save: repair the folder and reload the state from it."""
        # Frames are not decoded: only this session's uncommitted tail needs cutting.
        fresh = DatasetWriter.resume(self.root, video=self._encoding, keep_staging=True)
        self._state = fresh._state

