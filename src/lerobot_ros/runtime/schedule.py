"""Action chunks on the wall clock, blended where they overlap, clamped to a safe step size.

A chunk predicted from the observation taken at ``t_obs`` gives targets for ``t_obs + i / fps``
(step 0 is the action for the observed frame, as in LeRobot datasets). The worker delivers it after
the inference delay; by then its first steps are in the past and are dropped, and the rest would
replace a schedule the arm is following. Replacing it outright jumps (two chunks from different
observations rarely agree), so the new chunk is cross-faded into the old one over ``blend_s``:

    target(t) = (1 - w) old(t) + w new(t),   w = clip((t - now) / blend_s, 0, 1)

At ``now`` the target is exactly the old one, so the command is continuous; after ``blend_s`` it is
the new chunk. (LeRobot's async client averages overlapping steps with fixed weights 0.3/0.7, which
still jumps by 70 % of the disagreement.)

Real-time chunking (``chunk_blending`` rtc) moves the agreement into the flow sampler instead: the
worker hands the policy the running schedule at the new chunk's steps (:func:`running_prefix`) and the
inference delay in steps (:func:`inference_delay`), the sampler guides the new chunk onto it, and the
new chunk replaces the old one from ``now`` on without a cross-fade (``merge`` with ``blend_s`` 0).

Every merged schedule is clamped so no joint moves more than ``max_step`` per action step, starting
from the present command: the robot's ``max_relative_target``, enforced before it reaches the robot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ActionSchedule:
    """Targets at absolute (monotonic) times: ``times_s`` (n,) increasing, ``positions`` (n, joints)."""

    times_s: np.ndarray
    positions: np.ndarray

    def __post_init__(self) -> None:
        times = np.asarray(self.times_s, dtype=float)
        positions = np.asarray(self.positions, dtype=float)
        if times.ndim != 1 or positions.ndim != 2 or positions.shape[0] != times.shape[0]:
            raise ValueError(f"a schedule needs times (n,) and positions (n, joints); got {times.shape} and "
                             f"{positions.shape}")
        if np.any(np.diff(times) <= 0.0):
            raise ValueError("schedule times must increase strictly")
        if not np.all(np.isfinite(positions)):
            raise ValueError("schedule positions must be finite (the policy produced NaN or inf)")
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "positions", positions)

    @classmethod
    def from_chunk(cls, chunk: np.ndarray, observed_s: float, fps: float) -> ActionSchedule:
        """A chunk (steps, joints) predicted from the observation taken at ``observed_s``."""
        if fps <= 0.0:
            raise ValueError(f"chunk fps must be positive, got {fps}")
        chunk = np.asarray(chunk, dtype=float)
        if chunk.ndim != 2 or chunk.shape[0] == 0:
            raise ValueError(f"an action chunk is (steps, joints) with steps > 0, got shape {chunk.shape}")
        return cls(observed_s + np.arange(chunk.shape[0]) / fps, chunk)

    @property
    def end_s(self) -> float:
        return float(self.times_s[-1])

    def remaining_s(self, now_s: float) -> float:
        """How long the schedule still has targets for (0 once it has ended)."""
        return max(self.end_s - now_s, 0.0)

    def at(self, t_s: float | np.ndarray) -> np.ndarray:
        """Linearly interpolated targets, held constant before the first and after the last point."""
        t = np.atleast_1d(np.asarray(t_s, dtype=float))
        out = np.stack([np.interp(t, self.times_s, self.positions[:, j]) for j in range(self.positions.shape[1])],
                       axis=1)
        return out[0] if np.ndim(t_s) == 0 else out

    def window(self, now_s: float, horizon_s: float) -> ActionSchedule | None:
        """The points due after ``now_s`` and at most ``horizon_s`` later; None when none is left."""
        keep = (self.times_s > now_s) & (self.times_s <= now_s + horizon_s)
        if not keep.any():
            return None
        return ActionSchedule(self.times_s[keep], self.positions[keep])


@dataclass(frozen=True)
class RunningPrefix:
    """What real-time chunking needs of the running schedule: its targets at the new chunk's steps
    (``actions`` (steps, columns), runtime units, step 0 at the new observation's stamp) and how many
    of those steps will have been executed when the new chunk arrives (``inference_delay``)."""

    actions: np.ndarray
    inference_delay: int


def inference_delay(latency_s: float, fps: float) -> int:
    """Action steps that pass during a chunk's latency, rounded up (LeRobot's RTC: ceil(latency * fps))."""
    return max(math.ceil(latency_s * fps - 1e-9), 0) if math.isfinite(latency_s) else 0


def running_prefix(old: ActionSchedule, observed_s: float, fps: float, delay: int) -> RunningPrefix | None:
    """``old`` sampled at the steps of a chunk observed at ``observed_s`` up to its end; None when it has ended."""
    steps = int(math.floor((old.end_s - observed_s) * fps + 1e-9)) + 1
    if steps <= 0:
        return None
    return RunningPrefix(old.at(observed_s + np.arange(steps) / fps), delay)


def merge(old: ActionSchedule | None, new: ActionSchedule, now_s: float, blend_s: float) -> ActionSchedule | None:
    """``new``'s points after ``now_s``, cross-faded from ``old`` over ``blend_s``; None if none is left.

    Without an old schedule (the first chunk, or after a stop) there is nothing to blend from: the
    follower interpolates from its present command to the first point.
    """
    keep = new.times_s > now_s
    if not keep.any():
        return None
    times, targets = new.times_s[keep], new.positions[keep]
    if old is not None and blend_s > 0.0:
        w = np.clip((times - now_s) / blend_s, 0.0, 1.0)[:, None]
        targets = (1.0 - w) * old.at(times) + w * targets
    return ActionSchedule(times, targets)


def clamp_to_limits(schedule: ActionSchedule, limits_rad: np.ndarray | None) -> tuple[ActionSchedule, int]:
    """Clamp every point into the follower's [lower, upper] joint limits (rows per joint).

    robot_node rejects a whole trajectory with one point outside its limits, so a model that
    overshoots a limit (a gripper trained up to its end stop) would otherwise stop the arm.
    Returns the clamped schedule and how many joint values were changed; None: no limits known.
    """
    if limits_rad is None:
        return schedule, 0
    out = np.clip(schedule.positions, limits_rad[:, 0], limits_rad[:, 1])
    return ActionSchedule(schedule.times_s, out), int(np.count_nonzero(out != schedule.positions))


def limit_steps(schedule: ActionSchedule, start: np.ndarray,
                max_step: np.ndarray | float) -> tuple[ActionSchedule, int]:
    """Clamp each point to within ``max_step`` of the one before (the first: of ``start``).

    Returns the clamped schedule and how many joint values were changed. ``max_step`` inf = no cap.
    """
    start = np.asarray(start, dtype=float)
    cap = np.broadcast_to(np.asarray(max_step, dtype=float), start.shape)
    if np.all(np.isinf(cap)):
        return schedule, 0
    out = schedule.positions.copy()
    previous = start
    for i in range(out.shape[0]):
        out[i] = np.clip(out[i], previous - cap, previous + cap)
        previous = out[i]
    changed = int(np.count_nonzero(np.abs(out - schedule.positions) > 1e-12))
    return ActionSchedule(schedule.times_s, out), changed
