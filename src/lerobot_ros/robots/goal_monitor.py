"""How a FollowJointTrajectory goal ends, decided without ROS (joint_trajectory_controller's rules).

The action server (nodes/follow_joint_trajectory.py) looks at the arm once per feedback period and
asks a :class:`GoalMonitor` what to do: keep going, or finish the goal with an action outcome, an
``error_code`` and the ``error_string`` (and whether to hold the present pose first). The server
only turns a :class:`GoalVerdict` into rclpy calls, so every rule here has a fast unit test
(tests/robots/test_goal_monitor.py) instead of only a multi-process action test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..motors.errors import BusError
from .driver import Tracking
from .trajectory import (ErrorCode, GoalOutcome, Tolerances, TrajectoryRejected, check_goal_tolerance,
                         check_path_tolerance)


class Finish(str, Enum):
    """The action outcome: the name of the rclpy goal handle method that ends the goal."""

    SUCCEED = "succeed"
    ABORT = "abort"
    CANCELED = "canceled"


@dataclass(frozen=True)
class GoalVerdict:
    finish: Finish
    error_code: ErrorCode
    reason: str  # the result's error_string, also logged
    hold: bool = False  # hold the present pose before finishing (path violation, cancel)


def rejected(err: TrajectoryRejected | BusError) -> GoalVerdict:
    """A goal refused before it starts: JTC's code for what is wrong with it, INVALID_GOAL when the bus
    cannot take it."""
    code = err.error_code if isinstance(err, TrajectoryRejected) else ErrorCode.INVALID_GOAL
    return GoalVerdict(Finish.ABORT, code, f"goal rejected: {err}")


def interrupted(preempted_by: str | None, cancel_requested: bool) -> GoalVerdict | None:
    """A newer command took the arm (aborted, SUCCESSFUL code as JTC reports it, with the reason), or
    the client canceled (the arm holds where it is)."""
    if preempted_by:
        return GoalVerdict(Finish.ABORT, ErrorCode.SUCCESSFUL, preempted_by)
    if cancel_requested:
        return GoalVerdict(Finish.CANCELED, ErrorCode.SUCCESSFUL, "goal canceled; holding", hold=True)
    return None


class GoalMonitor:
    """One executing goal: feed it the driver's :class:`Tracking` each period with :meth:`step`."""

    def __init__(self, tolerances: Tolerances) -> None:
        self.tolerances = tolerances
        self._known_end_s: float | None = None  # the trajectory's end, once the driver reported it

    def step(self, tracking: Tracking, now_s: float, last_error: str = "") -> GoalVerdict | None:
        """None while the goal goes on; else how it ends. ``now_s`` is on the driver's clock."""
        if tracking.faulted:
            return GoalVerdict(Finish.ABORT, ErrorCode.INVALID_GOAL, f"the servo bus stopped answering: {last_error}")
        end_s = tracking.trajectory_end_s
        if end_s is None:
            if self._known_end_s is None or now_s < self._known_end_s:
                return GoalVerdict(Finish.ABORT, ErrorCode.INVALID_GOAL, "the trajectory was dropped by the driver")
            # Past the end the driver held the pose on a stale command: judge the goal as it is now.
            final = check_goal_tolerance(tracking.actual, tracking.desired, self.tolerances, float("inf"))
            if final.outcome is GoalOutcome.REACHED:
                return GoalVerdict(Finish.SUCCEED, ErrorCode.SUCCESSFUL, "goal reached")
            return _goal_violated(final.violation)
        self._known_end_s = end_s
        if now_s < end_s:
            violation = check_path_tolerance(tracking.actual, tracking.desired, self.tolerances)
            if violation is not None:
                return GoalVerdict(Finish.ABORT, ErrorCode.PATH_TOLERANCE_VIOLATED,
                                   f"path tolerance violated: {violation.describe()}", hold=True)
            return None
        check = check_goal_tolerance(tracking.actual, tracking.desired, self.tolerances, now_s - end_s)
        if check.outcome is GoalOutcome.REACHED:
            return GoalVerdict(Finish.SUCCEED, ErrorCode.SUCCESSFUL, "goal reached")
        if check.outcome is GoalOutcome.VIOLATED:
            return _goal_violated(check.violation)
        return None


def _goal_violated(violation) -> GoalVerdict:
    return GoalVerdict(Finish.ABORT, ErrorCode.GOAL_TOLERANCE_VIOLATED,
                       f"goal tolerance violated: {violation.describe()}")
