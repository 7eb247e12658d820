"""Feature declarations: what each frame holds, and how it is stored.

A feature is ``{"dtype", "shape", "names"[, "info"]}`` exactly as in LeRobot's ``info.json``. Numeric
scalars (shape ``[1]``) and vectors (shape ``[N]``) become parquet columns; ``video`` features have no
column (their frames live in mp4 shards); the two ``language`` columns are list-of-struct columns.
Every dataset also has LeRobot's five default columns (timestamp, frame_index, episode_index,
index, task_index), which the writer computes: callers never pass them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .language import LANGUAGE_COLUMNS, column_type

DEFAULT_FEATURES: dict[str, dict] = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}


@dataclass(frozen=True)
class Feature:
    key: str
    dtype: str
    shape: tuple[int, ...]
    names: list[str] | None = None
    info: dict | None = None

    @property
    def is_video(self) -> bool:
        return self.dtype == "video"

    @property
    def is_language(self) -> bool:
        return self.dtype == "language"

    @property
    def is_numeric(self) -> bool:
        return not (self.is_video or self.is_language)

    def arrow_type(self) -> pa.DataType:
        if self.is_language:
            return column_type(self.key)
        scalar = pa.from_numpy_dtype(np.dtype(self.dtype))
        if self.shape == (1,):
            return scalar
        return pa.list_(scalar, self.shape[0])

    def to_json(self) -> dict:
        out: dict = {"dtype": self.dtype, "shape": list(self.shape), "names": self.names}
        if self.info is not None:
            out["info"] = self.info
        return out

    @classmethod
    def from_json(cls, key: str, spec: Mapping) -> Feature:
        feature = cls(
            key=key,
            dtype=spec["dtype"],
            shape=tuple(int(n) for n in spec["shape"]),
            names=spec.get("names"),
            info=spec.get("info"),
        )
        feature.validate()
        return feature

    def validate(self) -> None:
        where = f"feature {self.key!r}"
        if "/" in self.key:
            raise ValueError(f"{where}: names must not contain '/' (LeRobot uses it to flatten stats)")
        if self.is_video:
            if len(self.shape) != 3 or self.shape[2] != 3:
                raise ValueError(f"{where}: video shape must be [height, width, 3], got {list(self.shape)}")
            if self.shape[0] % 2 or self.shape[1] % 2:
                raise ValueError(f"{where}: yuv420p video needs an even height and width, got {self.shape[:2]}")
            return
        if self.is_language:
            if self.key not in LANGUAGE_COLUMNS:
                raise ValueError(f"{where}: dtype 'language' is reserved for {LANGUAGE_COLUMNS}")
            return
        try:
            kind = np.dtype(self.dtype).kind
        except TypeError as err:
            raise ValueError(
                f"{where}: dtype {self.dtype!r} is not supported here; use a numeric numpy dtype "
                "(float32, int64, ...), 'video' or 'language'"
            ) from err
        if kind not in "biuf":
            raise ValueError(f"{where}: dtype {self.dtype!r} is not numeric")
        if len(self.shape) != 1:
            raise ValueError(
                f"{where}: shape {list(self.shape)} is not supported; numeric features are scalars "
                "([1]) or vectors ([N])"
            )
        if self.names is not None and len(self.names) != self.shape[0]:
            raise ValueError(f"{where}: {len(self.names)} names for shape {list(self.shape)}")


@dataclass(frozen=True)
class FeatureSet:
    """The ordered features of a dataset: the user's, then the five defaults."""

    features: tuple[Feature, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, specs: Mapping[str, Mapping]) -> FeatureSet:
        merged = {**specs, **{k: v for k, v in DEFAULT_FEATURES.items() if k not in specs}}
        return cls(tuple(Feature.from_json(key, spec) for key, spec in merged.items()))

    def to_json(self) -> dict[str, dict]:
        return {f.key: f.to_json() for f in self.features}

    def __getitem__(self, key: str) -> Feature:
        for feature in self.features:
            if feature.key == key:
                return feature
        raise KeyError(key)

    @property
    def user(self) -> tuple[Feature, ...]:
        """Features the caller supplies per frame (no defaults, no language)."""
        return tuple(f for f in self.features if f.key not in DEFAULT_FEATURES and not f.is_language)

    @property
    def video_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.features if f.is_video)

    @property
    def has_language(self) -> bool:
        return any(f.is_language for f in self.features)

    @property
    def column_features(self) -> tuple[Feature, ...]:
        """Features stored as data-parquet columns, in column order."""
        return tuple(f for f in self.features if not f.is_video)

    def data_schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.key, f.arrow_type()) for f in self.column_features])

    def with_video_info(self, key: str, info: dict) -> FeatureSet:
        return FeatureSet(
            tuple(
                Feature(f.key, f.dtype, f.shape, f.names, info) if f.key == key else f
                for f in self.features
            )
        )
