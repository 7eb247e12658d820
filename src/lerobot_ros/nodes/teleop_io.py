"""What gamepad_node and keyboard_node share: their robot-facing parameters, the joint_states they
jog from, and the messages a :class:`~lerobot_ros.teleop.output.TeleopOutput` becomes."""

from __future__ import annotations

import threading

from geometry_msgs.msg import Twist, TwistStamped
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..recording.message_values import MissingJoints, pick_joints
from ..robots.tables import robot_type
from ..teleop.base_drive import BaseDrive, BaseDriveConfig
from ..teleop.jog import JogConfig, JogController, arm_joints
from ..teleop.output import TeleopOutput


class TeleopIO:
    """Subscribes joint_states; publishes jog trajectories, cmd_vel and recording events."""

    def __init__(self, node: Node, p: dict, recording_events: bool = False):
        self.node = node
        self.period_s = 1.0 / p["rate_hz"]
        names, limits = arm_joints(p["robot_type"], p["joint_prefix"])
        self.jog = JogController(names, limits, JogConfig(p["max_joint_speed_rad_s"], p["max_step_rad"]))
        self.base = None
        if robot_type(p["robot_type"]).base is not None:
            self.base = BaseDrive(BaseDriveConfig(p["max_linear_speed_m_s"], p["max_angular_speed_rad_s"]))
        self._lock = threading.Lock()
        self._present: tuple[list[str], list[float]] | None = None  # the latest joint_states: names, positions
        node.create_subscription(JointState, "joint_states", self._on_joint_states, 10)
        self.trajectory_pub = node.create_publisher(JointTrajectory, f"{p['controller_name']}/joint_trajectory", 10)
        self._stamped = p["cmd_vel_type"] == "twist_stamped"
        self.cmd_vel_pub = (node.create_publisher(TwistStamped if self._stamped else Twist, "cmd_vel", 10)
                            if self.base is not None else None)
        self.events_pub = node.create_publisher(String, "recording/events", 10) if recording_events else None
        self._warned_missing = False

    def _on_joint_states(self, msg: JointState) -> None:
        with self._lock:
            self._present = (list(msg.name), list(msg.position))

    def present(self) -> dict[str, float] | None:
        """The jogged joints' latest joint_states positions, or None before the first one or when they
        lack a jogged joint."""
        with self._lock:
            present = self._present
        if present is None:
            return None
        joints = self.jog.joint_names
        try:
            return dict(zip(joints, pick_joints(joints, *present).tolist()))
        except MissingJoints as err:
            if not self._warned_missing:
                self.node.get_logger().error(f"joint_states: {err}: check robot_type and joint_prefix; jogging is off")
                self._warned_missing = True
            return None

    def publish(self, out: TeleopOutput) -> None:
        if out.jog is not None:
            msg = JointTrajectory()  # zero stamp: start on receipt, from the present command
            msg.joint_names = list(out.jog.joint_names)
            point = JointTrajectoryPoint(positions=list(out.jog.positions_rad))
            nanoseconds = int(self.period_s * 1e9)
            point.time_from_start.sec, point.time_from_start.nanosec = divmod(nanoseconds, 1_000_000_000)
            msg.points = [point]
            self.trajectory_pub.publish(msg)
        if out.base is not None and self.cmd_vel_pub is not None:
            twist = Twist()
            twist.linear.x, twist.linear.y, twist.angular.z = out.base
            if self._stamped:
                stamped = TwistStamped(twist=twist)
                stamped.header.stamp = self.node.get_clock().now().to_msg()
                self.cmd_vel_pub.publish(stamped)
            else:
                self.cmd_vel_pub.publish(twist)
        if self.events_pub is not None:
            for event in out.events:
                self.events_pub.publish(String(data=event))
                self.node.get_logger().info(f"recording event: {event}")

    def release(self) -> None:
        """Stop whatever is moving (shutdown): freeze a jog at the present pose, a zero cmd_vel."""
        zeros = [0.0] * len(self.jog.joint_names)
        jog = self.jog.update(self.present(), zeros, False, 0.0)
        base = self.base.update((0.0, 0.0, 0.0), False) if self.base is not None else None
        self.publish(TeleopOutput(jog=jog, base=base))
