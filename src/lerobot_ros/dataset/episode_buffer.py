"""The episode being recorded: validated frames in, encoded video segments and column arrays out.

Numeric values are kept (they are small); camera frames are encoded into the episode's own mp4
segment under ``.staging/`` the moment they arrive and only their statistics are kept, so nothing
holds an episode's images in memory and ``save_episode`` has only the encoder flush left to do.
Every frame is validated completely before anything is appended, so a bad frame raises and leaves
the episode exactly as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import DEFAULT_FEATURES, Feature, FeatureSet
from .language import LanguageRow
from .stats import FeatureStats, ImageStatsAccumulator
from .video import SegmentEncoder, VideoEncoding


@dataclass
class FinishedEpisode:
    """What ``EpisodeBuffer.finish`` hands to the writer."""

    length: int
    columns: dict[str, np.ndarray]  # user numeric features, (length, dims)
    tasks: list[str]  # one per frame
    events: list[list[LanguageRow]]  # one list per frame
    segments: dict[str, Path]  # video key -> encoded mp4 segment
    video_stats: dict[str, FeatureStats]
    staging: Path


class EpisodeBuffer:
    def __init__(self, features: FeatureSet, fps: int, staging: Path, encoding: VideoEncoding):
        self._features = features
        self._fps = fps
        self._staging = staging
        self._encoding = encoding
        self._columns: dict[str, list[np.ndarray]] = {f.key: [] for f in features.user if f.is_numeric}
        self._tasks: list[str] = []
        self._events: list[list[LanguageRow]] = []
        self._encoders: dict[str, SegmentEncoder] = {}
        self._image_stats = {key: ImageStatsAccumulator() for key in features.video_keys}

    @property
    def length(self) -> int:
        return len(self._tasks)

    def add(self, frame: Mapping[str, object], task: str, events: Sequence[LanguageRow]) -> None:
        values = self._validated(frame, task, events)
        for key in self._features.video_keys:
            if key not in self._encoders:
                height, width = values[key].shape[:2]
                self._encoders[key] = SegmentEncoder(
                    self._staging / f"{key}.mp4", self._fps, height, width, self._encoding
                )
            self._encoders[key].add(values[key])
            self._image_stats[key].add(values[key])
        for key, column in self._columns.items():
            column.append(values[key])
        self._tasks.append(task)
        self._events.append(list(events))

    def finish(self) -> FinishedEpisode:
        """Flush the encoders; the buffer must not be used afterwards."""
        for encoder in self._encoders.values():
            encoder.close()
        return FinishedEpisode(
            length=self.length,
            columns={key: np.stack(rows) for key, rows in self._columns.items()},
            tasks=self._tasks,
            events=self._events,
            segments={key: enc.path for key, enc in self._encoders.items()},
            video_stats={key: acc.result() for key, acc in self._image_stats.items()},
            staging=self._staging,
        )

    def discard(self) -> None:
        for encoder in self._encoders.values():
            encoder.abort()
        shutil.rmtree(self._staging, ignore_errors=True)

    # -- validation -------------------------------------------------------------------------------

    def _validated(self, frame: Mapping[str, object], task: str, events: Sequence[LanguageRow]) -> dict:
        if not isinstance(task, str) or not task:
            raise ValueError(f"task must be a non-empty string, got {task!r}")
        expected = {f.key for f in self._features.user}
        given = set(frame)
        if given != expected:
            defaults = sorted(given & set(DEFAULT_FEATURES))
            hint = f"; {defaults} are computed by the writer, do not pass them" if defaults else ""
            raise ValueError(
                f"frame keys do not match the dataset features: missing {sorted(expected - given)}, "
                f"unexpected {sorted(given - expected)}{hint} (the task goes in task=...)"
            )
        if events and not self._features.has_language:
            raise ValueError("language events given, but the dataset was created without language=True")
        for row in events:
            row.validate(self._features.video_keys)
            if row.persistent:
                raise ValueError(
                    f"a {row.style!r} row is persistent: pass it to save_episode(language_persistent=...)"
                )
        return {f.key: _checked(f, frame[f.key]) for f in self._features.user}


def _checked(feature: Feature, value: object) -> np.ndarray:
    if feature.is_video:
        return _checked_image(feature, value)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"feature {feature.key!r}: expected numbers, got {array.dtype} ({value!r:.80})")
    if feature.shape == (1,) and array.shape == ():
        array = array.reshape(1)
    if array.shape != feature.shape:
        raise ValueError(f"feature {feature.key!r}: shape {array.shape}, expected {feature.shape}")
    dtype = np.dtype(feature.dtype)
    if array.dtype != dtype and not np.can_cast(array.dtype, dtype, "same_kind"):
        raise ValueError(f"feature {feature.key!r}: {array.dtype} values cannot be stored as {dtype}")
    return array.astype(dtype, copy=False)


def _checked_image(feature: Feature, value: object) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"camera {feature.key!r}: expected a numpy uint8 image, got {type(value).__name__}")
    height, width, _ = feature.shape
    if value.shape == (3, height, width):
        value = value.transpose(1, 2, 0)
    if value.shape != (height, width, 3):
        raise ValueError(
            f"camera {feature.key!r}: image shape {value.shape}, expected {(height, width, 3)} (HWC) "
            f"or {(3, height, width)} (CHW); resize the camera or declare its real shape"
        )
    if value.dtype != np.uint8:
        raise ValueError(
            f"camera {feature.key!r}: image dtype {value.dtype}, expected uint8 RGB "
            "(convert float images in [0, 1] with (img * 255).round().astype(np.uint8))"
        )
    return np.ascontiguousarray(value)
