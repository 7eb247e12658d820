"""joint_trajectory_controller semantics of robots/trajectory.py, clocked by hand."""

from __future__ import annotations

import array
import math
import time

import numpy as np
import pytest

from lerobot_ros.robots.trajectory import (
    NO_CHECK,
    ErrorCode,
    FollowerState,
    GoalOutcome,
    JointSample,
    JointSet,
    JointTolerance,
    JointTrajectory,
    Tolerances,
    TrajectoryFeedback,
    TrajectoryFollower,
    TrajectoryPoint,
    TrajectoryRejected,
    check_goal_tolerance,
    check_path_tolerance,
    validate_trajectory,
)

LIMITS = ((-2.0, 2.0), None, (-1.5, 1.5))
JOINTS = JointSet(("pan", "lift", "elbow"), LIMITS)
T0 = 100.0


def pt(positions, t, velocities=None, accelerations=None) -> TrajectoryPoint:
    return TrajectoryPoint(positions, velocities, accelerations, time_from_start_s=t)


def traj(points, names=("pan", "lift", "elbow"), start_time_s=None) -> JointTrajectory:
    return JointTrajectory(names, tuple(points), start_time_s)


def follower(hold=(0.0, 0.0, 0.0)) -> TrajectoryFollower:
    f = TrajectoryFollower(JOINTS.names, LIMITS)
    f.hold(hold)
    return f


# --- interpolation -----------------------------------------------------------------------------------

def test_linear_interpolation_at_known_times():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 2.0, -1.0), 1.0), pt((-1.0, 2.0, -1.0), 2.0)]), T0, (0, 0, 0))
    np.testing.assert_allclose(f.sample(T0 + 0.25).positions, (0.25, 0.5, -0.25))
    np.testing.assert_allclose(f.sample(T0 + 0.25).velocities, (1.0, 2.0, -1.0))
    np.testing.assert_allclose(f.sample(T0 + 1.0).positions, (1.0, 2.0, -1.0))
    np.testing.assert_allclose(f.sample(T0 + 1.5).positions, (0.0, 2.0, -1.0))
    np.testing.assert_allclose(f.sample(T0 + 1.5).velocities, (-2.0, 0.0, 0.0))
    assert f.state is FollowerState.EXECUTING


def test_cubic_hermite_when_velocities_given():
    f = follower()
    f.set_trajectory(traj([pt((0.0, 0.0, 0.0), 1.0, (0, 0, 0)), pt((1.0, 0.0, 0.0), 2.0, (0, 0, 0))]),
                     T0, (0, 0, 0))
    # Smoothstep 3s^2 - 2s^3 over the second segment; velocity 6s - 6s^2.
    assert f.sample(T0 + 1.25).positions[0] == pytest.approx(0.15625)
    assert f.sample(T0 + 1.5).positions[0] == pytest.approx(0.5)
    assert f.sample(T0 + 1.5).velocities[0] == pytest.approx(1.5)
    assert f.sample(T0 + 1.75).positions[0] == pytest.approx(0.84375)


def test_cubic_matches_boundary_velocities():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 0.0, 0.0), 1.0, (0.5, 0.0, 0.0)), pt((2.0, 0.0, 0.0), 3.0, (0, 0, 0))]),
                     T0, (0, 0, 0))
    assert f.sample(T0 + 1.0).velocities[0] == pytest.approx(0.5)
    assert f.sample(T0 + 2.999999).velocities[0] == pytest.approx(0.0, abs=1e-5)
    # Continuous through the knot.
    assert f.sample(T0 + 1.0 - 1e-7).positions[0] == pytest.approx(f.sample(T0 + 1.0).positions[0], abs=1e-6)


def test_quintic_when_accelerations_given():
    f = follower()
    zero = (0.0, 0.0, 0.0)
    f.set_trajectory(traj([pt(zero, 1.0, zero, zero), pt((1.0, 0.0, 0.0), 2.0, zero, zero)]), T0, zero)
    # Minimum-jerk 10s^3 - 15s^4 + 6s^5.
    assert f.sample(T0 + 1.25).positions[0] == pytest.approx(0.103515625)
    assert f.sample(T0 + 1.5).positions[0] == pytest.approx(0.5)
    assert f.sample(T0 + 1.5).velocities[0] == pytest.approx(1.875)


