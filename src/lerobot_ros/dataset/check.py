"""Find out which committed episodes of a dataset folder can still be read, and what is wrong.

A crash never damages a committed episode (see ``writer``): only a disk fault, a careless copy or a
hand edit does. So before ``repair`` cuts anything it asks this module which committed episodes are
intact, and it may drop nothing that this module found readable. An episode is intact when its data
rows are all readable and consistent (count, ``episode_index``, ``frame_index``, ``timestamp``,
``task_index``, the min/max its metadata row recorded) and, per camera, every frame of its span is in
its mp4 shard: present as a packet (``decode=False``, reads every byte of the stream) or decoded with
FFmpeg's strict error detection (``decode=True``). Lossy video has no checksums: bytes flipped inside
a frame that still decodes are indistinguishable from a valid frame, and go unnoticed.

Metadata files are checked too. ``info.json`` must be readable (it declares the features; nothing
can be checked without it). The episode metadata files are the list of committed episodes: the
readable, contiguous prefix of their rows is what can be located; if a file is unreadable, a row is
out of order, or ``info.json`` counts more episodes than the rows list, the rest of the list is lost
(``metadata_lost``). ``tasks.parquet`` and ``stats.json`` are derived from the episode rows and can
be rebuilt from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .edit import numeric_stats
from .episodes import EpisodeRecord, episode_files
from .info import DatasetInfo
from .layout import (
    INFO_PATH,
    STATS_PATH,
    TASKS_PATH,
    FileSlot,
    data_file,
    episodes_file,
    video_file,
)
from .tasks import TaskTable

# LeRobot's tolerance when it matches a frame's timestamp (``tolerance_s``).
_TIMESTAMP_TOLERANCE_S = 1e-4


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the file (relative to the root), what, and which committed episodes it damages."""

    path: str
    message: str
    episodes: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class CheckReport:
    """What ``check`` found. ``records`` are the committed episodes that can be located."""

    root: Path
    info: DatasetInfo
    records: list[EpisodeRecord]
    tasks: TaskTable
    problems: list[Problem] = field(default_factory=list)
    metadata_lost: bool = False  # committed episodes past ``records`` can no longer be located
    tasks_rebuilt: bool = False  # tasks.parquet was unreadable; ``tasks`` comes from the episode rows
    decoded: bool = True

    @property
    def damaged(self) -> list[int]:
        """Committed episodes (of ``records``) whose data or frames cannot all be read."""
        return sorted({e for p in self.problems for e in p.episodes})

    @property
    def intact(self) -> list[int]:
        damaged = set(self.damaged)
        return [r.episode_index for r in self.records if r.episode_index not in damaged]

    @property
    def loses_episodes(self) -> bool:
        """Whether a repair would have to set committed episodes aside."""
        return bool(self.damaged) or self.metadata_lost

    @property
    def healthy(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        how = "every frame decoded" if self.decoded else "every video packet read, frames not decoded"
        lines = [f"{self.root}: {len(self.records)} committed episodes, {len(self.intact)} intact ({how})"]
        if self.healthy:
            lines.append("no problems found")
        else:
            lines.append(f"{len(self.problems)} problems:")
            lines.extend(f"  {problem}" for problem in self.problems)
            lines.append(f"see what repair would do: lerobot-ros dataset repair {self.root}")
        return "\n".join(lines)


def check_dataset(root: str | Path, *, decode: bool = True) -> CheckReport:
    """Read every file of the dataset at ``root`` (and decode every frame with ``decode``).

    Raises ``DatasetNotFoundError`` without ``meta/info.json`` and ``DatasetDamagedError`` when it
    cannot be read; every other fault is a ``Problem`` in the report.
    """
    root = Path(root)
    info = DatasetInfo.load(root)
    problems: list[Problem] = []
    records, lost = _committed_records(root, info, problems)
    tasks, rebuilt = _tasks(root, records, problems)
    report = CheckReport(root, info, records, tasks, problems, lost, rebuilt, decode)
    for path, group in _group(records, lambda r: data_file(root, r.data_slot)):
        problems.extend(_check_data(root, info, tasks, path, group))
    for key in info.features.video_keys:
        for path, group in _group(records, lambda r, k=key: video_file(root, k, r.videos[k].slot)):
            problems.extend(_check_video(root, info.fps, key, path, group, decode))
    problems.extend(_check_derived(root, info, records, lost))
    return report


def _group(records: list[EpisodeRecord], path_of) -> Iterable[tuple[Path, list[EpisodeRecord]]]:
    groups: dict[Path, list[EpisodeRecord]] = {}
    for record in records:
        groups.setdefault(path_of(record), []).append(record)
    return groups.items()


def _rel(root: Path, path: Path) -> str:
    return str(path.relative_to(root))


def _committed_records(root: Path, info: DatasetInfo, problems: list[Problem]) -> tuple[list[EpisodeRecord], bool]:
    """The contiguous, readable prefix of the episode metadata rows, and whether rows were lost."""
    records: list[EpisodeRecord] = []
    expected_from = 0
    for path in episode_files(root):
        try:
            rows = [EpisodeRecord.from_row(row, info.features.video_keys) for row in pq.read_table(path).to_pylist()]
        except Exception as error:  # pyarrow raises several types for a damaged file
            problems.append(Problem(_rel(root, path), f"cannot be read ({_one_line(error)}); the episodes it "
                                    "lists, and any after them, can no longer be located"))
            return records, True
        for record in rows:
            if record.episode_index != len(records) or record.dataset_from_index != expected_from:
                problems.append(_missing_rows(root, info, records) or Problem(
                    _rel(root, path), f"lists episode {record.episode_index} at frame {record.dataset_from_index}, "
                    f"expected episode {len(records)} at frame {expected_from}; the episodes from there on can no "
                    "longer be located"))
                return records, True
            records.append(record)
            expected_from = record.dataset_to_index
    if info.total_episodes > len(records):
        problems.append(_missing_rows(root, info, records) or Problem(
            INFO_PATH, f"counts {info.total_episodes} episodes but the episode metadata lists {len(records)}; the "
            f"metadata rows of episodes {len(records)}..{info.total_episodes - 1} are missing, so their frames "
            "cannot be located"))
        return records, True
    return records, False


def _missing_rows(root: Path, info: DatasetInfo, records: list[EpisodeRecord]) -> Problem | None:
    """The episode metadata file that should list episode ``len(records)``, if it is missing."""
    slot = records[-1].meta_slot.next(info.chunks_size) if records else FileSlot()
    path = episodes_file(root, slot)
    if path.exists():
        return None
    return Problem(_rel(root, path), f"is missing: it listed episode {len(records)} (and maybe more); the "
                   "episodes from there on can no longer be located")


def _tasks(root: Path, records: list[EpisodeRecord], problems: list[Problem]) -> tuple[TaskTable, bool]:
    """The task table, or (if it cannot be read) the writer's order rebuilt from the episode rows."""
    try:
        if records and not (root / TASKS_PATH).exists():
            raise FileNotFoundError("it is missing")
        return TaskTable.load(root), False
    except Exception as error:
        problems.append(Problem(TASKS_PATH, f"cannot be read ({_one_line(error)}); repair rebuilds it from "
                                "the episode metadata (tasks in order of first use)"))
        return TaskTable().with_tasks([task for record in records for task in record.tasks]), True


def _check_data(root: Path, info: DatasetInfo, tasks: TaskTable, path: Path,
                records: list[EpisodeRecord]) -> list[Problem]:
    """Every row of ``records`` in data shard ``path``, read one row group at a time so a damaged
    group costs only its own episode."""
    rel = _rel(root, path)
    everything = tuple(r.episode_index for r in records)
    if not path.exists():
        return [Problem(rel, f"{_which(everything)}: the file is missing", everything)]
    try:
        parquet = pq.ParquetFile(path)
        groups = parquet.num_row_groups
    except Exception as error:
        return [Problem(rel, f"{_which(everything)}: the file cannot be read ({_one_line(error)})", everything)]
    tables, unreadable = [], []
    for group in range(groups):
        try:
            tables.append(parquet.read_row_group(group))
        except Exception as error:
            unreadable.append(f"row group {group}: {_one_line(error)}")
    rows = pa.concat_tables(tables) if tables else None
    why = f" ({'; '.join(unreadable)})" if unreadable else ""
    problems = []
    for record in records:
        table = _episode_rows(rows, record) if rows is not None else None
        found = 0 if table is None else len(table)
        if found != record.length:
            problems.append(Problem(rel, f"episode {record.episode_index}: {found} of {record.length} rows "
                                    f"readable{why}", (record.episode_index,)))
            continue
        wrong = _wrong_values(table, record, info, tasks)
        if wrong:
            problems.append(Problem(rel, f"episode {record.episode_index}: {wrong}", (record.episode_index,)))
    return problems


def _episode_rows(rows: pa.Table, record: EpisodeRecord) -> pa.Table:
    index = rows.column("index")
    mask = pc.and_(pc.greater_equal(index, record.dataset_from_index), pc.less(index, record.dataset_to_index))
    return rows.filter(mask).sort_by("index")


def _wrong_values(table: pa.Table, record: EpisodeRecord, info: DatasetInfo, tasks: TaskTable) -> str | None:
    """What is inconsistent in an episode's rows, or None."""
    length = record.length
    if table.column("episode_index").to_pylist() != [record.episode_index] * length:
        return "episode_index differs from the episode's"
    frame_index = np.asarray(table.column("frame_index").to_pylist())
    if not np.array_equal(frame_index, np.arange(length)):
        return "frame_index is not 0..length-1"
    timestamps = np.asarray(table.column("timestamp").to_pylist(), dtype=np.float64)
    if np.abs(timestamps - np.arange(length) / info.fps).max(initial=0) > _TIMESTAMP_TOLERANCE_S:
        return f"timestamps are not frame_index / {info.fps}"
    allowed = set(record.tasks)
    for task_index in set(table.column("task_index").to_pylist()):
        if not 0 <= task_index < len(tasks.tasks) or tasks.tasks[task_index] not in allowed:
            return f"task_index {task_index} is not one of the episode's tasks {record.tasks}"
    for key, stats in numeric_stats(table, info.features).items():
        recorded = record.stats.get(key, {})
        for name in ("min", "max"):
            if name in recorded and not np.allclose(stats[name], recorded[name], rtol=1e-6, atol=1e-6):
                return f"{key} {name} {stats[name].tolist()} differs from the recorded {recorded[name].tolist()}"
    return None


def _check_video(root: Path, fps: int, key: str, path: Path, records: list[EpisodeRecord],
                 decode: bool) -> list[Problem]:
    """Whether every frame of every episode span is in the shard (decoded, with ``decode``)."""
    rel = _rel(root, path)
    everything = tuple(r.episode_index for r in records)
    if not path.exists():
        return [Problem(rel, f"{_which(everything)}: the file is missing", everything)]
    present: set[int] = set()
    notes: list[str] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            step = Fraction(1, fps) / stream.time_base
            if step.denominator != 1:
                return [Problem(rel, f"{_which(everything)}: its time base {stream.time_base} cannot hold {fps} "
                                "fps frames", everything)]
            tb = stream.time_base
            if decode:
                stream.codec_context.options = {"err_detect": "explode"}  # a concealed error is an error
            try:
                for packet in container.demux(stream):
                    if packet.pts is None:
                        continue
                    if not decode:
                        present.add(packet.pts)
                        continue
                    try:
                        present.update(frame.pts for frame in packet.decode() if frame.pts is not None)
                    except av.error.FFmpegError as error:
                        notes.append(f"the frame at {float(packet.pts * tb):.3f} s does not decode ({error.strerror})")
                if decode:
                    present.update(f.pts for f in stream.codec_context.decode(None) if f.pts is not None)
            except av.error.FFmpegError as error:
                notes.append(f"reading stops ({error.strerror})")
    except (av.error.FFmpegError, IndexError) as error:
        reason = "it has no video stream" if isinstance(error, IndexError) else error.strerror
        return [Problem(rel, f"{_which(everything)}: the file cannot be opened ({reason})", everything)]
    problems = []
    step_ticks = int(step)
    for record in records:
        start = round(Fraction(record.videos[key].from_timestamp) / tb)
        missing = [i for i in range(record.length) if start + i * step_ticks not in present]
        if missing:
            what = "do not decode" if decode else "are missing"
            why = f" ({notes[0]})" if notes else ""
            problems.append(Problem(rel, f"episode {record.episode_index}: {len(missing)} of {record.length} "
                                    f"frames {what}, the first at frame {missing[0]}{why}", (record.episode_index,)))
    return problems


def _check_derived(root: Path, info: DatasetInfo, records: list[EpisodeRecord], lost: bool) -> list[Problem]:
    """info.json counters and stats.json, which repair recomputes from the episode rows."""
    problems = []
    frames = records[-1].dataset_to_index if records else 0
    if not lost and (info.total_episodes, info.total_frames) != (len(records), frames):
        problems.append(Problem(INFO_PATH, f"counts {info.total_episodes} episodes and {info.total_frames} frames, "
                                f"the episode metadata {len(records)} and {frames} (a crash between a commit and "
                                "the info.json update); repair recomputes it"))
    path = root / STATS_PATH
    if records:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            reason = "it is missing" if isinstance(error, FileNotFoundError) else _one_line(error)
            problems.append(Problem(STATS_PATH, f"cannot be read ({reason}); repair recomputes it from the "
                                    "episode metadata"))
    return problems


def _which(episodes: tuple[int, ...]) -> str:
    return f"episode{'s' if len(episodes) > 1 else ''} {episode_ranges(episodes)}"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def episode_ranges(episodes: Iterable[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5', the CLI's episode-list syntax."""
    out: list[str] = []
    for e in sorted(episodes):
        if out and e == int(out[-1].rpartition("-")[2]) + 1:
            out[-1] = f"{out[-1].partition('-')[0]}-{e}"
        else:
            out.append(str(e))
    return ",".join(out)
