"""LeRobotDataset v3.0, written and read without LeRobot, crash-safe after every episode.

``DatasetWriter`` records (``create`` / ``resume``, ``add_frame``, ``save_episode``), ``DatasetReader``
reads ours and LeRobot's folders, ``repair`` cuts a crashed folder back to its last complete
episode (and sets damaged committed episodes aside only when told to), ``check_dataset`` reads
every file. The format and the crash-safety design are described in docs/datasets.md and in the
docstrings of ``writer`` (write order and commit point) and ``repair``.
"""

from .check import CheckReport, Problem, check_dataset
from .info import DatasetDamagedError, DatasetInfo, DatasetNotFoundError
from .language import LanguageRow, say
from .reader import DatasetReader, EpisodeLanguage
from .repair import RepairNeedsConfirmation, RepairReport, repair
from .video import VideoEncoding
from .writer import (
    DatasetWriter,
    EmptyEpisodeError,
    FileLimits,
    SaveResult,
    SaveTimings,
)

__all__ = [
    "CheckReport",
    "DatasetDamagedError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DatasetReader",
    "DatasetWriter",
    "EmptyEpisodeError",
    "EpisodeLanguage",
    "FileLimits",
    "LanguageRow",
    "Problem",
    "RepairNeedsConfirmation",
    "RepairReport",
    "SaveResult",
    "SaveTimings",
    "VideoEncoding",
    "check_dataset",
    "repair",
    "say",
]
