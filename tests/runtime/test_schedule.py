"""Action chunks on the wall clock: blending at chunk boundaries and the per-step clamp."""

import numpy as np
import pytest

from lerobot_ros.runtime.schedule import ActionSchedule, limit_steps, merge

FPS = 50.0


def ramp(start: float, slope_per_s: float, steps: int = 50, joints: int = 2) -> np.ndarray:
    t = np.arange(steps) / FPS
    return np.repeat((start + slope_per_s * t)[:, None], joints, axis=1)


def test_chunk_steps_are_anchored_at_the_observation_time():
    s = ActionSchedule.from_chunk(ramp(0.0, 1.0, steps=5), observed_s=10.0, fps=FPS)
    np.testing.assert_allclose(s.times_s, 10.0 + np.arange(5) / FPS)
    np.testing.assert_allclose(s.at(10.03), [0.03, 0.03])
    assert s.window(10.0, 0.041).times_s.tolist() == pytest.approx([10.02, 10.04])
    assert s.window(11.0, 0.3) is None


def test_a_disagreeing_chunk_is_cross_faded_without_a_jump():
    old = ActionSchedule.from_chunk(ramp(0.0, 0.5), observed_s=0.0, fps=FPS)
    # The next chunk comes from a later observation and disagrees by 0.3 rad.
    new = ActionSchedule.from_chunk(ramp(0.3 + 0.5 * 0.4, 0.5), observed_s=0.4, fps=FPS)
    now = 0.5
    merged = merge(old, new, now, blend_s=0.2)
    assert merged.times_s[0] > now
    # Continuous with what the arm follows now: the first point is within one step of the old target.
    step_of_the_old_motion = 0.5 / FPS
    assert abs(merged.positions[0, 0] - old.at(merged.times_s[0])[0]) < 0.3 / 10 + 1e-9
    steps = np.abs(np.diff(np.concatenate([old.at(np.array([now])), merged.positions]), axis=0))
    # the 0.3 rad disagreement is spread over the 10 steps of 0.2 s: no step larger than 0.03 + motion
    assert steps.max() <= 0.3 / (0.2 * FPS) + step_of_the_old_motion + 1e-9
    # replacing outright would have jumped by the whole disagreement
    naive = np.abs(new.at(merged.times_s[0]) - old.at(now)).max()
    assert naive > 0.29
    # after the blend the new chunk rules
    late = merged.times_s >= now + 0.2
    np.testing.assert_allclose(merged.positions[late], new.at(merged.times_s[late]))


def test_a_chunk_entirely_in_the_past_is_dropped():
    new = ActionSchedule.from_chunk(ramp(0.0, 1.0, steps=5), observed_s=0.0, fps=FPS)
    assert merge(None, new, now_s=1.0, blend_s=0.2) is None


def test_steps_are_clamped_from_the_present_command():
    s = ActionSchedule.from_chunk(np.array([[1.0, 0.0], [1.0, 0.05], [1.0, 0.1]]), observed_s=0.0, fps=FPS)
    clamped, changed = limit_steps(s, start=np.array([0.0, 0.0]), max_step=0.4)
    np.testing.assert_allclose(clamped.positions[:, 0], [0.4, 0.8, 1.0])
    np.testing.assert_allclose(clamped.positions[:, 1], [0.0, 0.05, 0.1])
    assert changed == 2
    unchanged, none = limit_steps(s, start=np.zeros(2), max_step=np.inf)
    assert none == 0 and unchanged is s


def test_non_finite_actions_are_refused():
    with pytest.raises(ValueError, match="finite"):
        ActionSchedule.from_chunk(np.array([[np.nan, 0.0]]), observed_s=0.0, fps=FPS)
