"""What training needs from each episode, read once: state, actions, per-frame tasks, language rows.

Numeric columns and language rows are small next to the videos, so every episode of the dataset
is loaded when the training dataset is built, and samples only index into memory. ``load_episodes``
reads each data file once for all its episodes: ``DatasetReader``'s per-episode calls read the
whole file on every call, which for a 1,000-episode dataset in one 100 MB shard means thousands of
full reads before the first step (``tests/training`` checks both give the same episodes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..dataset import DatasetReader, LanguageRow
from ..dataset.language import LANGUAGE_EVENTS, LANGUAGE_PERSISTENT
from ..dataset.layout import data_file

STATE = "observation.state"
ACTION = "action"


@dataclass(frozen=True)
class EpisodeData:
    index: int
    state: np.ndarray  # (length, state_dim) float32
    action: np.ndarray  # (length, action_dim) float32
    tasks: list[str]  # per frame
    persistent: list[LanguageRow]  # the episode's persistent language rows
    events: dict[int, list[LanguageRow]]  # frame_index -> event rows fired there

    @property
    def length(self) -> int:
        return len(self.action)


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as (rows, dims) float32: vectors are fixed-size lists, scalars plain."""
    column = column.combine_chunks()
    if pa.types.is_list(column.type) or pa.types.is_fixed_size_list(column.type):
        return column.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(len(column), -1)
    return column.to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, 1)


def load_episodes(reader: DatasetReader, episodes: list[int] | None = None) -> dict[int, EpisodeData]:
    """``episodes`` (default: all) of the dataset, each data file read once."""
    features = {f.key for f in reader.info.features.column_features}
    for key in (STATE, ACTION):
        if key not in features:
            raise ValueError(f"{reader.root}: the dataset has no {key!r} feature; SmolVLA2 trains on "
                             f"{STATE!r} and {ACTION!r} (features: {sorted(features)})")
    wanted = range(reader.num_episodes) if episodes is None else episodes
    by_file: dict = defaultdict(list)
    for episode in wanted:
        by_file[reader.episodes[episode].data_slot].append(episode)
    language = reader.info.features.has_language
    columns = [STATE, ACTION, "index", "task_index"] + ([LANGUAGE_PERSISTENT, LANGUAGE_EVENTS] if language else [])
    out: dict[int, EpisodeData] = {}
    for slot, members in by_file.items():
        table = pq.read_table(data_file(reader.root, slot), columns=columns)
        index = table.column("index").to_numpy()
        for episode in members:
            record = reader.episodes[episode]
            rows = table.take(np.flatnonzero((index >= record.dataset_from_index) & (index < record.dataset_to_index)))
            if len(rows) != record.length:
                raise ValueError(f"{reader.root}: episode {episode} has {len(rows)} rows in its data file, "
                                 f"expected {record.length}; run lerobot_ros.dataset.repair on the folder")
            persistent, events = [], {}
            if language and len(rows):
                persistent = [LanguageRow.from_arrow(r) for r in rows.column(LANGUAGE_PERSISTENT)[0].as_py() or []]
                for frame, fired in enumerate(rows.column(LANGUAGE_EVENTS).to_pylist()):
                    if fired:
                        events[frame] = [LanguageRow.from_arrow(r) for r in fired]
            out[episode] = EpisodeData(
                index=episode, state=_matrix(rows.column(STATE)), action=_matrix(rows.column(ACTION)),
                tasks=[reader.tasks.tasks[i] for i in rows.column("task_index").to_pylist()],
                persistent=persistent, events=events,
            )
    return out


def action_chunk(episode: EpisodeData, frame: int, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Actions ``frame .. frame+chunk_size-1`` and their padding mask.

    Past the episode end the last action is repeated and marked as padding (LeRobot clamps the
    frame offsets to the episode the same way and sets ``action_is_pad``).
    """
    wanted = np.arange(frame, frame + chunk_size)
    is_pad = wanted >= episode.length
    return episode.action[np.minimum(wanted, episode.length - 1)], is_pad
