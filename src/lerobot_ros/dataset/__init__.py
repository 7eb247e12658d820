"""LeRobotDataset v3.0, written and read without LeRobot, crash-safe after every episode.

``DatasetWriter`` records (``create`` / ``resume``, ``add_frame``, ``save_episode``), ``DatasetReader``
reads ours and LeRobot's folders, ``repair`` cuts a crashed folder back to its last complete
episode. The format and the crash-safety design are described in docs/datasets.md and in the
docstrings of ``writer`` (write order and commit point) and ``repair``.
"""

from lerobot_ros.dataset.info import DatasetInfo, DatasetNotFoundError
from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.dataset.reader import DatasetReader, EpisodeLanguage
from lerobot_ros.dataset.repair import RepairReport, repair
from lerobot_ros.dataset.video import VideoEncoding
from lerobot_ros.dataset.writer import (
    DatasetWriter,
    EmptyEpisodeError,
    FileLimits,
    SaveResult,
    SaveTimings,
)

__all__ = [
    "DatasetInfo",
    "DatasetNotFoundError",
    "DatasetReader",
    "DatasetWriter",
    "EmptyEpisodeError",
    "EpisodeLanguage",
    "FileLimits",
    "LanguageRow",
    "RepairReport",
    "SaveResult",
    "SaveTimings",
    "VideoEncoding",
    "repair",
    "say",
]
