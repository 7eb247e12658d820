"""What training needs from each episode, read once: state, actions, per-frame tasks, language rows.

Numeric columns and language rows are small next to the videos, so every episode of the dataset
is loaded when the training dataset is built, and samples only index into memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lerobot_ros.dataset import DatasetReader, LanguageRow

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


def load_episode(reader: DatasetReader, episode: int) -> EpisodeData:
    columns = reader.episode_columns(episode)
    for key in (STATE, ACTION):
        if key not in columns:
            raise ValueError(f"{reader.root}: the dataset has no {key!r} feature; SmolVLA2 trains on "
                             f"{STATE!r} and {ACTION!r} (features: {sorted(columns)})")
    language = reader.episode_language(episode)
    return EpisodeData(
        index=episode,
        state=np.asarray(columns[STATE], dtype=np.float32).reshape(len(columns[STATE]), -1),
        action=np.asarray(columns[ACTION], dtype=np.float32).reshape(len(columns[ACTION]), -1),
        tasks=reader.episode_tasks(episode),
        persistent=language.persistent,
        events=language.events,
    )


def action_chunk(episode: EpisodeData, frame: int, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Actions ``frame .. frame+chunk_size-1`` and their padding mask.

    Past the episode end the last action is repeated and marked as padding (LeRobot clamps the
    frame offsets to the episode the same way and sets ``action_is_pad``).
    """
    wanted = np.arange(frame, frame + chunk_size)
    is_pad = wanted >= episode.length
    return episode.action[np.minimum(wanted, episode.length - 1)], is_pad
