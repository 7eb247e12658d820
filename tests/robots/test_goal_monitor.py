"""How a FollowJointTrajectory goal ends (robots/goal_monitor.py), without ROS: joint_trajectory_controller's
outcomes and error codes, from the driver's tracking."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.motors.errors import BusError
from lerobot_ros.robots.driver import Tracking
from lerobot_ros.robots.goal_monitor import Finish, GoalMonitor, interrupted, rejected
from lerobot_ros.robots.trajectory import ErrorCode, JointSample, Tolerances, TrajectoryRejected

JOINTS = ("shoulder", "elbow")
TOL = Tolerances.uniform(JOINTS, path_position=0.2, goal_position=0.05, goal_time_s=1.0)


def tracking(desired, actual, end_s, faulted=False) -> Tracking:
    return Tracking(JointSample(np.array(desired, float), None), JointSample(np.array(actual, float), None),
                    end_s, faulted)


def test_following_within_the_path_tolerance_goes_on():
    assert GoalMonitor(TOL).step(tracking([0.5, 0.5], [0.4, 0.45], end_s=10.0), now_s=5.0) is None


def test_leaving_the_path_tolerance_aborts_and_holds_naming_the_joint():
    verdict = GoalMonitor(TOL).step(tracking([0.5, 0.5], [0.5, 0.2], end_s=10.0), now_s=5.0)
    assert (verdict.finish, verdict.error_code, verdict.hold) == (Finish.ABORT, ErrorCode.PATH_TOLERANCE_VIOLATED, True)
    assert "path tolerance violated: joint 'elbow' position error 0.3" in verdict.reason


def test_within_the_goal_tolerance_after_the_end_succeeds():
    verdict = GoalMonitor(TOL).step(tracking([0.5, 0.5], [0.48, 0.53], end_s=10.0), now_s=10.1)
    assert (verdict.finish, verdict.error_code, verdict.reason) == (Finish.SUCCEED, ErrorCode.SUCCESSFUL,
                                                                    "goal reached")
    assert not verdict.hold


def test_outside_the_goal_tolerance_waits_goal_time_then_aborts():
    monitor = GoalMonitor(TOL)
    off = tracking([0.5, 0.5], [0.5, 0.4], end_s=10.0)
    assert monitor.step(off, now_s=10.9) is None  # still inside goal_time_tolerance (1 s)
    verdict = monitor.step(off, now_s=11.1)
    assert (verdict.finish, verdict.error_code) == (Finish.ABORT, ErrorCode.GOAL_TOLERANCE_VIOLATED)
    assert "goal tolerance violated: joint 'elbow'" in verdict.reason


def test_no_goal_time_limit_waits_as_long_as_it_takes():
    monitor = GoalMonitor(Tolerances.uniform(JOINTS, goal_position=0.05, goal_time_s=0.0))
    assert monitor.step(tracking([0.5, 0.5], [0.5, 0.4], end_s=10.0), now_s=1e6) is None


def test_a_trajectory_dropped_before_its_end_aborts():
    monitor = GoalMonitor(TOL)
    assert monitor.step(tracking([0.5, 0.5], [0.5, 0.5], end_s=10.0), now_s=5.0) is None
    verdict = monitor.step(tracking([0.5, 0.5], [0.5, 0.5], end_s=None), now_s=6.0)
    assert (verdict.finish, verdict.error_code, verdict.reason) == (
        Finish.ABORT, ErrorCode.INVALID_GOAL, "the trajectory was dropped by the driver")


def test_a_trajectory_never_seen_by_the_driver_aborts():
    verdict = GoalMonitor(TOL).step(tracking([0.0, 0.0], [0.0, 0.0], end_s=None), now_s=0.0)
    assert verdict.error_code is ErrorCode.INVALID_GOAL


def test_a_stale_hold_past_the_end_is_judged_as_the_arm_stands():
    monitor = GoalMonitor(TOL)
    monitor.step(tracking([0.5, 0.5], [0.3, 0.3], end_s=10.0), now_s=9.0)
    reached = monitor.step(tracking([0.5, 0.5], [0.5, 0.51], end_s=None), now_s=10.5)
    assert reached.finish is Finish.SUCCEED
    monitor = GoalMonitor(TOL)
    monitor.step(tracking([0.5, 0.5], [0.3, 0.3], end_s=10.0), now_s=9.0)
    missed = monitor.step(tracking([0.5, 0.5], [0.5, 0.3], end_s=None), now_s=10.5)
    assert (missed.finish, missed.error_code) == (Finish.ABORT, ErrorCode.GOAL_TOLERANCE_VIOLATED)


def test_a_faulted_bus_aborts_with_its_last_error():
    verdict = GoalMonitor(TOL).step(tracking([0.5, 0.5], [0.5, 0.5], end_s=10.0, faulted=True), now_s=5.0,
                                    last_error="motor 3 timed out")
    assert (verdict.finish, verdict.error_code) == (Finish.ABORT, ErrorCode.INVALID_GOAL)
    assert verdict.reason == "the servo bus stopped answering: motor 3 timed out"


def test_preemption_and_cancel():
    assert interrupted(None, False) is None
    preempted = interrupted("preempted by a new goal", cancel_requested=True)
    assert (preempted.finish, preempted.error_code, preempted.reason, preempted.hold) == (
        Finish.ABORT, ErrorCode.SUCCESSFUL, "preempted by a new goal", False)
    canceled = interrupted(None, cancel_requested=True)
    assert (canceled.finish, canceled.error_code, canceled.hold) == (Finish.CANCELED, ErrorCode.SUCCESSFUL, True)


@pytest.mark.parametrize("err, code", [
    (TrajectoryRejected("joint 'wrist' is not on this controller", ErrorCode.INVALID_JOINTS), ErrorCode.INVALID_JOINTS),
    (TrajectoryRejected("header stamp is in the past", ErrorCode.OLD_HEADER_TIMESTAMP), ErrorCode.OLD_HEADER_TIMESTAMP),
    (BusError("/dev/ttyACM0", "no reply from motor 1"), ErrorCode.INVALID_GOAL),
])
def test_goals_refused_at_start(err, code):
    verdict = rejected(err)
    assert (verdict.finish, verdict.error_code) == (Finish.ABORT, code)
    assert verdict.reason == f"goal rejected: {err}"
