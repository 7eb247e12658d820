"""Causal sampling: the latest message at or before each tick, staleness, reuse, memory, grid.

Synthetic timestamps only (exact binary fractions where a boundary is tested); nothing sleeps.
"""

import itertools

import numpy as np
import pytest

from lerobot_ros.recording import CausalSampler, load_recording_config
from lerobot_ros.recording.causal_sampler import grid

FPS = 4  # period 0.25 s: tick times and ages below are exact in binary


def _sampler(max_age_s=0.5, *extra):
    features = [{"key": "observation.state", "topic": "/js", "type": "joint_state", "joints": ["a"],
                 "max_age_s": max_age_s}, *extra]
    return CausalSampler(load_recording_config({"fps": FPS, "features": features}))


def _value(frame):
    return float(frame.values["observation.state"][0])


def test_causal_choice_at_just_before_and_just_after_a_tick():
    sampler = _sampler()
    sampler.push("observation.state", 0.75, [1.0])
    sampler.push("observation.state", 1.0, [2.0])  # exactly at the tick: used
    sampler.push("observation.state", np.nextafter(1.0, 2.0), [3.0])  # just after: never used at 1.0
    frame = sampler.sample(1.0)
    assert frame.tick_s == 1.0 and _value(frame) == 2.0
    assert frame.samples["observation.state"].age_s == 0.0

    sampler = _sampler()
    sampler.push("observation.state", np.nextafter(1.0, 0.0), [1.0])  # just before
    sampler.push("observation.state", np.nextafter(1.0, 2.0), [3.0])
    assert _value(sampler.sample(1.0)) == 1.0
    assert _value(sampler.sample(1.25)) == 3.0


def test_out_of_order_arrivals_are_sorted_and_ties_go_to_the_later_arrival():
    sampler = _sampler()
    for time_s, v in [(0.5, 5.0), (0.0, 0.0), (0.25, 2.0), (0.25, 2.5)]:
        sampler.push("observation.state", time_s, [v])
    assert [_value(sampler.sample(t)) for t in (0.0, 0.25, 0.5)] == [0.0, 2.5, 5.0]


def test_late_arrival_cannot_change_a_sampled_tick_and_is_counted():
    sampler = _sampler()
    sampler.push("observation.state", 0.0, [0.0])
    assert _value(sampler.sample(0.25)) == 0.0
    sampler.push("observation.state", 0.125, [1.0])  # belonged before the tick already sampled
    assert _value(sampler.sample(0.5)) == 1.0  # still the latest at or before 0.5
    assert sampler.report.streams["observation.state"].late_arrivals == 1
    with pytest.raises(ValueError, match="increasing order"):
        sampler.sample(0.5)


def test_header_time_vs_receive_time():
    sampler = _sampler(0.5, {"key": "action", "topic": "/traj", "type": "joint_trajectory", "joints": ["a"],
                             "time_source": "header"})
    header_s, receive_s = 0.9, 1.1  # stamped before the tick, received after it
    for key in ("observation.state", "action"):
        feature = sampler.config.feature(key)
        sampler.push(key, feature.message_time_s(receive_s, header_s), [7.0])
    sampler.push("observation.state", 0.5, [1.0])
    sampler.push("action", 0.5, [1.0])
    frame = sampler.sample(1.0)
    assert float(frame.values["action"][0]) == 7.0  # header time 0.9 <= 1.0
    assert float(frame.values["observation.state"][0]) == 1.0  # receive time 1.1 is in the future


