"""Statistics: exact per-episode values, image stats per channel in [0, 1], LeRobot's aggregation."""

from __future__ import annotations

import numpy as np

from lerobot_ros.dataset.stats import ImageStatsAccumulator, aggregate, downsample, numeric_stats


def test_numeric_stats_are_exact():
    values = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    stats = numeric_stats(values)
    np.testing.assert_allclose(stats["mean"], values.astype(np.float64).mean(axis=0))
    np.testing.assert_allclose(stats["std"], values.astype(np.float64).std(axis=0))
    np.testing.assert_allclose(stats["q10"], np.quantile(values.astype(np.float64), 0.1, axis=0))
    assert stats["count"].tolist() == [50] and stats["min"].shape == (4,)


def test_scalar_column_stats_have_shape_one():
    stats = numeric_stats(np.arange(5, dtype=np.int64))
    assert stats["mean"].shape == (1,) and stats["max"].tolist() == [4.0]


def test_image_stats_per_channel():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, size=(6, 20, 30, 3), dtype=np.uint8)
    acc = ImageStatsAccumulator()
    for frame in frames:
        acc.add(frame)
    stats = acc.result()
    pixels = frames.reshape(-1, 3).astype(np.float64) / 255
    assert stats["mean"].shape == (3, 1, 1) and stats["count"].tolist() == [6]
    np.testing.assert_allclose(stats["mean"].ravel(), pixels.mean(axis=0))
    np.testing.assert_allclose(stats["std"].ravel(), pixels.std(axis=0))
    np.testing.assert_allclose(stats["min"].ravel(), pixels.min(axis=0))
    np.testing.assert_allclose(stats["max"].ravel(), pixels.max(axis=0))
    np.testing.assert_allclose(stats["q50"].ravel(), np.quantile(pixels, 0.5, axis=0, method="inverted_cdf"))


def test_large_frames_are_downsampled_like_lerobot():
    assert downsample(np.zeros((480, 640, 3))).shape == (120, 160, 3)
    assert downsample(np.zeros((48, 64, 3))).shape == (48, 64, 3)


def test_aggregate_matches_the_whole_data_and_weights_quantiles_by_count():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(10, 2)), rng.normal(3, 2, size=(30, 2))
    combined = aggregate([{"x": numeric_stats(a)}, {"x": numeric_stats(b)}])["x"]
    both = np.concatenate([a, b])
    np.testing.assert_allclose(combined["mean"], both.mean(axis=0))
    np.testing.assert_allclose(combined["std"], both.std(axis=0))
    np.testing.assert_allclose(combined["min"], both.min(axis=0))
    assert combined["count"].tolist() == [40]
    # LeRobot 0.6.1: count-weighted mean of the episode quantiles, not a global quantile.
    expected_q90 = (10 * np.quantile(a, 0.9, axis=0) + 30 * np.quantile(b, 0.9, axis=0)) / 40
    np.testing.assert_allclose(combined["q90"], expected_q90)