def test_quintic_meets_nonzero_boundary_states():
    f = follower()
    p = [pt((0.0, 0, 0), 1.0, (0.2, 0, 0), (0.5, 0, 0)), pt((1.0, 0, 0), 3.0, (-0.3, 0, 0), (1.0, 0, 0)),
         pt((0.5, 0, 0), 4.0, (0.0, 0, 0), (0.0, 0, 0))]
    f.set_trajectory(traj(p), T0, (0, 0, 0))
    h = 1e-6
    for t, (q, v, a) in ((T0 + 1.0, (0.0, 0.2, 0.5)), (T0 + 3.0, (1.0, -0.3, 1.0))):
        assert f.sample(t).positions[0] == pytest.approx(q, abs=1e-9)
        assert f.sample(t).velocities[0] == pytest.approx(v, abs=1e-9)
        accel = (f.sample(t + h).velocities[0] - f.sample(t).velocities[0]) / h
        assert accel == pytest.approx(a, abs=1e-3)


def test_holds_the_last_point_after_the_end():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    assert f.trajectory_end_s == pytest.approx(T0 + 1.0)
    for t in (T0 + 1.0, T0 + 5.0, T0 + 500.0):
        s = f.sample(t)
        np.testing.assert_allclose(s.positions, (1.0, 1.0, 1.0))
        np.testing.assert_allclose(s.velocities, 0.0)
    assert f.state is FollowerState.FINISHED


def test_samples_are_fresh_arrays():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    first = f.sample(T0 + 0.5).positions
    f.sample(T0 + 0.9)
    np.testing.assert_allclose(first, 0.5)


# --- starting, replacing, stopping --------------------------------------------------------------------

def test_first_sample_equals_present_command_no_jump():
    f = follower(hold=(0.3, -0.2, 0.1))
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 0.5), pt((1.5, 1.0, 1.0), 1.0)]), T0, (9, 9, 9))
    np.testing.assert_allclose(f.sample(T0).positions, (0.3, -0.2, 0.1))
    np.testing.assert_allclose(f.sample(T0 + 0.25).positions, (0.65, 0.4, 0.55))


def test_replacing_mid_motion_starts_from_the_present_command():
    f = follower()
    f.set_trajectory(traj([pt((2.0, 0, 0), 2.0, (0, 0, 0))]), T0, (0, 0, 0))
    now = T0 + 0.7
    before = f.sample(now)
    f.set_trajectory(traj([pt((-1.0, 0, 0), 1.0, (0, 0, 0))]), now, (9, 9, 9))
    after = f.sample(now)
    np.testing.assert_allclose(after.positions, before.positions)
    # Cubic segments also keep the present velocity: no velocity jump either.
    np.testing.assert_allclose(after.velocities, before.velocities)
    assert f.trajectory_end_s == pytest.approx(now + 1.0)


def test_first_point_at_time_zero_is_taken_at_once_like_jtc():
    f = follower()
    f.set_trajectory(traj([pt((0.5, 0, 0), 0.0), pt((1.5, 0, 0), 1.0)]), T0, (0, 0, 0))
    assert f.sample(T0).positions[0] == pytest.approx(0.5)
    assert f.sample(T0 + 0.5).positions[0] == pytest.approx(1.0)


def test_single_point_due_on_receipt():
    f = follower()
    f.set_trajectory(traj([pt((0.5, 0.5, 0.5), 0.0)]), T0, (0, 0, 0))
    np.testing.assert_allclose(f.sample(T0).positions, 0.5)
    assert f.state is FollowerState.FINISHED


def test_future_start_time_interpolates_from_receipt():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 0, 0), 1.0)], start_time_s=T0 + 1.0), T0, (0, 0, 0))
    assert f.trajectory_end_s == pytest.approx(T0 + 2.0)
    assert f.sample(T0 + 1.0).positions[0] == pytest.approx(0.5)


def test_past_start_time_skips_points_already_due():
    f = follower()
    points = [pt((0, 1.0, 0), 0.1), pt((0, 2.0, 0), 0.2), pt((0, 3.0, 0), 0.6)]
    f.set_trajectory(traj(points, start_time_s=T0 - 0.4), T0, (0, 0, 0))
    # Points due at T0-0.3 and T0-0.2 are gone; blend from 0 to 3.0 (due T0+0.2).
    assert f.sample(T0).positions[1] == pytest.approx(0.0)
    assert f.sample(T0 + 0.1).positions[1] == pytest.approx(1.5)
    assert f.sample(T0 + 0.2).positions[1] == pytest.approx(3.0)


