"""LeKiwi's three-wheel omni base, as LeRobot drives it: body velocity <-> wheel raw speeds, odometry.

Conventions (LeRobot's ``LeKiwi._body_to_wheel_raw`` / ``_wheel_raw_to_body``, same numbers):

* Body velocity: x forward, y left (m/s), theta counter-clockwise. LeRobot's keyboard teleop makes
  "forward" +x, "left" +y and "rotate left" +theta, which is REP-103's base_link frame, so no axis
  changes are needed (whether +x really drives the physical LeKiwi forward rests on LeRobot's
  wiring assumptions; keeping its numbers means an action moves the robot as it does in LeRobot).
  Units differ: LeRobot's ``theta.vel`` is deg/s, ours is rad/s (REP-103);
  :meth:`BodyVelocity.to_lerobot` / :meth:`BodyVelocity.from_lerobot` convert at that edge, so
  datasets keep LeRobot's deg/s.
* Wheel i's linear speed is ``cos(a_i)·x + sin(a_i)·y + base_radius·theta`` with the mounting
  angles ``a_i`` from :class:`OmniBaseSpec` (240°, 0°, 120°, each minus 90°; left, back, right).
  Its angular speed is that over the wheel radius, and the raw speed is deg/s · 4096/360 steps,
  rounded half to even (Python's ``round``, as LeRobot).
* When any wheel would exceed ``max_raw_speed``, all wheels are scaled by the same factor, so the
  base keeps its direction of travel and only slows down.
* Raw speeds are signed integers in ``spec.wheels`` order (left, back, right): the motor bus
  encodes and decodes Feetech's sign-magnitude Goal_Velocity / Present_Velocity registers.
"""

from __future__ import annotations

import math
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from .tables import OmniBaseSpec

STEPS_PER_DEG = 4096.0 / 360.0
# LeRobot clips to int16; the sign-magnitude register holds 15 bits, so clip symmetrically.
RAW_SPEED_LIMIT = 0x7FFF


class BodyVelocity(NamedTuple):
    """A base_link twist in the plane (REP-103 units); unpacks as (x, y, theta)."""

    x_m_s: float
    y_m_s: float
    theta_rad_s: float

    def to_lerobot(self) -> dict[str, float]:
        """LeRobot's LeKiwi action/observation keys: ``x.vel``, ``y.vel`` (m/s), ``theta.vel`` (deg/s)."""
        return {"x.vel": self.x_m_s, "y.vel": self.y_m_s, "theta.vel": math.degrees(self.theta_rad_s)}

    @classmethod
    def from_lerobot(cls, features: Mapping[str, float]) -> BodyVelocity:
        return cls(float(features["x.vel"]), float(features["y.vel"]), math.radians(float(features["theta.vel"])))


class Pose2D(NamedTuple):
    """The base in the odom frame; ``yaw_rad`` is unwrapped (continuous), REP-105."""

    x_m: float
    y_m: float
    yaw_rad: float


