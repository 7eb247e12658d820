"""Feature statistics: per episode (``stats/<feature>/<stat>`` episode columns) and combined
(``meta/stats.json``).

Each feature gets min, max, mean, std (population), count and the quantiles q01/q10/q50/q90/q99.
Numeric columns: per dimension, over every frame, quantiles exact (``numpy.quantile``; LeRobot
approximates the same quantity with a 5000-bin histogram). Videos: per channel, shape (3, 1, 1),
scaled to [0, 1], computed on every frame downsampled to about 150 px the way LeRobot downsamples;
uint8 pixels make a 256-bin histogram exact, so quantiles are exact too; ``count`` is the number
of frames, as in LeRobot's non-streaming path.

Combining episodes follows ``lerobot.datasets.compute_stats.aggregate_stats`` of v0.6.1 (the
oracle): count-weighted mean, parallel-variance std, elementwise min/max, and count-weighted means
of the quantiles (not true global quantiles).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)

FeatureStats = dict[str, np.ndarray]
Stats = dict[str, FeatureStats]


def numeric_stats(values: np.ndarray) -> FeatureStats:
    """Stats of an episode column, ``values`` shaped (frames,) or (frames, dims)."""
    data = values.reshape(len(values), -1).astype(np.float64)
    stats = {
        "min": data.min(axis=0),
        "max": data.max(axis=0),
        "mean": data.mean(axis=0),
        "std": data.std(axis=0),
        "count": np.array([len(data)], dtype=np.int64),
    }
    for name, q in QUANTILES.items():
        stats[name] = np.quantile(data, q, axis=0)
    return stats


def downsample(frame: np.ndarray, target: int = 150, threshold: int = 300) -> np.ndarray:
    """LeRobot's ``auto_downsample_height_width`` on an HWC frame: stride to about ``target`` px."""
    height, width = frame.shape[:2]
    if max(height, width) < threshold:
        return frame
    step = int(max(height, width) / target)
    return frame[::step, ::step]


class ImageStatsAccumulator:
    """Per-channel pixel statistics of a video stream, fed one HWC uint8 frame at a time."""

    def __init__(self, channels: int = 3):
        self._hist = np.zeros((channels, 256), dtype=np.int64)
        self._frames = 0

    def add(self, frame: np.ndarray) -> None:
        small = downsample(frame)
        for c in range(self._hist.shape[0]):
            self._hist[c] += np.bincount(small[..., c].ravel(), minlength=256)
        self._frames += 1

    def result(self) -> FeatureStats:
        levels = np.arange(256, dtype=np.float64)
        totals = self._hist.sum(axis=1)
        mean = (self._hist * levels).sum(axis=1) / totals
        var = (self._hist * (levels - mean[:, None]) ** 2).sum(axis=1) / totals
        cumulative = np.cumsum(self._hist, axis=1)
        present = self._hist > 0
        stats = {
            "min": np.argmax(present, axis=1).astype(np.float64),
            "max": (255 - np.argmax(present[:, ::-1], axis=1)).astype(np.float64),
            "mean": mean,
            "std": np.sqrt(var),
        }
        for name, q in QUANTILES.items():
            # The smallest level whose cumulative count reaches q of the pixels (inverted CDF).
            stats[name] = np.array(
                [np.searchsorted(cumulative[c], q * totals[c]) for c in range(len(totals))], dtype=np.float64
            )
        out = {k: (v / 255.0).reshape(-1, 1, 1) for k, v in stats.items()}
        out["count"] = np.array([self._frames], dtype=np.int64)
        return out


def aggregate(episode_stats: Iterable[Stats]) -> Stats:
    """Combine per-episode stats into dataset stats, as LeRobot 0.6.1 does."""
    per_feature: dict[str, list[FeatureStats]] = {}
    for stats in episode_stats:
        for key, feature_stats in stats.items():
            per_feature.setdefault(key, []).append(feature_stats)
    return {key: _aggregate_feature(items) for key, items in per_feature.items()}


def _aggregate_feature(items: list[FeatureStats]) -> FeatureStats:
    means = np.stack([s["mean"] for s in items])
    variances = np.stack([s["std"] ** 2 for s in items])
    counts = np.stack([s["count"] for s in items]).astype(np.float64)
    total = counts.sum(axis=0)
    while counts.ndim < means.ndim:
        counts = counts[..., None]
    mean = (means * counts).sum(axis=0) / total
    variance = ((variances + (means - mean) ** 2) * counts).sum(axis=0) / total
    out = {
        "min": np.min(np.stack([s["min"] for s in items]), axis=0),
        "max": np.max(np.stack([s["max"] for s in items]), axis=0),
        "mean": mean,
        "std": np.sqrt(variance),
        "count": np.array([int(total[0])], dtype=np.int64),
    }
    for name in QUANTILES:
        if all(name in s for s in items):
            out[name] = (np.stack([s[name] for s in items]) * counts).sum(axis=0) / total
    return out


def to_episode_columns(stats: Stats) -> dict[str, list]:
    """Flatten to the episodes-parquet columns ``stats/<feature>/<stat>`` (nested lists)."""
    return {f"stats/{key}/{name}": value.tolist() for key, fs in stats.items() for name, value in fs.items()}


def from_episode_row(row: Mapping[str, object]) -> Stats:
    """Rebuild one episode's stats from its episodes-parquet row."""
    stats: Stats = {}
    for column, value in row.items():
        if not column.startswith("stats/") or value is None:
            continue
        key, name = column[len("stats/"):].rsplit("/", 1)
        dtype = np.int64 if name == "count" else np.float64
        stats.setdefault(key, {})[name] = np.asarray(value, dtype=dtype)
    return stats


def to_json(stats: Stats) -> dict:
    return {key: {name: value.tolist() for name, value in fs.items()} for key, fs in stats.items()}


def from_json(data: Mapping) -> Stats:
    return {
        key: {name: np.asarray(v, dtype=np.int64 if name == "count" else np.float64) for name, v in fs.items()}
        for key, fs in data.items()
    }
