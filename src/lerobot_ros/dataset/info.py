"""``meta/info.json``: the dataset's identity, counters, limits and features.

Written in LeRobot's key order and rewritten atomically after every saved episode, so the counters
on disk always describe exactly the episodes whose metadata rows are on disk (``repair`` recomputes
them from those rows if a crash fell between the two writes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_json_atomically
from .features import FeatureSet
from .layout import (
    CODEBASE_VERSION,
    DATA_PATH_TEMPLATE,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DATA_FILE_SIZE_MB,
    DEFAULT_VIDEO_FILE_SIZE_MB,
    INFO_PATH,
    VIDEO_PATH_TEMPLATE,
)


class DatasetNotFoundError(FileNotFoundError):
    """The folder holds no ``meta/info.json``."""


class DatasetDamagedError(ValueError):
    """A file the dataset cannot be read or repaired without is damaged (the message names it)."""


@dataclass
class DatasetInfo:
    fps: int
    features: FeatureSet
    robot_type: str | None = None
    total_episodes: int = 0
    total_frames: int = 0
    total_tasks: int = 0
    chunks_size: int = DEFAULT_CHUNK_SIZE
    data_files_size_in_mb: float = DEFAULT_DATA_FILE_SIZE_MB
    video_files_size_in_mb: float = DEFAULT_VIDEO_FILE_SIZE_MB
    tools: list[dict] | None = None
    codebase_version: str = CODEBASE_VERSION
    data_path: str = DATA_PATH_TEMPLATE
    video_path: str | None = VIDEO_PATH_TEMPLATE

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"fps must be a positive integer, got {self.fps}")
        for name in ("chunks_size", "data_files_size_in_mb", "video_files_size_in_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    def to_json(self) -> dict:
        out = {
            "codebase_version": self.codebase_version,
            "robot_type": self.robot_type,
            "total_episodes": self.total_episodes,
            "total_frames": self.total_frames,
            "total_tasks": self.total_tasks,
            "chunks_size": self.chunks_size,
            "data_files_size_in_mb": self.data_files_size_in_mb,
            "video_files_size_in_mb": self.video_files_size_in_mb,
            "fps": self.fps,
            "splits": {"train": f"0:{self.total_episodes}"},
            "data_path": self.data_path,
            "video_path": self.video_path if self.features.video_keys else None,
            "features": self.features.to_json(),
        }
        if self.tools is not None:
            out["tools"] = self.tools
        return out

    @classmethod
    def from_json(cls, data: dict) -> DatasetInfo:
        version = data.get("codebase_version")
        if version != CODEBASE_VERSION:
            raise ValueError(
                f"dataset format {version!r} is not {CODEBASE_VERSION!r}; convert it with LeRobot "
                "(python -m lerobot.scripts.convert_dataset_v21_to_v30) first"
            )
        return cls(
            fps=int(data["fps"]),
            features=FeatureSet.from_json(data["features"]),
            robot_type=data.get("robot_type"),
            total_episodes=int(data.get("total_episodes", 0)),
            total_frames=int(data.get("total_frames", 0)),
            total_tasks=int(data.get("total_tasks", 0)),
            chunks_size=data.get("chunks_size", DEFAULT_CHUNK_SIZE),
            data_files_size_in_mb=data.get("data_files_size_in_mb", DEFAULT_DATA_FILE_SIZE_MB),
            video_files_size_in_mb=data.get("video_files_size_in_mb", DEFAULT_VIDEO_FILE_SIZE_MB),
            tools=data.get("tools"),
            data_path=data.get("data_path", DATA_PATH_TEMPLATE),
            video_path=data.get("video_path") or VIDEO_PATH_TEMPLATE,
        )

    @classmethod
    def load(cls, root: Path) -> DatasetInfo:
        path = root / INFO_PATH
        if not path.is_file():
            raise DatasetNotFoundError(
                f"{root}: no {INFO_PATH}; this is not a LeRobot dataset folder (or its creation never "
                "finished): pass the dataset root, or create a new dataset there"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            return cls.from_json(data)
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise DatasetDamagedError(
                f"{path} cannot be read ({type(error).__name__}: {' '.join(str(error).split())[:200]}); it declares "
                "the dataset's features, so nothing can be read or repaired without it: restore it from a backup "
                "or another copy of the dataset"
            ) from error

    def write(self, root: Path) -> None:
        write_json_atomically(root / INFO_PATH, self.to_json())
