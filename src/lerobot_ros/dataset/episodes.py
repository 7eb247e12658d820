"""Episode metadata rows (``meta/episodes/chunk-XXX/file-XXX.parquet``), one per saved episode.

A row says where an episode's frames are (data shard and global index range, and per camera the
mp4 shard and the ``from_timestamp``/``to_timestamp`` span inside it), which tasks it uses, and its
statistics. The rows on disk are the list of committed episodes: the writer appends an episode's row
only after its frames and videos are durably in place, so this append is the commit point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import stats as stats_mod
from .layout import EPISODES_DIR, FileSlot


@dataclass(frozen=True)
class VideoSpan:
    slot: FileSlot
    from_timestamp: float
    to_timestamp: float


@dataclass(frozen=True)
class EpisodeRecord:
    episode_index: int
    tasks: list[str]
    length: int
    data_slot: FileSlot
    dataset_from_index: int
    dataset_to_index: int
    videos: dict[str, VideoSpan] = field(default_factory=dict)
    meta_slot: FileSlot = FileSlot()
    stats: stats_mod.Stats = field(default_factory=dict)

    def to_row(self) -> dict:
        """The row in LeRobot's column order."""
        row: dict = {
            "episode_index": self.episode_index,
            "tasks": list(self.tasks),
            "length": self.length,
            "data/chunk_index": self.data_slot.chunk_index,
            "data/file_index": self.data_slot.file_index,
            "dataset_from_index": self.dataset_from_index,
            "dataset_to_index": self.dataset_to_index,
        }
        for key, span in self.videos.items():
            row[f"videos/{key}/chunk_index"] = span.slot.chunk_index
            row[f"videos/{key}/file_index"] = span.slot.file_index
            row[f"videos/{key}/from_timestamp"] = span.from_timestamp
            row[f"videos/{key}/to_timestamp"] = span.to_timestamp
        row.update(stats_mod.to_episode_columns(self.stats))
        row["meta/episodes/chunk_index"] = self.meta_slot.chunk_index
        row["meta/episodes/file_index"] = self.meta_slot.file_index
        return row

    @classmethod
    def from_row(cls, row: dict, video_keys: tuple[str, ...]) -> EpisodeRecord:
        videos = {
            key: VideoSpan(
                FileSlot(row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]),
                row[f"videos/{key}/from_timestamp"],
                row[f"videos/{key}/to_timestamp"],
            )
            for key in video_keys
        }
        return cls(
            episode_index=row["episode_index"],
            tasks=list(row["tasks"]),
            length=row["length"],
            data_slot=FileSlot(row["data/chunk_index"], row["data/file_index"]),
            dataset_from_index=row["dataset_from_index"],
            dataset_to_index=row["dataset_to_index"],
            videos=videos,
            meta_slot=FileSlot(row["meta/episodes/chunk_index"], row["meta/episodes/file_index"]),
            stats=stats_mod.from_episode_row(row),
        )

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist([self.to_row()])


def episode_files(root: Path) -> list[Path]:
    """The episodes parquet files, in shard order (LeRobot globs ``*/*.parquet`` the same way)."""
    return sorted((root / EPISODES_DIR).glob("*/*.parquet"))


def load_records(root: Path, video_keys: tuple[str, ...]) -> list[EpisodeRecord]:
    """Every committed episode, checked to be numbered 0..n-1 and to cover frames contiguously."""
    records = [
        EpisodeRecord.from_row(row, video_keys)
        for path in episode_files(root)
        for row in pq.read_table(path).to_pylist()
    ]
    check_contiguous(records, root)
    return records


def check_contiguous(records: list[EpisodeRecord], root: Path) -> None:
    expected_from = 0
    for position, record in enumerate(records):
        if record.episode_index != position or record.dataset_from_index != expected_from:
            raise ValueError(
                f"{root}: episode metadata row {position} is episode {record.episode_index} starting at "
                f"frame {record.dataset_from_index}; expected episode {position} at frame {expected_from}. "
                "Run lerobot_ros.dataset.repair on the folder."
            )
        expected_from = record.dataset_to_index
