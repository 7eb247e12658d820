"""Where every file of a LeRobotDataset v3.0 lives, and how shard indices advance.

The layout is LeRobot's (``lerobot.datasets.utils`` of v0.6.1), so a folder written here is a folder
LeRobot reads and the other way round::

    meta/info.json  meta/stats.json  meta/tasks.parquet
    meta/episodes/chunk-000/file-000.parquet
    data/chunk-000/file-000.parquet             many episodes per file
    videos/<video_key>/chunk-000/file-000.mp4   many episodes per file, one stream per camera

Files in flight are written next to their destination under a hidden ``.<name>.partial`` name, and
encoded episode segments under ``.staging/``: neither matches LeRobot's ``*/*.parquet`` globs or
any path the metadata points at, and ``repair`` deletes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CODEBASE_VERSION = "v3.0"
DEFAULT_CHUNK_SIZE = 1000  # files per chunk-XXX folder
DEFAULT_DATA_FILE_SIZE_MB = 100
DEFAULT_VIDEO_FILE_SIZE_MB = 200

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
CONTRACT_PATH = "meta/lerobot_ros.json"  # the feature contract (recording/contract.py); LeRobot ignores it
DATA_DIR = "data"
VIDEOS_DIR = "videos"
STAGING_DIR = ".staging"
PARTIAL_SUFFIX = ".partial"

DATA_PATH_TEMPLATE = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH_TEMPLATE = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH_TEMPLATE = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"


@dataclass(frozen=True, order=True)
class FileSlot:
    """One shard position: ``chunk-<chunk_index>/file-<file_index>``."""

    chunk_index: int = 0
    file_index: int = 0

    def next(self, chunks_size: int) -> FileSlot:
        """The slot after this one: the file index wraps to 0 in a new chunk after ``chunks_size`` files."""
        if self.file_index + 1 >= chunks_size:
            return FileSlot(self.chunk_index + 1, 0)
        return FileSlot(self.chunk_index, self.file_index + 1)


def data_file(root: Path, slot: FileSlot) -> Path:
    return root / DATA_PATH_TEMPLATE.format(chunk_index=slot.chunk_index, file_index=slot.file_index)


def video_file(root: Path, video_key: str, slot: FileSlot) -> Path:
    return root / VIDEO_PATH_TEMPLATE.format(
        video_key=video_key, chunk_index=slot.chunk_index, file_index=slot.file_index
    )


def episodes_file(root: Path, slot: FileSlot) -> Path:
    return root / EPISODES_PATH_TEMPLATE.format(chunk_index=slot.chunk_index, file_index=slot.file_index)


def partial_path(final: Path) -> Path:
    """The temporary name a file is written under before it is atomically renamed to ``final``."""
    return final.with_name(f".{final.name}{PARTIAL_SUFFIX}")


def mb(path: Path) -> float:
    """File size in MiB, the unit of ``data_files_size_in_mb`` and ``video_files_size_in_mb``."""
    return path.stat().st_size / (1024**2)
