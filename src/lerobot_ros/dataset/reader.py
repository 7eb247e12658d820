"""Read a LeRobotDataset v3.0 folder (ours or LeRobot's) without LeRobot: metadata, frames,
language rows and decoded camera frames, all located through the episodes metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import stats as stats_mod
from .episodes import EpisodeRecord, load_records
from .info import DatasetInfo
from .language import LANGUAGE_EVENTS, LANGUAGE_PERSISTENT, LanguageRow
from .layout import STATS_PATH, data_file, video_file
from .tasks import TaskTable
from .video import decode_frames


@dataclass(frozen=True)
class EpisodeLanguage:
    persistent: list[LanguageRow]  # the episode's persistent rows (the same on every frame)
    events: dict[int, list[LanguageRow]]  # frame_index -> rows fired at that frame


class DatasetReader:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.info = DatasetInfo.load(self.root)
        self.tasks = TaskTable.load(self.root)
        self.episodes: list[EpisodeRecord] = load_records(self.root, self.info.features.video_keys)
        stats_path = self.root / STATS_PATH
        self.stats = (
            stats_mod.from_json(json.loads(stats_path.read_text(encoding="utf-8")))
            if stats_path.exists() else None
        )

    @classmethod
    def of(cls, root: str | Path, info: DatasetInfo, tasks: TaskTable, episodes: list[EpisodeRecord]) -> DatasetReader:
        """A reader over metadata already loaded, without ``stats.json``: ``repair`` reads the intact
        episodes of a folder whose metadata files are partly damaged this way."""
        reader = cls.__new__(cls)
        reader.root, reader.info, reader.tasks, reader.episodes, reader.stats = Path(root), info, tasks, episodes, None
        return reader

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    @property
    def num_frames(self) -> int:
        return self.episodes[-1].dataset_to_index if self.episodes else 0

    def episode_table(self, episode_index: int) -> pa.Table:
        """The episode's rows of the data parquet, in frame order."""
        record = self.episodes[episode_index]
        table = _rows_between(data_file(self.root, record.data_slot), record.dataset_from_index,
                              record.dataset_to_index)
        index = table.column("index")
        mask = pc.and_(pc.greater_equal(index, record.dataset_from_index),
                       pc.less(index, record.dataset_to_index))
        rows = table.filter(mask)
        if len(rows) != record.length:
            raise ValueError(
                f"{self.root}: episode {episode_index} has {len(rows)} rows in its data file, "
                f"expected {record.length}; run lerobot_ros.dataset.repair on the folder"
            )
        return rows

    def episode_columns(self, episode_index: int) -> dict[str, np.ndarray]:
        """Numeric columns of an episode: (length,) for scalars, (length, N) for vectors."""
        table = self.episode_table(episode_index)
        out = {}
        for feature in self.info.features.column_features:
            if not feature.is_numeric:
                continue
            column = table.column(feature.key).combine_chunks()
            if feature.shape == (1,):
                out[feature.key] = column.to_numpy(zero_copy_only=False)
            else:
                out[feature.key] = column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), -1)
        return out

    def episode_tasks(self, episode_index: int) -> list[str]:
        """The task string of every frame."""
        indices = self.episode_table(episode_index).column("task_index").to_pylist()
        return [self.tasks.tasks[i] for i in indices]

    def episode_language(self, episode_index: int) -> EpisodeLanguage:
        table = self.episode_table(episode_index)
        if LANGUAGE_PERSISTENT not in table.column_names:
            return EpisodeLanguage([], {})
        persistent = table.column(LANGUAGE_PERSISTENT)[0].as_py() or []
        events = {}
        for frame_index, rows in enumerate(table.column(LANGUAGE_EVENTS).to_pylist()):
            if rows:
                events[frame_index] = [LanguageRow.from_arrow(r) for r in rows]
        return EpisodeLanguage([LanguageRow.from_arrow(r) for r in persistent], events)

    def video_frames(self, episode_index: int, video_key: str) -> np.ndarray:
        """Every frame of one camera in an episode: (length, H, W, 3) uint8 RGB."""
        record = self.episodes[episode_index]
        span = record.videos[video_key]
        path = video_file(self.root, video_key, span.slot)
        return decode_frames(path, span.from_timestamp, record.length, self.info.fps)


def _rows_between(path: Path, first: int, stop: int) -> pa.Table:
    """The row groups of a data shard that may hold ``index`` in [first, stop): only those are read
    (by the footer's statistics), so a damaged row group costs only its own episodes."""
    parquet = pq.ParquetFile(path)
    column = parquet.schema_arrow.get_field_index("index")
    groups = []
    for group in range(parquet.num_row_groups):
        stats = parquet.metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max or (stats.min < stop and stats.max >= first):
            groups.append(group)
    return parquet.read_row_groups(groups)
