"""Random trajectories against robot_node's validation (robots/trajectory.py; issue 21): each is
rejected whole with a named reason, or accepted with every point finite, in time order and inside the
joint limits, and then followed with finite commands (inside the limits where it interpolates
linearly; cubic and quintic segments may overshoot between points, which Robot clamps). Never
another exception.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lerobot_ros.robots.trajectory import JointTrajectory, TrajectoryFollower, TrajectoryPoint, TrajectoryRejected

JOINTS = ("shoulder_pan", "elbow_flex", "gripper")
LIMITS = ((-1.9, 1.9), (-1.6, 1.6), (0.0, 1.7))
NOW_S = 100.0
GOOD = st.floats(-1.5, 1.5)  # inside every joint's limits but the gripper's lower half
BAD = st.floats(-3.0, 3.0) | st.sampled_from([math.nan, math.inf, -math.inf])


@st.composite
def trajectories(draw) -> JointTrajectory:
    """Mostly well-formed trajectories with faults mixed in (about a third are accepted)."""
    names = draw(st.lists(st.sampled_from(JOINTS), min_size=1, max_size=3, unique=True)
                 | st.lists(st.sampled_from(JOINTS + ("wrist_roll",)), max_size=4))
    extras = draw(st.sampled_from(["none", "none", "velocities", "accelerations"]))
    times = draw(st.lists(st.floats(0.01, 2.0), min_size=0, max_size=4).map(
        lambda steps: [sum(steps[:k + 1]) for k in range(len(steps))]))
    if times and draw(st.integers(0, 5)) == 0:  # out of order, repeated, negative or not a number
        times[draw(st.integers(0, len(times) - 1))] = draw(st.sampled_from([-1.0, 0.0, math.nan, math.inf]) | GOOD)
    points = []
    for time_s in times:
        size = len(names) if draw(st.integers(0, 9)) else draw(st.integers(0, 5))
        numbers = GOOD if draw(st.integers(0, 4)) else BAD
        vectors = [draw(st.lists(numbers, min_size=size, max_size=size)) for _ in range(3)]
        if time_s == times[-1] and extras != "none" and draw(st.booleans()):
            vectors[1] = [0.0] * size  # at rest at the end, as JTC wants by default
        points.append(TrajectoryPoint(
            vectors[0], vectors[1] if extras != "none" else None, vectors[2] if extras == "accelerations" else None,
            time_from_start_s=time_s))
    start = draw(st.none() | st.just(0.0) | st.floats(NOW_S - 10, NOW_S + 10))
    return JointTrajectory(tuple(names), tuple(points), start)


@settings(max_examples=400, deadline=None)
@given(trajectories())
def test_a_random_trajectory_is_rejected_with_a_reason_or_followed_within_limits(trajectory):
    follower = TrajectoryFollower(JOINTS, LIMITS)
    follower.hold([0.0, 0.0, 0.5])
    try:
        follower.set_trajectory(trajectory, NOW_S, [0.0, 0.0, 0.5])
    except TrajectoryRejected as rejected:
        assert rejected.reason.strip() and rejected.error_code < 0
        return
    times = [p.time_from_start_s for p in trajectory.points]
    assert times == sorted(set(times)) and all(math.isfinite(t) for t in times)
    limits = dict(zip(JOINTS, LIMITS))
    for point in trajectory.points:
        assert len(point.positions) == len(trajectory.joint_names)
        for name, value in zip(trajectory.joint_names, point.positions):
            assert math.isfinite(value) and limits[name][0] <= value <= limits[name][1]
    linear = all(p.velocities is None for p in trajectory.points)
    end_s = (follower.trajectory_end_s or NOW_S) + 0.5
    for step in range(41):
        positions, _ = follower.sample(NOW_S + (end_s - NOW_S) * step / 40)
        assert all(math.isfinite(v) for v in positions)
        if linear:
            assert all(lo - 1e-9 <= v <= hi + 1e-9 for v, (lo, hi) in zip(positions, LIMITS)), positions