def test_empty_trajectory_stops_and_holds_the_present_command():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    f.set_trajectory(traj([], names=()), T0 + 0.5, (9, 9, 9))
    assert f.state is FollowerState.HOLDING
    assert f.trajectory_end_s is None
    np.testing.assert_allclose(f.sample(T0 + 3.0).positions, 0.5)
    np.testing.assert_allclose(f.sample(T0 + 3.0).velocities, 0.0)


def test_partial_goal_holds_the_missing_joints():
    f = follower(hold=(0.1, 0.2, 0.3))
    f.set_trajectory(traj([pt((1.0,), 1.0)], names=("lift",)), T0, (9, 9, 9))
    np.testing.assert_allclose(f.sample(T0 + 0.5).positions, (0.1, 0.6, 0.3))
    np.testing.assert_allclose(f.sample(T0 + 2.0).positions, (0.1, 1.0, 0.3))


def test_joint_order_of_the_goal_does_not_matter():
    f = follower()
    f.set_trajectory(traj([pt((3.0, 1.0, 2.0), 1.0)], names=("lift", "elbow", "pan")), T0, (0, 0, 0))
    np.testing.assert_allclose(f.sample(T0 + 1.0).positions, (2.0, 3.0, 1.0))


def test_idle_follower_starts_from_the_measured_positions():
    f = TrajectoryFollower(JOINTS.names, LIMITS)
    assert f.state is FollowerState.IDLE
    with pytest.raises(RuntimeError, match="hold"):
        f.sample(T0)
    f.set_trajectory(traj([pt((1.0,), 1.0)], names=("pan",)), T0, (0.5, 0.25, 0.125))
    np.testing.assert_allclose(f.sample(T0).positions, (0.5, 0.25, 0.125))
    np.testing.assert_allclose(f.sample(T0 + 1.0).positions, (1.0, 0.25, 0.125))


def test_hold_replaces_the_trajectory():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    f.hold((0.2, 0.2, 0.2))
    assert f.state is FollowerState.HOLDING and f.trajectory_end_s is None
    np.testing.assert_allclose(f.sample(T0 + 0.5).positions, 0.2)
    with pytest.raises(ValueError, match="3 positions"):
        f.hold((1.0, 2.0))


def test_message_arrays_are_accepted_and_empty_means_not_given():
    p = TrajectoryPoint(array.array("d", [1.0, 2.0]), array.array("d"), [], time_from_start_s=1)
    assert p.positions == (1.0, 2.0) and p.velocities is None and p.accelerations is None
    assert isinstance(p.time_from_start_s, float)


# --- staleness ----------------------------------------------------------------------------------------

def test_stale_after_end_plus_command_timeout():
    f = follower()
    assert not f.is_stale(T0 + 100.0, 0.5)  # holding: nothing to time out
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    assert not f.is_stale(T0 + 1.5, 0.5)
    assert f.is_stale(T0 + 1.51, 0.5)
    assert not f.is_stale(T0 + 1000.0, 0.0)  # 0 disables


# --- rejections ---------------------------------------------------------------------------------------

def rejected(t: JointTrajectory, now_s: float = T0, joints: JointSet = JOINTS) -> TrajectoryRejected:
    with pytest.raises(TrajectoryRejected) as info:
        validate_trajectory(t, joints, now_s)
    return info.value


@pytest.mark.parametrize("t, code, words", [
    (traj([pt((0, 0, 0), 1)], names=("pan", "lift", "wrist")), ErrorCode.INVALID_JOINTS, ["'wrist'"]),
    (traj([pt((0, 0, 0), 1)], names=("pan", "lift", "pan")), ErrorCode.INVALID_JOINTS, ["'pan'", "twice"]),
    (traj([pt((0, 0), 1)]), ErrorCode.INVALID_GOAL, ["point 0", "2 positions", "3 joints"]),
    (traj([pt((0, 0, 0), 1), pt((0, math.nan, 0), 2)]), ErrorCode.INVALID_GOAL, ["point 1", "'lift'", "nan"]),
    (traj([pt((0, 0, 0), 1, (0, math.inf, 0))]), ErrorCode.INVALID_GOAL, ["velocities", "'lift'", "inf"]),
    (traj([pt((0, 0, 0), 1), pt((0, 0, 0), 1)]), ErrorCode.INVALID_GOAL, ["strictly increasing", "point 1"]),
    (traj([pt((0, 0, 0), 2), pt((0, 0, 0), 1)]), ErrorCode.INVALID_GOAL, ["strictly increasing"]),
    (traj([pt((0, 0, 0), -1)]), ErrorCode.INVALID_GOAL, ["time_from_start"]),
    (traj([pt((0, 0, 1.6), 1)]), ErrorCode.INVALID_GOAL, ["'elbow'", "1.6", "-1.5", "1.5"]),
    (traj([pt((0, 0, 0), 1, (0, 0))]), ErrorCode.INVALID_GOAL, ["2 velocities"]),
    (traj([pt((0, 0, 0), 1, (0, 0, 0), (0, 0, 0, 0))]), ErrorCode.INVALID_GOAL, ["4 accelerations"]),
    (traj([pt((0, 0, 0), 1, None, (0, 0, 0))]), ErrorCode.INVALID_GOAL, ["without velocities"]),
    (traj([pt((0, 0, 0), 1, (0, 0, 0)), pt((0, 0, 0), 2)]), ErrorCode.INVALID_GOAL, ["point 1", "every point"]),
    (traj([pt((0, 0, 0), 1, (0, 0.1, 0))]), ErrorCode.INVALID_GOAL, ["'lift'", "non-zero velocity"]),
    (traj([pt((0, 0, 0), 1)], start_time_s=T0 - 2.0), ErrorCode.OLD_HEADER_TIMESTAMP, ["old header"]),
])
def test_each_rejection_has_its_code_and_names_the_problem(t, code, words):
    err = rejected(t)
    assert err.error_code is code
    for word in words:
        assert word in err.reason