class OmniBase:
    """The wheel matrix of one :class:`OmniBaseSpec` and its (pseudo-)inverse.

    Wheel vectors (raw speeds, rad/s) are numpy arrays in ``spec.wheels`` order.
    """

    def __init__(self, spec: OmniBaseSpec):
        if len(spec.wheels) != len(spec.wheel_angles_deg):
            raise ValueError(f"{len(spec.wheels)} wheels but {len(spec.wheel_angles_deg)} wheel angles")
        self.spec = spec
        angles_rad = np.radians(spec.wheel_angles_deg)
        # Row i maps (x m/s, y m/s, theta rad/s) to wheel i's linear speed in m/s.
        self.wheel_matrix = np.column_stack(
            (np.cos(angles_rad), np.sin(angles_rad), np.full(len(angles_rad), spec.base_radius_m)))
        # Least squares for any wheel count; the exact inverse for LeKiwi's three.
        self._body_from_wheels = np.linalg.pinv(self.wheel_matrix)

    def body_to_wheel_rad_s(self, x_m_s: float, y_m_s: float, theta_rad_s: float) -> np.ndarray:
        """Wheel angular speeds (rad/s), uncapped."""
        return self.wheel_matrix @ np.array((x_m_s, y_m_s, theta_rad_s)) / self.spec.wheel_radius_m

    def wheel_rad_s_to_body(self, wheel_rad_s: Sequence[float]) -> BodyVelocity:
        x, y, theta = self._body_from_wheels @ (np.asarray(wheel_rad_s, dtype=float) * self.spec.wheel_radius_m)
        return BodyVelocity(float(x), float(y), float(theta))

    def body_to_wheel_raw(self, x_m_s: float, y_m_s: float, theta_rad_s: float) -> np.ndarray:
        """Goal_Velocity values (integers), all scaled together to stay within ``max_raw_speed``."""
        raw = np.degrees(self.body_to_wheel_rad_s(x_m_s, y_m_s, theta_rad_s)) * STEPS_PER_DEG
        peak = float(np.max(np.abs(raw)))
        if peak > self.spec.max_raw_speed:
            raw *= self.spec.max_raw_speed / peak
        return np.clip(np.rint(raw), -RAW_SPEED_LIMIT, RAW_SPEED_LIMIT).astype(np.int64)

    def wheel_raw_to_rad_s(self, raw: Sequence[float]) -> np.ndarray:
        """Wheel angular speeds (rad/s) from Present_Velocity values, e.g. for joint_states."""
        return np.radians(np.asarray(raw, dtype=float) / STEPS_PER_DEG)

    def wheel_raw_to_body(self, raw: Sequence[float]) -> BodyVelocity:
        """The body velocity from Present_Velocity values (odometry input)."""
        return self.wheel_rad_s_to_body(self.wheel_raw_to_rad_s(raw))


class Odometry:
    """Dead reckoning in the odom frame from body velocities (continuous, as REP-105 asks of odom).

    Each update assumes the twist was constant over ``dt_s`` and integrates it exactly (an arc),
    so driving a circle closes it up to rounding regardless of the update rate.
    """

    def __init__(self, pose: Pose2D = Pose2D(0.0, 0.0, 0.0)):
        self.reset(pose)

    def reset(self, pose: Pose2D = Pose2D(0.0, 0.0, 0.0)) -> None:
        self.pose = pose
        self.body_velocity = BodyVelocity(0.0, 0.0, 0.0)  # the latest twist, for nav_msgs/Odometry

    @property
    def x_m(self) -> float:
        return self.pose.x_m

    @property
    def y_m(self) -> float:
        return self.pose.y_m

    @property
    def yaw_rad(self) -> float:
        return self.pose.yaw_rad

    def update(self, body: BodyVelocity, dt_s: float) -> Pose2D:
        if not dt_s >= 0.0:
            raise ValueError(f"odometry step dt_s={dt_s} must be >= 0")
        x, y, yaw0 = self.pose
        vx, vy, w = body
        yaw1 = yaw0 + w * dt_s
        if abs(w * dt_s) < 1e-9:  # straight line: the arc formula would divide by ~0
            c, s = math.cos(yaw0 + 0.5 * w * dt_s), math.sin(yaw0 + 0.5 * w * dt_s)
            dx, dy = (vx * c - vy * s) * dt_s, (vx * s + vy * c) * dt_s
        else:  # integral of R(yaw(t)) @ (vx, vy) over the step
            ds, dc = math.sin(yaw1) - math.sin(yaw0), math.cos(yaw1) - math.cos(yaw0)
            dx, dy = (vx * ds + vy * dc) / w, (vy * ds - vx * dc) / w
        self.pose = Pose2D(x + dx, y + dy, yaw1)
        self.body_velocity = BodyVelocity(*body)
        return self.pose
