"""What ros2_controllers' joint_trajectory_controller (JTC) does with a JointTrajectory, without ROS.

The robot node turns ``trajectory_msgs/JointTrajectory`` (topic) and ``FollowJointTrajectory`` goals
(action) into the plain types here, and calls a :class:`TrajectoryFollower` from its control loop
with an explicit clock, so every rule below is unit-testable without sleeping:

* Validation mirrors JTC and reports a reason plus a ``FollowJointTrajectory.Result`` error code
  (:class:`TrajectoryRejected`): unknown, duplicate or (unless ``allow_partial_joints_goal``)
  missing joints; wrong vector sizes; NaN/inf; ``time_from_start`` not strictly increasing;
  positions outside the joint limits; a trajectory that already ended (old header stamp); a
  non-zero velocity at the end (``allow_nonzero_velocity_at_trajectory_end``).
* Timing: points are due at ``start_time_s + time_from_start``; a start time of None or 0 means
  "on receipt", like a zero header stamp.
* A new trajectory replaces the active one and starts from the present command (position,
  velocity, acceleration at receipt), so the command never jumps: the follower interpolates from
  it to the first point that is due after receipt. A point due exactly at receipt (first point
  with ``time_from_start`` 0 and no start stamp) is taken at once, as in JTC (MoveIt's first point
  is the current state). Unlike JTC, points already due before receipt (start stamp in the past)
  are skipped rather than sampled mid-segment, which would jump.
* Interpolation per segment, as JTC: linear (positions only), cubic Hermite (+velocities),
  quintic (+velocities and accelerations). After the last point the follower holds it (velocity 0).
* Joints missing from a partial goal hold their present command. An empty trajectory (no points)
  stops: the present command is held.

Positions are in joint units (rad for revolute joints, m for prismatic), times in seconds.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import NamedTuple, Sequence

import numpy as np


class ErrorCode(IntEnum):
    """``control_msgs/action/FollowJointTrajectory`` result codes."""

    SUCCESSFUL = 0
    INVALID_GOAL = -1
    INVALID_JOINTS = -2
    OLD_HEADER_TIMESTAMP = -3
    PATH_TOLERANCE_VIOLATED = -4
    GOAL_TOLERANCE_VIOLATED = -5


class TrajectoryRejected(ValueError):
    """A trajectory the controller refuses; ``reason`` is meant for the action result's error_string."""

    def __init__(self, reason: str, error_code: ErrorCode):
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code


def _optional_floats(values: Sequence[float] | None) -> tuple[float, ...] | None:
    # ROS messages carry "not given" as an empty array; treat it as None.
    return None if values is None or len(values) == 0 else tuple(float(v) for v in values)


@dataclass(frozen=True)
class TrajectoryPoint:
    """One ``trajectory_msgs/JointTrajectoryPoint``; empty velocities/accelerations mean not given."""

    positions: tuple[float, ...]
    velocities: tuple[float, ...] | None = None
    accelerations: tuple[float, ...] | None = None
    time_from_start_s: float = field(kw_only=True)

    def __post_init__(self) -> None:
        # Accept message arrays and lists as they come; store immutable float tuples.
        object.__setattr__(self, "positions", tuple(float(v) for v in self.positions))
        object.__setattr__(self, "velocities", _optional_floats(self.velocities))
        object.__setattr__(self, "accelerations", _optional_floats(self.accelerations))
        object.__setattr__(self, "time_from_start_s", float(self.time_from_start_s))


@dataclass(frozen=True)
class JointTrajectory:
    """One ``trajectory_msgs/JointTrajectory``; ``start_time_s`` None or 0 = start on receipt."""

    joint_names: tuple[str, ...]
    points: tuple[TrajectoryPoint, ...]
    start_time_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "joint_names", tuple(self.joint_names))
        object.__setattr__(self, "points", tuple(self.points))