def test_partial_goal_rejected_when_not_allowed():
    strict = JointSet(JOINTS.names, allow_partial_joints_goal=False)
    err = rejected(traj([pt((0.0,), 1.0)], names=("pan",)), joints=strict)
    assert err.error_code is ErrorCode.INVALID_JOINTS
    assert "'lift'" in err.reason and "'elbow'" in err.reason


def test_nonzero_end_velocity_allowed_when_configured():
    lenient = JointSet(JOINTS.names, allow_nonzero_velocity_at_trajectory_end=True)
    validate_trajectory(traj([pt((0, 0, 0), 1, (0, 0.1, 0))]), lenient, T0)


def test_trajectory_ending_exactly_now_is_not_old():
    validate_trajectory(traj([pt((0, 0, 0), 1.0)], start_time_s=T0 - 1.0), JOINTS, T0)


def test_rejected_trajectory_leaves_the_follower_unchanged():
    f = follower()
    f.set_trajectory(traj([pt((1.0, 1.0, 1.0), 1.0)]), T0, (0, 0, 0))
    with pytest.raises(TrajectoryRejected):
        f.set_trajectory(traj([pt((5.0, 0, 0), 1.0)]), T0 + 0.5, (0, 0, 0))
    assert f.state is FollowerState.EXECUTING
    np.testing.assert_allclose(f.sample(T0 + 1.0).positions, 1.0)


def test_follower_validates_like_validate_trajectory_and_takes_a_limits_array():
    f = TrajectoryFollower(JOINTS.names, np.array([[-2.0, 2.0], [-np.inf, np.inf], [-1.5, 1.5]]))
    assert f.joints == JOINTS
    f.validate(traj([pt((0.0, 99.0, 1.5), 1.0)]), T0)  # infinite bounds are not checked
    with pytest.raises(TrajectoryRejected, match="'elbow'"):
        f.validate(traj([pt((0.0, 0.0, 1.6), 1.0)]), T0)
    strict = TrajectoryFollower(JOINTS.names, allow_partial_joints_goal=False)
    with pytest.raises(TrajectoryRejected, match="allow_partial_joints_goal"):
        strict.validate(traj([pt((0.0,), 1.0)], names=("pan",)), T0)


def test_joint_set_checks_its_own_table():
    with pytest.raises(ValueError, match="repeat"):
        JointSet(("a", "a"))
    with pytest.raises(ValueError, match="2 position limits for 1 joints"):
        JointSet(("a",), ((0.0, 1.0), (0.0, 1.0)))
    with pytest.raises(ValueError, match="not a range"):
        JointSet(("a",), ((1.0, 0.0),))


# --- tolerances and feedback --------------------------------------------------------------------------

NAMES = JOINTS.names
DEFAULTS = Tolerances.uniform(NAMES, path_position=0.1, goal_position=0.02, goal_velocity=0.01, goal_time_s=0.5)


def sample(p, v=None) -> JointSample:
    return JointSample(np.array(p, dtype=float), None if v is None else np.array(v, dtype=float))