def test_stale_and_missing_are_counted_and_frames_not_emitted():
    sampler = _sampler(0.5, {"key": "observation.images.cam", "topic": "/cam", "type": "image",
                             "height": 2, "width": 4, "max_age_s": 0.25})
    image = np.zeros((2, 4, 3), np.uint8)
    sampler.push("observation.state", 0.0, [0.0])
    assert sampler.sample(0.0) is None  # camera missing
    sampler.push("observation.images.cam", 0.25, image)
    assert sampler.sample(0.25) is not None
    assert sampler.sample(0.5) is not None  # camera age 0.25 == max_age_s: fresh
    frame = sampler.sample(0.75)  # camera age 0.5 > 0.25: stale, state age 0.75 > 0.5: stale
    assert frame is None
    report = sampler.finish_episode()
    cam, state = report.streams["observation.images.cam"], report.streams["observation.state"]
    assert (cam.fresh, cam.stale, cam.missing, cam.reused) == (2, 1, 1, 1)
    assert (state.fresh, state.stale, state.missing) == (3, 1, 0)
    assert (report.grid_ticks, report.frames_emitted, report.frames_dropped) == (4, 2, 2)
    assert report.gap_ticks == 0 and report.timestamps_exact  # the drops are before and after
    assert cam.max_age_s == 0.5 and cam.p50_age_s == 0.25
    assert sampler.report.grid_ticks == 0  # a new episode's report


def test_slow_stream_reuse_is_counted_and_a_gap_marks_timestamps_inexact():
    sampler = _sampler(0.5)
    ticks = list(grid(0.0, 4.0, FPS))
    for t in ticks[::3]:  # a stream at a third of the grid rate
        sampler.push("observation.state", t, [t])
    frames = [sampler.sample(t) for t in ticks]
    assert all(f is not None for f in frames)
    assert [_value(f) for f in frames[:4]] == [0.0, 0.0, 0.0, 0.75]
    report = sampler.finish_episode()
    assert report.streams["observation.state"].reused == len(ticks) - len(ticks[::3])
    assert report.timestamps_exact

    sampler = _sampler(0.25)
    for t in (0.0, 0.25, 1.0):  # nothing between 0.25 and 1.0
        sampler.push("observation.state", t, [t])
    emitted = [sampler.sample(t) is not None for t in grid(0.0, 1.25, FPS)]
    assert emitted == [True, True, True, False, True]
    report = sampler.finish_episode()
    assert report.gap_ticks == 1 and not report.timestamps_exact
    assert "WARNING" in report.summary()


def test_grid_ticks_are_exact_over_long_runs():
    start_s, fps, n = 1_700_000_000.123, 30, 200_000
    ticks = list(itertools.islice(grid(start_s, float("inf"), fps), n))
    assert all(tick == start_s + i / fps for i, tick in enumerate(ticks))
    accumulated = start_s
    for _ in range(n - 1):
        accumulated += 1 / fps
    assert ticks[-1] == start_s + (n - 1) / fps and accumulated != ticks[-1]  # summing periods drifts
    assert list(grid(0.0, 1.0, 4)) == [0.0, 0.25, 0.5, 0.75]  # half-open


def test_memory_is_bounded_to_the_sample_and_newer_messages():
    sampler = _sampler(1.0)
    for i, t in enumerate(grid(0.0, 100.0, FPS)):
        for k in range(5):  # five messages per tick, one of them ahead of the tick
            sampler.push("observation.state", t + k * 0.0625, [i])
        sampler.sample(t)
        assert sampler.buffered("observation.state") <= 5
    assert sampler.report.streams["observation.state"].messages == 5 * 400


def test_push_checks_keys_and_shapes():
    sampler = _sampler()
    with pytest.raises(KeyError, match="no feature 'action'"):
        sampler.push("action", 0.0, [1.0])
    with pytest.raises(ValueError, match=r"expected a vector of shape \(1,\)"):
        sampler.push("observation.state", 0.0, [1.0, 2.0])


def test_real_loop_rate_from_processing_times():
    sampler = _sampler()
    sampler.push("observation.state", 0.0, [0.0])
    for i, t in enumerate(grid(0.0, 2.0, FPS)):
        sampler.sample(t, processed_at_s=100.0 + i * 0.5)  # the loop ran at 2 Hz, not 4
    report = sampler.finish_episode()
    assert report.real_loop_rate_hz == 2.0
    assert report.to_dict()["real_loop_rate_hz"] == 2.0 and "2.00 Hz" in report.summary()