@dataclass(frozen=True)
class JointSet:
    """The joints a follower commands, in command order, and the rules goals must follow.

    ``position_limits`` gives (lower, upper) per joint in ``names`` order, e.g. a Robot's (n, 2)
    ``limits_rad`` array; None (for all or one joint) or infinite bounds are not checked.
    """

    names: tuple[str, ...]
    position_limits: tuple[tuple[float, float], ...] | None = None
    allow_partial_joints_goal: bool = True
    allow_nonzero_velocity_at_trajectory_end: bool = False  # JTC's default since Jazzy

    def __post_init__(self) -> None:
        names = tuple(self.names)
        object.__setattr__(self, "names", names)
        if len(set(names)) != len(names):
            raise ValueError(f"joint names repeat: {names}")
        open_range = (-math.inf, math.inf)
        rows = [None] * len(names) if self.position_limits is None else list(self.position_limits)
        if len(rows) != len(names):
            raise ValueError(f"{len(rows)} position limits for {len(names)} joints {names}")
        limits = tuple(open_range if row is None else (float(row[0]), float(row[1])) for row in rows)
        for name, (lo, hi) in zip(names, limits):
            if not lo <= hi:
                raise ValueError(f"joint {name!r}: position limits [{lo}, {hi}] are not a range")
        object.__setattr__(self, "position_limits", limits)


class JointSample(NamedTuple):
    """Positions and velocities of every joint of a :class:`JointSet`, in its order."""

    positions: np.ndarray
    velocities: np.ndarray | None  # None where not measured: velocity tolerances are not checked


@dataclass(frozen=True)
class _Plan:
    """A validated trajectory mapped onto the joint set (arrays in JointSet order)."""

    goal_index: np.ndarray  # for each trajectory joint, its index in the JointSet
    due_s: np.ndarray  # (n,) absolute time of each point
    positions: np.ndarray  # (n, len(goal joints))
    velocities: np.ndarray | None
    accelerations: np.ndarray | None


def _plan(traj: JointTrajectory, joints: JointSet, now_s: float) -> _Plan:
    """Check ``traj`` as JTC does; raise TrajectoryRejected with the first problem found."""
    index = {name: i for i, name in enumerate(joints.names)}
    seen: set[str] = set()
    for name in traj.joint_names:
        if name not in index:
            raise TrajectoryRejected(
                f"unknown joint {name!r}; this controller has {', '.join(joints.names)}",
                ErrorCode.INVALID_JOINTS)
        if name in seen:
            raise TrajectoryRejected(f"joint {name!r} appears twice in joint_names", ErrorCode.INVALID_JOINTS)
        seen.add(name)
    missing = [n for n in joints.names if n not in seen]
    if missing and traj.points and not joints.allow_partial_joints_goal:
        raise TrajectoryRejected(
            f"partial goal misses joints {', '.join(map(repr, missing))} and allow_partial_joints_goal is false",
            ErrorCode.INVALID_JOINTS)
    if traj.start_time_s is not None and not math.isfinite(traj.start_time_s):
        raise TrajectoryRejected(f"start time {traj.start_time_s} is not finite", ErrorCode.INVALID_GOAL)

    n_joints = len(traj.joint_names)
    goal_index = np.array([index[n] for n in traj.joint_names], dtype=np.intp)
    if not traj.points:
        return _Plan(goal_index, np.empty(0), np.empty((0, n_joints)), None, None)

    with_vel = traj.points[0].velocities is not None
    with_acc = traj.points[0].accelerations is not None
    if with_acc and not with_vel:
        raise TrajectoryRejected("accelerations given without velocities", ErrorCode.INVALID_GOAL)
    previous_s = -math.inf
    for i, p in enumerate(traj.points):
        for field_name, values in (("positions", p.positions), ("velocities", p.velocities),
                                   ("accelerations", p.accelerations)):
            if values is None:
                continue
            if len(values) != n_joints:
                raise TrajectoryRejected(
                    f"point {i} has {len(values)} {field_name} for {n_joints} joints", ErrorCode.INVALID_GOAL)
            for name, v in zip(traj.joint_names, values):
                if not math.isfinite(v):
                    raise TrajectoryRejected(f"point {i}: {field_name} of {name!r} is {v}", ErrorCode.INVALID_GOAL)
        if (p.velocities is not None) != with_vel or (p.accelerations is not None) != with_acc:
            raise TrajectoryRejected(
                f"point {i} gives velocities/accelerations unlike point 0; give them on every point or none",
                ErrorCode.INVALID_GOAL)
        t = p.time_from_start_s
        if not math.isfinite(t) or t < 0.0:
            raise TrajectoryRejected(f"point {i}: time_from_start {t} s is not a time >= 0", ErrorCode.INVALID_GOAL)
        if t <= previous_s:
            raise TrajectoryRejected(
                f"time_from_start not strictly increasing: point {i} at {t} s after point {i - 1} at {previous_s} s",
                ErrorCode.INVALID_GOAL)
        previous_s = t
        for name, v in zip(traj.joint_names, p.positions):
            lo, hi = joints.position_limits[index[name]]
            if not lo <= v <= hi:
                raise TrajectoryRejected(
                    f"point {i}: position {v:.6g} of joint {name!r} is outside its limits [{lo:.6g}, {hi:.6g}]",
                    ErrorCode.INVALID_GOAL)

    start_s = traj.start_time_s if traj.start_time_s else now_s
    end_s = start_s + traj.points[-1].time_from_start_s
    if end_s < now_s:
        raise TrajectoryRejected(
            f"trajectory ended at {end_s:.6f} s, {now_s - end_s:.3f} s before it arrived (old header timestamp)",
            ErrorCode.OLD_HEADER_TIMESTAMP)
    last_vel = traj.points[-1].velocities
    if last_vel is not None and not joints.allow_nonzero_velocity_at_trajectory_end and any(last_vel):
        moving = [n for n, v in zip(traj.joint_names, last_vel) if v != 0.0]
        raise TrajectoryRejected(
            f"the last point has non-zero velocity for {', '.join(map(repr, moving))} and "
            "allow_nonzero_velocity_at_trajectory_end is false", ErrorCode.INVALID_GOAL)

    return _Plan(
        goal_index=goal_index,
        due_s=np.array([start_s + p.time_from_start_s for p in traj.points]),
        positions=np.array([p.positions for p in traj.points], dtype=float),
        velocities=np.array([p.velocities for p in traj.points], dtype=float) if with_vel else None,
        accelerations=np.array([p.accelerations for p in traj.points], dtype=float) if with_acc else None,
    )