def test_goal_tolerances_follow_joint_tolerance_semantics():
    tol = DEFAULTS.for_goal(
        path_tolerance=[JointTolerance("pan", position=0.3), JointTolerance("lift", position=-1)],
        goal_tolerance=[JointTolerance("elbow", position=0.0, velocity=0.2)],
        goal_time_tolerance_s=0.0)
    assert tol.path.position == (0.3, NO_CHECK, 0.1)
    assert tol.goal.position == (0.02, 0.02, 0.02)  # 0 keeps the default
    assert tol.goal.velocity == (0.01, 0.01, 0.2)
    assert tol.goal_time_s == 0.5  # 0 keeps the default
    assert DEFAULTS.for_goal(goal_time_tolerance_s=2.0).goal_time_s == 2.0


def test_goal_tolerances_reject_unknown_joints_and_illegal_values():
    with pytest.raises(TrajectoryRejected, match="'wrist'") as info:
        DEFAULTS.for_goal(path_tolerance=[JointTolerance("wrist", position=0.1)])
    assert info.value.error_code is ErrorCode.INVALID_JOINTS
    with pytest.raises(TrajectoryRejected, match="-0.5") as info:
        DEFAULTS.for_goal(goal_tolerance=[JointTolerance("pan", velocity=-0.5)])
    assert info.value.error_code is ErrorCode.INVALID_GOAL
    with pytest.raises(TrajectoryRejected, match="goal_time_tolerance"):
        DEFAULTS.for_goal(goal_time_tolerance_s=-1.0)


def test_path_tolerance_names_the_first_joint_outside():
    assert check_path_tolerance(sample((0.05, 0, 0)), sample((0, 0, 0)), DEFAULTS) is None
    v = check_path_tolerance(sample((0, 0, 0.35)), sample((0, 0, 0.2)), DEFAULTS)
    assert (v.joint, v.quantity) == ("elbow", "position")
    assert v.error == pytest.approx(-0.15) and v.tolerance == 0.1
    assert "'elbow'" in v.describe()
    unchecked = DEFAULTS.for_goal(path_tolerance=[JointTolerance("elbow", position=-1)])
    assert check_path_tolerance(sample((0, 0, 5.0)), sample((0, 0, 0)), unchecked) is None


def test_goal_tolerance_outcomes_over_goal_time():
    goal = sample((1.0, 1.0, 1.0), (0, 0, 0))
    settled = sample((1.01, 1.0, 0.99), (0.005, 0, 0))
    assert check_goal_tolerance(settled, goal, DEFAULTS, 0.0).outcome is GoalOutcome.REACHED
    off = sample((1.0, 1.05, 1.0), (0, 0, 0))
    pending = check_goal_tolerance(off, goal, DEFAULTS, 0.4)
    assert pending.outcome is GoalOutcome.PENDING and pending.violation.joint == "lift"
    assert check_goal_tolerance(off, goal, DEFAULTS, 0.6).outcome is GoalOutcome.VIOLATED
    moving = sample((1.0, 1.0, 1.0), (0, 0.05, 0))
    assert check_goal_tolerance(moving, goal, DEFAULTS, 1.0).violation.quantity == "velocity"
    # Unmeasured velocity is not checked; goal_time 0 waits forever.
    assert check_goal_tolerance(sample((1, 1, 1)), goal, DEFAULTS, 1.0).outcome is GoalOutcome.REACHED
    forever = Tolerances.uniform(NAMES, goal_position=0.02)
    assert check_goal_tolerance(off, goal, forever, 1e6).outcome is GoalOutcome.PENDING


def test_feedback_error_is_desired_minus_actual():
    fb = TrajectoryFeedback.of(NAMES, sample((1, 2, 3), (0.1, 0, 0)), sample((0.5, 2, 4), (0, 0, 0)))
    np.testing.assert_allclose(fb.error.positions, (0.5, 0.0, -1.0))
    np.testing.assert_allclose(fb.error.velocities, (0.1, 0.0, 0.0))
    assert TrajectoryFeedback.of(NAMES, sample((1, 2, 3)), sample((1, 2, 3))).error.velocities is None


# --- cost -----------------------------------------------------------------------------------------------

def test_sampling_is_cheap_enough_for_a_fast_control_loop():
    f = follower()
    points = [pt((0.01 * i, 0.0, -0.01 * i), 0.02 * (i + 1), (0, 0, 0), (0, 0, 0)) for i in range(50)]
    f.set_trajectory(traj(points), T0, (0, 0, 0))
    n = 2000
    start = time.perf_counter()
    for i in range(n):
        f.sample(T0 + i * 0.0005)
    per_sample_s = (time.perf_counter() - start) / n
    assert per_sample_s < 1e-3  # a 1 kHz loop could still afford it; typically ~10 us
