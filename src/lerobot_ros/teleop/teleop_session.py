"""The safety rules of a teleoperation stream, clocked by the caller's ``now_s`` (no ROS, no sleeping).

``teleop_node`` feeds it every leader read (or read failure) and every follower joint_states, and
streams the commands it returns. The rules:

* **No jump at start.** Nothing is commanded until the follower's present pose is known (fresh
  joint_states). The first command is that pose; over ``ramp_time_s`` the command blends (smoothstep)
  from it to the live leader pose, then tracks the leader.
* **Bounded steps and rate.** Every command differs from the previous one by at most
  ``max_step_rad`` per joint, and commands are at least ``min_command_interval_s`` apart (so a
  control loop catching up after a stall does not burst): the commanded speed is bounded by
  ``max_step_rad / min_command_interval_s``. Commands are clamped to the follower's joint limits,
  which its controller would otherwise reject.
* **A silent leader makes the follower hold.** While leader reads fail nothing is commanded (the
  follower holds the last point); after ``leader_timeout_s`` without a good read the session is
  faulted and sends one stop (robot_node holds its present command). When the leader answers
  again the session ramps again, from the follower's present pose.
* **A silent follower pauses the stream.** Without follower joint_states for ``follower_timeout_s``
  (its robot_node restarted, or recovered from a fault and now holds where it is) the session stops
  commanding and ramps again from the follower's pose once it reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)


class Phase(str, Enum):
    WAITING = "waiting"  # for a leader reading and a fresh follower pose
    RAMPING = "ramping"  # blending from the follower's pose to the leader's
    TRACKING = "tracking"  # following the leader
    FAULTED = "faulted"  # the leader stopped answering: the follower was told to stop and hold


@dataclass(frozen=True)
class TeleopConfig:
    ramp_time_s: float = 2.0
    max_step_rad: float = 0.1
    min_command_interval_s: float = 0.005
    leader_timeout_s: float = 0.1
    follower_timeout_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("max_step_rad", "leader_timeout_s", "follower_timeout_s"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"teleop {name} must be positive, got {getattr(self, name)}")
        for name in ("ramp_time_s", "min_command_interval_s"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"teleop {name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class Command:
    """What to send the follower: one point (``positions_rad``), or a stop (``positions_rad`` None)."""

    positions_rad: np.ndarray | None

    @property
    def stop(self) -> bool:
        return self.positions_rad is None


@dataclass
class TeleopStatus:
    """Counters and the latest problem, for /diagnostics."""

    phase: Phase = Phase.WAITING
    commands_sent: int = 0
    stops_sent: int = 0
    clamped_steps: int = 0  # commands shortened by max_step_rad
    leader_failures: int = 0  # failed leader reads
    leader_faults: int = 0  # times the leader was lost for leader_timeout_s
    last_error: str = ""


class TeleopSession:
    """Turns leader poses (already in follower joint radians) into safe follower commands."""

    def __init__(self, joint_names: Sequence[str], limits_rad: np.ndarray, config: TeleopConfig = TeleopConfig()):
        self.joint_names = list(joint_names)
        self.limits_rad = np.asarray(limits_rad, dtype=float)
        if self.limits_rad.shape != (len(self.joint_names), 2):
            raise ValueError(f"limits_rad must be ({len(self.joint_names)}, 2), got {self.limits_rad.shape}")
        self.config = config
        self.status = TeleopStatus()
        self._follower: tuple[float, np.ndarray] | None = None  # (received at, positions)
        self._ramp: tuple[float, np.ndarray] | None = None  # (started at, from pose)
        self._last_command: tuple[float, np.ndarray] | None = None
        self._last_leader_s: float | None = None  # last good read
        self._first_failure_s: float | None = None  # first failure since the last good read

    @property
    def phase(self) -> Phase:
        return self.status.phase

    def on_follower_state(self, positions_rad: Sequence[float], now_s: float) -> None:
        positions = np.asarray(positions_rad, dtype=float)
        if positions.shape != (len(self.joint_names),):
            raise ValueError(f"follower state needs {len(self.joint_names)} positions, got {positions.shape}")
        self._follower = (now_s, positions)

    def on_leader(self, target_rad: Sequence[float], now_s: float) -> Command | None:
        """A good leader read (follower radians, ``joint_names`` order): the command to send, if any."""
        self._last_leader_s, self._first_failure_s = now_s, None
        if self.status.phase is Phase.FAULTED:
            log.warning("the leader answers again; ramping the follower from its present pose")
            self.status.phase = Phase.WAITING
        follower = self._fresh_follower(now_s)
        if follower is None:
            if self.status.phase is not Phase.WAITING:
                log.warning("no follower joint_states for %.2f s; pausing until it reports again",
                            self.config.follower_timeout_s)
                self.status.phase = Phase.WAITING
            return None
        if self.status.phase is Phase.WAITING:
            self._ramp, self._last_command = (now_s, follower), None
            self.status.phase = Phase.RAMPING
        target = np.asarray(target_rad, dtype=float)
        if self.status.phase is Phase.RAMPING:
            target = self._ramp_point(target, now_s)
        if self._last_command is not None and now_s - self._last_command[0] < self.config.min_command_interval_s:
            return None
        return self._command(target, now_s)

    def on_leader_failure(self, error: str, now_s: float) -> Command | None:
        """A failed leader read: nothing to send, or one stop once the leader has been silent too long."""
        self.status.leader_failures += 1
        self.status.last_error = error
        if self._first_failure_s is None:
            self._first_failure_s = now_s
        if self.status.phase is Phase.FAULTED:
            return None
        silent_since = self._last_leader_s if self._last_leader_s is not None else self._first_failure_s
        if now_s - silent_since < self.config.leader_timeout_s:
            return None
        commanding = self.status.phase in (Phase.RAMPING, Phase.TRACKING)
        log.error("the leader has not answered for %.3f s (%s); the follower holds", now_s - silent_since, error)
        self.status.phase = Phase.FAULTED
        self.status.leader_faults += 1
        if not commanding:
            return None
        self.status.stops_sent += 1
        return Command(None)

    # -- internals --------------------------------------------------------------------------------

    def _fresh_follower(self, now_s: float) -> np.ndarray | None:
        if self._follower is None or now_s - self._follower[0] > self.config.follower_timeout_s:
            return None
        return self._follower[1]

    def _ramp_point(self, target: np.ndarray, now_s: float) -> np.ndarray:
        started_s, start = self._ramp
        s = 1.0 if self.config.ramp_time_s == 0.0 else (now_s - started_s) / self.config.ramp_time_s
        if s >= 1.0:
            self.status.phase = Phase.TRACKING
            return target
        s = max(s, 0.0)
        blend = s * s * (3.0 - 2.0 * s)  # smoothstep: starts and ends with zero velocity
        return start + blend * (target - start)

    def _command(self, desired: np.ndarray, now_s: float) -> Command:
        if self._last_command is not None:
            last = self._last_command[1]
            step = self.config.max_step_rad
            bounded = np.clip(desired, last - step, last + step)
            if not np.array_equal(bounded, desired):
                self.status.clamped_steps += 1
            desired = bounded
        desired = np.clip(desired, self.limits_rad[:, 0], self.limits_rad[:, 1])
        self._last_command = (now_s, desired)
        self.status.commands_sent += 1
        return Command(desired.copy())