def validate_trajectory(traj: JointTrajectory, joints: JointSet, now_s: float) -> None:
    """Raise :class:`TrajectoryRejected` when JTC would refuse ``traj`` arriving at ``now_s``.

    For the action server's goal callback, which must accept or reject before executing.
    """
    _plan(traj, joints, now_s)


def _knots(goal_rows: np.ndarray, goal_index: np.ndarray, fill: np.ndarray, start: np.ndarray | None) -> np.ndarray:
    """Full-joint knot rows: the goal's joints from ``goal_rows``, the other joints at ``fill``.

    ``start`` (the present command), when given, becomes the first row.
    """
    first = 0 if start is None else 1
    rows = np.tile(fill, (first + len(goal_rows), 1))
    rows[first:, goal_index] = goal_rows
    if start is not None:
        rows[0] = start
    return rows


def _segment_coefficients(times_s: np.ndarray, p: np.ndarray, v: np.ndarray | None,
                          a: np.ndarray | None) -> np.ndarray:
    """Polynomial coefficients (segments, degree + 1, joints) in local time, lowest order first.

    Linear without velocities, cubic Hermite with them, quintic with accelerations too: the
    polynomial of least degree matching the given boundary states, as JTC interpolates.
    """
    T = np.diff(times_s)[:, None]
    p0, d = p[:-1], np.diff(p, axis=0)
    if v is None:
        return np.stack([p0, d / T], axis=1)
    v0, v1 = v[:-1], v[1:]
    if a is None:
        c2 = (3.0 * d - (2.0 * v0 + v1) * T) / T**2
        c3 = (-2.0 * d + (v0 + v1) * T) / T**3
        return np.stack([p0, v0, c2, c3], axis=1)
    a0, a1 = a[:-1], a[1:]
    c3 = (20.0 * d - (8.0 * v1 + 12.0 * v0) * T - (3.0 * a0 - a1) * T**2) / (2.0 * T**3)
    c4 = (-30.0 * d + (14.0 * v1 + 16.0 * v0) * T + (3.0 * a0 - 2.0 * a1) * T**2) / (2.0 * T**4)
    c5 = (12.0 * d - 6.0 * (v1 + v0) * T + (a1 - a0) * T**2) / (2.0 * T**5)
    return np.stack([p0, v0, 0.5 * a0, c3, c4, c5], axis=1)


class FollowerState(str, Enum):
    IDLE = "idle"  # no command yet: call hold() with the measured positions first
    HOLDING = "holding"  # holding a setpoint (activation, stop, empty trajectory, stale command)
    EXECUTING = "executing"  # between receipt and the last point
    FINISHED = "finished"  # past the last point, holding it


