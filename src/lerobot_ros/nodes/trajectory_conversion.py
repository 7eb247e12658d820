"""trajectory_msgs <-> the core's plain trajectory types, with time bases reconciled.

Header stamps are ROS time; the driver runs on a monotonic clock. A zero stamp means "start on
receipt" (joint_trajectory_controller semantics).
"""

from __future__ import annotations

from trajectory_msgs.msg import JointTrajectory as JointTrajectoryMsg

from ..robots.trajectory import JointTrajectory, TrajectoryPoint


def _seconds(duration) -> float:
    return duration.sec + duration.nanosec * 1e-9


def trajectory_from_msg(msg: JointTrajectoryMsg, ros_now_s: float, monotonic_now_s: float,
                        joint_prefix: str = "") -> JointTrajectory:
    """Convert a message; ``joint_prefix`` is stripped from names that carry it."""
    stamp_s = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
    start_s = None if stamp_s == 0.0 else monotonic_now_s + (stamp_s - ros_now_s)
    names = tuple(n[len(joint_prefix):] if joint_prefix and n.startswith(joint_prefix) else n
                  for n in msg.joint_names)
    points = tuple(
        TrajectoryPoint(
            positions=tuple(p.positions),
            velocities=tuple(p.velocities) if len(p.velocities) else None,
            accelerations=tuple(p.accelerations) if len(p.accelerations) else None,
            time_from_start_s=_seconds(p.time_from_start),
        )
        for p in msg.points
    )
    return JointTrajectory(joint_names=names, points=points, start_time_s=start_s)
