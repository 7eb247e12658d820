"""The robot's control loop, independent of ROS: read, follow the trajectory, write, report.

``robot_node`` calls :meth:`Driver.step` on a timer at ``publish_rate_hz`` and publishes what it
returns; trajectory messages and action goals go through :meth:`Driver.set_trajectory`, and a
command arriving between two steps is written at once with :meth:`Driver.write_now`. Every rule
about faults lives here, where a plain unit test can reach it:

* a failed read skips the tick (no write without a fresh present position);
* ``fault_after_failures`` failed reads in a row is a fault: the trajectory is dropped, the port is
  reopened every ``reconnect_period_s`` (a USB adapter that was unplugged comes back as a new
  device), and when the arm answers again it is brought up afresh holding where it actually is
  (never jumping back to an old setpoint);
* a trajectory that ended more than ``command_timeout_s`` ago is stale: the arm holds its present pose;
* every command is clamped by :class:`~lerobot_ros.robots.robot.Robot` (limits, max_relative_target).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from ..motors.errors import BusError
from .omni_base import OmniBase, Odometry
from .robot import JointReading, MotorHealth, Robot
from .trajectory import ErrorCode, JointSample, JointTrajectory, TrajectoryFollower, TrajectoryRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriverConfig:
    command_timeout_s: float = 0.5  # 0 disables; counted from the end of the trajectory, as in JTC
    fault_after_failures: int = 3  # consecutive failed reads before the arm is considered faulted
    reconnect_period_s: float = 1.0  # while faulted, try to reopen the port this often
    base_command_timeout_s: float = 0.5  # LeKiwi: stop the wheels when cmd_vel is older than this


@dataclass
class DriverStatus:
    """Counters and the latest problem, for /diagnostics."""

    read_failures: int = 0
    write_failures: int = 0
    consecutive_read_failures: int = 0
    faulted: bool = False
    stale_holds: int = 0
    clamped_commands: int = 0
    last_error: str = ""
    health: dict[str, MotorHealth] = field(default_factory=dict)


@dataclass(frozen=True)
class Tick:
    """What one loop iteration saw and did."""

    reading: JointReading | None
    velocities_rad_s: np.ndarray | None
    command_rad: np.ndarray | None
    wheel_velocities_rad_s: np.ndarray | None = None
    desired: JointSample | None = None  # the follower's setpoint before safety clamps


@dataclass(frozen=True)
class Tracking:
    """Where the arm should be and where it is, for action feedback and tolerance checks."""

    desired: JointSample
    actual: JointSample
    trajectory_end_s: float | None
    faulted: bool


class Driver:
    """Owns a connected :class:`Robot`, its trajectory follower and (LeKiwi) its omni base."""

    def __init__(self, robot: Robot, config: DriverConfig = DriverConfig()):
        self.robot = robot
        self.config = config
        self.status = DriverStatus()
        self.follower = TrajectoryFollower(robot.joint_names, robot.limits_rad)
        self.base = OmniBase(robot.rtype.base) if robot.rtype.base is not None else None
        self.odometry = Odometry() if self.base is not None else None
        self._lock = threading.Lock()
        self._previous: tuple[float, np.ndarray] | None = None
        self._base_command: tuple[float, tuple[float, float, float]] | None = None
        self._last_base_tick_s: float | None = None
        self._last_tick: Tick | None = None
        self._wheels_written: tuple[int, ...] | None = None
        self._last_reconnect_s = -float("inf")

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, now_s: float) -> JointReading:
        """Connect and hold the present pose. Raises (torque off) if the arm cannot be read."""
        reading = self.robot.connect()
        with self._lock:
            self.follower.hold(reading.positions_rad)
            self._previous = (now_s, reading.positions_rad)
        return reading

    def shutdown(self, torque_off: bool) -> None:
        with self._lock:
            if self.base is not None and self.robot.bus.is_connected:
                self._write_wheels(np.zeros(3))
            self.robot.disconnect(torque_off=torque_off)

    # -- commands (called from ROS callbacks) -----------------------------------------------------

    def set_trajectory(self, trajectory: JointTrajectory, now_s: float) -> None:
        """Validate and start ``trajectory``; raises TrajectoryRejected with the reason."""
        if not self.robot.torque_enabled:
            raise TrajectoryRejected(f"{self.robot.rtype.name} runs with torque off (torque:=off, or a leader arm "
                                     "with torque:=auto); set torque:=on to command it", ErrorCode.INVALID_GOAL)
        with self._lock:
            reading = self.robot.last_reading
            if reading is None:
                raise BusError("no present position has been read yet; refusing the trajectory")
            self.follower.set_trajectory(trajectory, now_s, reading.positions_rad)

    def hold_present(self) -> None:
        """Stop: hold the last measured pose (action cancel, path tolerance violation)."""
        with self._lock:
            reading = self.robot.last_reading
            if reading is not None:
                self.follower.hold(reading.positions_rad)

    def tracking(self) -> Tracking | None:
        """The latest desired and measured state (None before the first commanded tick)."""
        with self._lock:
            tick = self._last_tick
            if tick is None or tick.desired is None:
                return None
            actual = JointSample(tick.reading.positions_rad, tick.velocities_rad_s)
            return Tracking(tick.desired, actual, self.follower.trajectory_end_s, self.status.faulted)

    def set_base_velocity(self, x_m_s: float, y_m_s: float, theta_rad_s: float, now_s: float) -> None:
        if self.base is None:
            raise ValueError(f"{self.robot.rtype.name} has no mobile base; cmd_vel ignored")
        if not all(np.isfinite((x_m_s, y_m_s, theta_rad_s))):
            raise ValueError("cmd_vel is not finite")
        with self._lock:
            self._base_command = (now_s, (x_m_s, y_m_s, theta_rad_s))

    # -- the loop ---------------------------------------------------------------------------------

    def step(self, now_s: float) -> Tick:
        with self._lock:
            try:
                reading = self._reconnect(now_s) if self.status.faulted else self.robot.read()
            except BusError as err:
                self._on_read_failure(err)
                return Tick(None, None, None)
            if reading is None:
                return Tick(None, None, None)
            velocities = self._velocities(now_s, reading)
            self.status.consecutive_read_failures = 0
            desired, command = self._command_arm(now_s, reading) if self.robot.torque_enabled else (None, None)
            wheels = self._step_base(now_s) if self.base is not None else None
            self._last_tick = Tick(reading, velocities, command, wheels, desired)
            return self._last_tick

    def write_now(self, now_s: float, *, arm: bool = True, base: bool = False) -> None:
        """Write the commands due at ``now_s`` between two steps, without reading: called when a
        command arrives, so the servos get it at once instead of at the next step (issue 20).

        Clamped against the last step's reading (at most a period old). Nothing is written unless
        the last step read the arm (faulted, or a read failing: the next step decides), and no stale
        check is made (a command just arrived); the next step reads, checks and writes as usual.
        """
        with self._lock:
            if self.status.faulted or self.status.consecutive_read_failures or self.robot.last_reading is None:
                return
            if arm and self.robot.torque_enabled:
                self._write_arm(self.follower.sample(now_s))
            if base and self.base is not None:
                try:
                    self._write_wheels(self.base.body_to_wheel_raw(*self._base_command_at(now_s)))
                except BusError as err:
                    self.status.write_failures += 1
                    self.status.last_error = str(err)

    def _reconnect(self, now_s: float) -> JointReading | None:
        """While faulted: reopen the port now and then; on success hold the pose the arm is in."""
        if now_s - self._last_reconnect_s < self.config.reconnect_period_s:
            return None
        self._last_reconnect_s = now_s
        reading = self.robot.reconnect()
        log.warning("%s: the arm answers again; holding the present pose", self.robot.rtype.name)
        self.status.faulted = False
        self.follower.hold(reading.positions_rad)
        self._wheels_written = None  # the servos may have been power-cycled: write the speeds again
        return reading

    def _on_read_failure(self, err: BusError) -> None:
        self.status.read_failures += 1
        self.status.consecutive_read_failures += 1
        self.status.last_error = str(err)
        if self.status.consecutive_read_failures >= self.config.fault_after_failures and not self.status.faulted:
            log.error("%s: %d reads failed in a row (%s); dropping the trajectory and holding",
                      self.robot.rtype.name, self.status.consecutive_read_failures, err)
            self.status.faulted = True
            if self.robot.last_reading is not None:
                self.follower.hold(self.robot.last_reading.positions_rad)
        self._previous = None

    def _velocities(self, now_s: float, reading: JointReading) -> np.ndarray:
        previous, self._previous = self._previous, (now_s, reading.positions_rad)
        if previous is None or now_s <= previous[0]:
            return np.zeros_like(reading.positions_rad)
        return (reading.positions_rad - previous[1]) / (now_s - previous[0])

    def _command_arm(self, now_s: float, reading: JointReading) -> tuple[JointSample, np.ndarray | None]:
        if self.follower.is_stale(now_s, self.config.command_timeout_s):
            self.status.stale_holds += 1
            self.follower.hold(reading.positions_rad)
        desired = self.follower.sample(now_s)
        return desired, self._write_arm(desired)

    def _write_arm(self, desired: JointSample) -> np.ndarray | None:
        """Send ``desired`` (clamped); what was sent, or None when the write failed."""
        try:
            sent = self.robot.send_goal(desired.positions)
        except BusError as err:
            self.status.write_failures += 1
            self.status.last_error = str(err)
            return None
        if not np.allclose(sent, desired.positions, atol=1e-9):
            self.status.clamped_commands += 1
        return sent

    def _base_command_at(self, now_s: float) -> tuple[float, float, float]:
        """The body velocity to drive at ``now_s``: the last cmd_vel, or standing still once it is stale."""
        if self._base_command is not None and now_s - self._base_command[0] <= self.config.base_command_timeout_s:
            return self._base_command[1]
        return (0.0, 0.0, 0.0)

    def _step_base(self, now_s: float) -> np.ndarray | None:
        try:
            self._write_wheels(self.base.body_to_wheel_raw(*self._base_command_at(now_s)))
            raw = self.robot.bus.sync_read("Present_Velocity", list(self.base.spec.wheels))
        except BusError as err:
            self.status.write_failures += 1
            self.status.last_error = str(err)
            return None
        wheel_raw = np.array([raw[w] for w in self.base.spec.wheels], dtype=float)
        dt = 0.0 if self._last_base_tick_s is None else now_s - self._last_base_tick_s
        self._last_base_tick_s = now_s
        self.odometry.update(self.base.wheel_raw_to_body(wheel_raw), dt)
        return self.base.wheel_raw_to_rad_s(wheel_raw)

    def _write_wheels(self, raw: np.ndarray) -> None:
        """Write wheel speeds when they change (the servos keep the last speed; no need to repeat it)."""
        command = tuple(int(v) for v in raw)
        if command == self._wheels_written:
            return
        self.robot.bus.sync_write("Goal_Velocity", dict(zip(self.base.spec.wheels, command)))
        self._wheels_written = command

    def refresh_health(self) -> dict[str, MotorHealth]:
        """Read temperatures, voltages and error bits (slow: call at about 1 Hz)."""
        with self._lock:
            try:
                self.status.health = self.robot.read_health()
            except BusError as err:
                self.status.read_failures += 1
                self.status.last_error = str(err)
            return self.status.health