class TrajectoryFollower:
    """JTC's state machine for one joint set, clocked by the caller's ``now_s``.

    ``sample`` is called from the robot node's control loop (100 Hz+): the segment polynomials are
    computed once per trajectory, and a sample is a segment lookup plus two small dot products.
    """

    def __init__(self, joint_names: Sequence[str], position_limits: Sequence[tuple[float, float]] | None = None, *,
                 allow_partial_joints_goal: bool = True, allow_nonzero_velocity_at_trajectory_end: bool = False):
        joints = JointSet(tuple(joint_names), position_limits, allow_partial_joints_goal,
                          allow_nonzero_velocity_at_trajectory_end)
        self.joints = joints
        self._n = len(joints.names)
        self._hold = np.zeros(self._n)
        self._state = FollowerState.IDLE
        self._knots_s: list[float] = []  # segment start times, then the end time
        self._end = np.zeros(self._n)  # the last point, held after the end
        self._coeffs = np.empty((0, 2, self._n))  # (segments, degree + 1, joints)
        self._powers = np.empty(0)
        self._d_powers = np.empty(0)
        self._dd_powers = np.empty(0)
        self._cursor = 0

    @property
    def state(self) -> FollowerState:
        """The state as of the last ``sample``/``hold``/``set_trajectory`` call."""
        return self._state

    @property
    def trajectory_end_s(self) -> float | None:
        """When the active trajectory's last point is due; None while idle or holding."""
        if self._state in (FollowerState.EXECUTING, FollowerState.FINISHED):
            return self._knots_s[-1]
        return None

    def hold(self, positions: Sequence[float]) -> None:
        """Drop any trajectory and hold ``positions`` (activation, stop, stale command)."""
        positions = np.asarray(positions, dtype=float)
        if positions.shape != (self._n,):
            raise ValueError(f"hold needs {self._n} positions ({', '.join(self.joints.names)}), got {positions.shape}")
        self._hold = positions.copy()
        self._state = FollowerState.HOLDING

    def set_trajectory(self, traj: JointTrajectory, now_s: float, current_positions: Sequence[float]) -> None:
        """Replace the active trajectory with ``traj``, received at ``now_s``.

        The new motion starts from the present command; ``current_positions`` (measured, in
        JointSet order) is used only while idle, when there is no command yet. Raises
        :class:`TrajectoryRejected` and leaves the follower unchanged when ``traj`` is invalid.
        """
        plan = _plan(traj, self.joints, now_s)
        if self._state is FollowerState.IDLE:
            start_p = np.asarray(current_positions, dtype=float).copy()
            if start_p.shape != (self._n,):
                raise ValueError(f"current_positions needs {self._n} values, got {start_p.shape}")
            start_v = np.zeros(self._n)
            start_a = np.zeros(self._n)
        else:
            start_p, start_v, start_a = self._evaluate(now_s)
        if len(plan.due_s) == 0:
            self.hold(start_p)
            return

        due = plan.due_s >= now_s  # points already due before receipt are skipped
        times_s = plan.due_s[due]
        blend = bool(times_s[0] > now_s)  # blend from the present command into the first point
        if blend:
            times_s = np.concatenate(([now_s], times_s))
        zeros = np.zeros(self._n)
        positions = _knots(plan.positions[due], plan.goal_index, start_p, start_p if blend else None)
        velocities = accelerations = None
        if plan.velocities is not None:
            velocities = _knots(plan.velocities[due], plan.goal_index, zeros, start_v if blend else None)
        if plan.accelerations is not None:
            accelerations = _knots(plan.accelerations[due], plan.goal_index, zeros, start_a if blend else None)
        self._coeffs = _segment_coefficients(times_s, positions, velocities, accelerations)
        self._knots_s = [float(t) for t in times_s]
        self._end = positions[-1].copy()
        degree = self._coeffs.shape[1] - 1
        self._powers = np.ones(degree + 1)
        self._d_powers = np.zeros(degree + 1)
        self._dd_powers = np.zeros(degree + 1)
        self._cursor = 0
        self._state = FollowerState.EXECUTING

    def validate(self, traj: JointTrajectory, now_s: float) -> None:
        """Raise :class:`TrajectoryRejected` when ``set_trajectory`` would (for an action goal callback)."""
        validate_trajectory(traj, self.joints, now_s)

    def sample(self, now_s: float) -> JointSample:
        """The command at ``now_s``: (positions, velocities) in JointSet order, fresh arrays."""
        if self._state is FollowerState.IDLE:
            raise RuntimeError("the follower has no command yet: hold() the measured positions first")
        positions, velocities, _ = self._evaluate(now_s)
        if self._state is FollowerState.EXECUTING and now_s >= self._knots_s[-1]:
            self._state = FollowerState.FINISHED
        return JointSample(positions, velocities)

    def is_stale(self, now_s: float, command_timeout_s: float) -> bool:
        """JTC's ``cmd_timeout``: the last trajectory ended more than ``command_timeout_s`` ago.

        0 disables the check. The node then holds (``hold``) and, for a mobile base, stops.
        """
        end_s = self.trajectory_end_s
        return command_timeout_s > 0.0 and end_s is not None and now_s > end_s + command_timeout_s

    def _evaluate(self, now_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position, velocity and acceleration of the command at ``now_s`` (no state change)."""
        if self._state is FollowerState.HOLDING:
            return self._hold.copy(), np.zeros(self._n), np.zeros(self._n)
        knots = self._knots_s
        if now_s >= knots[-1] or len(knots) == 1:
            return self._end.copy(), np.zeros(self._n), np.zeros(self._n)
        # Time mostly moves forward by less than a segment: try the cursor before bisecting.
        k = self._cursor
        if not knots[k] <= now_s < knots[k + 1]:
            k = min(max(bisect.bisect_right(knots, now_s) - 1, 0), len(knots) - 2)
            self._cursor = k
        tau = max(now_s - knots[k], 0.0)
        p, dp, ddp = self._powers, self._d_powers, self._dd_powers
        for i in range(1, len(p)):
            p[i] = p[i - 1] * tau
            dp[i] = i * p[i - 1]
            ddp[i] = i * dp[i - 1]
        c = self._coeffs[k]
        return p @ c, dp @ c, ddp @ c


# --- Tolerances and feedback for the FollowJointTrajectory action -----------------------------------

NO_CHECK = math.inf  # a tolerance that is never exceeded


@dataclass(frozen=True)
class JointTolerance:
    """One ``control_msgs/JointTolerance``: > 0 sets it, 0 keeps the default, -1 disables the check."""

    name: str
    position: float = 0.0
    velocity: float = 0.0


@dataclass(frozen=True)
class StateTolerances:
    """Per-joint position and velocity tolerances in JointSet order; ``NO_CHECK`` = not checked."""

    position: tuple[float, ...]
    velocity: tuple[float, ...]


@dataclass(frozen=True)
class Tolerances:
    """What JTC checks while executing (``path``) and after the last point (``goal``).

    ``goal_time_s`` is how long after the last point's time the goal tolerance may still be
    reached; 0 = no limit (JTC's default).
    """

    joint_names: tuple[str, ...]
    path: StateTolerances
    goal: StateTolerances
    goal_time_s: float = 0.0

    @classmethod
    def uniform(cls, joint_names: Sequence[str], *, path_position: float = NO_CHECK,
                path_velocity: float = NO_CHECK, goal_position: float = NO_CHECK,
                goal_velocity: float = NO_CHECK, goal_time_s: float = 0.0) -> Tolerances:
        """The same tolerances for every joint (the controller's defaults)."""
        n = len(joint_names)
        return cls(tuple(joint_names), StateTolerances((path_position,) * n, (path_velocity,) * n),
                   StateTolerances((goal_position,) * n, (goal_velocity,) * n), goal_time_s)

    def for_goal(self, path_tolerance: Sequence[JointTolerance] = (),
                 goal_tolerance: Sequence[JointTolerance] = (), goal_time_tolerance_s: float = 0.0) -> Tolerances:
        """These defaults overridden by an action goal's tolerances, with JointTolerance semantics.

        Raises :class:`TrajectoryRejected` for unknown joints and illegal (negative, not -1) values,
        where JTC would log and fall back to its defaults.
        """
        if not math.isfinite(goal_time_tolerance_s) or goal_time_tolerance_s < 0.0:
            raise TrajectoryRejected(f"goal_time_tolerance {goal_time_tolerance_s} s is not a time >= 0",
                                     ErrorCode.INVALID_GOAL)
        return Tolerances(self.joint_names, self._override(self.path, path_tolerance, "path_tolerance"),
                          self._override(self.goal, goal_tolerance, "goal_tolerance"),
                          goal_time_tolerance_s if goal_time_tolerance_s > 0.0 else self.goal_time_s)

    def _override(self, base: StateTolerances, requested: Sequence[JointTolerance], what: str) -> StateTolerances:
        position, velocity = list(base.position), list(base.velocity)
        for tol in requested:
            if tol.name not in self.joint_names:
                raise TrajectoryRejected(f"{what} names unknown joint {tol.name!r}; this controller has "
                                         f"{', '.join(self.joint_names)}", ErrorCode.INVALID_JOINTS)
            i = self.joint_names.index(tol.name)
            for values, value, quantity in ((position, tol.position, "position"), (velocity, tol.velocity, "velocity")):
                if value > 0.0:
                    values[i] = value
                elif value == -1.0:
                    values[i] = NO_CHECK
                elif value != 0.0:
                    raise TrajectoryRejected(f"{what} of {tol.name!r}: {quantity} {value} is illegal "
                                             "(> 0 sets, 0 keeps the default, -1 disables)", ErrorCode.INVALID_GOAL)
        return StateTolerances(tuple(position), tuple(velocity))


@dataclass(frozen=True)
class ToleranceViolation:
    """The first joint found outside its tolerance; ``error`` is desired minus actual."""

    joint: str
    quantity: str  # "position" or "velocity"
    error: float
    tolerance: float

    def describe(self) -> str:
        return f"joint {self.joint!r} {self.quantity} error {self.error:.6g} exceeds tolerance {self.tolerance:.6g}"


def _first_violation(actual: JointSample, desired: JointSample, tolerances: StateTolerances,
                     joint_names: Sequence[str]) -> ToleranceViolation | None:
    checks = [("position", actual.positions, desired.positions, tolerances.position)]
    if actual.velocities is not None and desired.velocities is not None:
        checks.append(("velocity", actual.velocities, desired.velocities, tolerances.velocity))
    for quantity, have, want, tol in checks:
        error = np.asarray(want, dtype=float) - np.asarray(have, dtype=float)
        outside = np.flatnonzero(np.abs(error) > np.asarray(tol))
        if outside.size:
            i = int(outside[0])
            return ToleranceViolation(joint_names[i], quantity, float(error[i]), float(tol[i]))
    return None


def check_path_tolerance(actual: JointSample, desired: JointSample,
                         tolerances: Tolerances) -> ToleranceViolation | None:
    """While executing: None when every joint follows the desired state within ``tolerances.path``.

    A violation aborts the goal with ``PATH_TOLERANCE_VIOLATED`` (and the node holds position).
    """
    return _first_violation(actual, desired, tolerances.path, tolerances.joint_names)


class GoalOutcome(str, Enum):
    REACHED = "reached"  # succeed the goal
    PENDING = "pending"  # not within tolerance yet, still inside goal_time: keep waiting
    VIOLATED = "violated"  # goal_time passed outside tolerance: abort with GOAL_TOLERANCE_VIOLATED


@dataclass(frozen=True)
class GoalCheck:
    outcome: GoalOutcome
    violation: ToleranceViolation | None = None  # the joint still outside, unless reached


def check_goal_tolerance(actual: JointSample, goal: JointSample, tolerances: Tolerances,
                         seconds_past_end_s: float) -> GoalCheck:
    """After the last point's time: has the robot settled at ``goal`` within ``tolerances.goal``?

    ``goal`` is the last point (velocity zero unless the trajectory ends moving);
    ``seconds_past_end_s`` is the time since the last point was due.
    """
    violation = _first_violation(actual, goal, tolerances.goal, tolerances.joint_names)
    if violation is None:
        return GoalCheck(GoalOutcome.REACHED)
    if tolerances.goal_time_s > 0.0 and seconds_past_end_s > tolerances.goal_time_s:
        return GoalCheck(GoalOutcome.VIOLATED, violation)
    return GoalCheck(GoalOutcome.PENDING, violation)


@dataclass(frozen=True)
class TrajectoryFeedback:
    """``FollowJointTrajectory.Feedback`` data: desired, actual and error (desired - actual) per joint."""

    joint_names: tuple[str, ...]
    desired: JointSample
    actual: JointSample
    error: JointSample

    @classmethod
    def of(cls, joint_names: Sequence[str], desired: JointSample, actual: JointSample) -> TrajectoryFeedback:
        velocity_error = None
        if desired.velocities is not None and actual.velocities is not None:
            velocity_error = np.asarray(desired.velocities, dtype=float) - np.asarray(actual.velocities, dtype=float)
        error = JointSample(np.asarray(desired.positions, dtype=float) - np.asarray(actual.positions, dtype=float),
                            velocity_error)
        return cls(tuple(joint_names), desired, actual, error)
