"""The evaluation's numbers: Wilson intervals against published values, path length and jerk of
trajectories whose answers are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.evaluation.metrics import EpisodeOutcome, path_length, rms_jerk, summarize, wilson_interval


@pytest.mark.parametrize("wins, n, low, high", [
    (0, 10, 0.0, 0.2775),  # Wilson (1927) / Newcombe (1998) table values, z = 1.96
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (19, 20, 0.7639, 0.9911),
])
def test_wilson_interval_matches_the_published_values(wins, n, low, high):
    assert wilson_interval(wins, n) == pytest.approx((low, high), abs=2e-4)


def test_wilson_interval_is_exact_at_the_ends():
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_wilson_interval_refuses_nonsense():
    with pytest.raises(ValueError, match="at least one episode"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="11 successes out of 10"):
        wilson_interval(11, 10)


def test_path_length_of_a_square_in_joint_space():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], float)
    assert path_length(square) == pytest.approx(4.0)


def test_jerk_of_a_cubic_is_its_constant_third_derivative():
    t = np.linspace(0, 2, 2001)
    poses = np.stack([t ** 3, -2 * t ** 3], axis=1)  # jerks 6 and -12: magnitude 6 * sqrt(5)
    assert rms_jerk(t, poses) == pytest.approx(6 * np.sqrt(5), rel=0.05)  # binning costs a few per cent
    still = np.zeros_like(poses)
    assert rms_jerk(t, still) == 0.0


def test_jerk_ignores_encoder_quantization_of_a_still_arm():
    t = np.arange(0, 5, 0.01)
    tick = 2 * np.pi / 4096
    noisy = np.round(np.random.default_rng(0).normal(0, tick, (len(t), 6)) / tick) * tick
    assert rms_jerk(t, noisy) < 20.0  # a slow expert motion is about 100 rad/s^3


def test_summary_compares_with_the_demonstrations():
    t = np.linspace(0, 1, 101)
    moving = np.stack([t, t], axis=1)
    outcomes = [EpisodeOutcome(0, True, 0.5, 1.0, t, moving), EpisodeOutcome(1, False, None, 1.0, t, 2 * moving)]
    demo = [EpisodeOutcome(9, True, 0.4, 1.0, t, moving)]
    s = summarize(outcomes, demo)
    assert (s.successes, s.episodes, s.success_rate) == (1, 2, 0.5)
    assert s.mean_time_to_success_s == 0.5
    assert s.mean_path_length_rad == pytest.approx(1.5 * np.sqrt(2))
    assert s.reference_path_length_rad == pytest.approx(np.sqrt(2))
    assert "1.50x path" in s.text()
