"""robot_node: one robot type on one servo bus, as a ROS 2 citizen.

Publishes ``joint_states`` (radians) and ``/diagnostics``; follows ``<controller>/joint_trajectory``
and serves ``<controller>/follow_joint_trajectory`` (joint_trajectory_controller semantics) where
control_msgs is importable; LeKiwi also takes ``cmd_vel`` and publishes ``odom``. The control loop,
safety and fault handling live in :mod:`lerobot_ros.robots.driver`; this file only wires ROS to it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory as JointTrajectoryMsg

from ..motors.bus import decode_bits
from ..motors.errors import BusError
from ..robots.driver import Driver, DriverConfig
from ..robots.health import bus_health, motor_health
from .fixed_rate_loop import FixedRateLoop
from ..robots.robot import UnsafeCommandError
from ..robots.setup import RobotSetup, RobotSetupError
from ..robots.trajectory import NO_CHECK, Tolerances, TrajectoryRejected
from ..sim.worlds import attach_physics_world
from .diagnostics import diagnostic_status
from .log_bridge import bridge_core_logging
from .loop_subscription import LoopSubscription, SubscriptionArrivals
from .parameters import apply_when_set, declare
from .runner import run_node
from .trajectory_conversion import trajectory_from_msg
from ..node_params.robot_node import PARAMS

try:  # control_msgs is a ROS install's package (or built by scripts/build_control_msgs.sh)
    from .follow_joint_trajectory import FollowJointTrajectoryServer
except ImportError:  # pragma: no cover - depends on the installation
    FollowJointTrajectoryServer = None


class RobotNode(Node):
    def __init__(self, **kwargs):
        super().__init__("robot_node", **kwargs)
        bridge_core_logging(self)
        self.p = declare(self, PARAMS)
        self.setup = RobotSetup.from_parameters(self.p, attach_world=attach_physics_world)
        self.driver = Driver(self.setup.robot, DriverConfig(command_timeout_s=self.p["command_timeout_s"]))
        prefix = self.p["joint_prefix"]
        self.joint_names = [prefix + n for n in self.setup.robot.joint_names]
        self.wheel_names = [prefix + n for n in self.setup.robot.rtype.base.wheels] if self.driver.base else []

        reading = self.driver.start(self._now())  # raises with torque off if the arm cannot be read
        self.get_logger().info(
            f"{self.p['robot_type']} on {self.setup.port_description} ({self.setup.calibration_source}): "
            f"{len(self.joint_names)} joints at "
            f"{', '.join(f'{n}={v:+.3f}' for n, v in zip(self.joint_names, reading.positions_rad))} rad")

        self.joint_states_pub = self.create_publisher(JointState, "joint_states", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        controller = self.p["controller_name"]
        # Commands are read by the control loop, not by the executor (loop_subscription.py says why: a
        # 100 Hz stream through rclpy's executors took joint_states from 100 to 38-52 Hz): at its tick,
        # and when one arrives between ticks (then written at once, _on_arrival).
        # Depth 1: a newer trajectory replaces an older one anyway.
        self.trajectories = LoopSubscription(self, JointTrajectoryMsg, f"{controller}/joint_trajectory",
                                             QoSProfile(depth=1))
        self.diagnostics_timer = self.create_timer(1.0 / self.p["diagnostics_rate_hz"], self._publish_diagnostics,
                                                   callback_group=MutuallyExclusiveCallbackGroup())
        self.action_server = None
        if FollowJointTrajectoryServer is not None:
            self.action_server = FollowJointTrajectoryServer(self, f"{controller}/follow_joint_trajectory",
                                                             self.driver, self.joint_names, self._now,
                                                             self._default_tolerances(), prefix)
        else:
            self.get_logger().warning("control_msgs is not importable: no follow_joint_trajectory action "
                                      "(install ros-$ROS_DISTRO-control-msgs)")
        if self.driver.base is not None:
            self.odom_pub = self.create_publisher(Odometry, "odom", 10)
            twist_type = TwistStamped if self.p["cmd_vel_type"] == "twist_stamped" else Twist
            self.base_commands = LoopSubscription(self, twist_type, "cmd_vel", 10)
        commands = [self.trajectories] + ([self.base_commands] if self.driver.base is not None else [])
        self.loop = FixedRateLoop(1.0 / self.p["publish_rate_hz"], self._tick,
                                  arrivals=SubscriptionArrivals(self, commands, self._on_arrival))
        self.finished = threading.Event()  # robot_node only stops on a signal
        apply_when_set(self, PARAMS, self.p, self._apply_parameters)

    def start(self) -> None:
        self.loop.start()

    def _default_tolerances(self) -> Tolerances:
        return Tolerances.uniform(self.setup.robot.joint_names,
                                  path_position=self.p["path_position_tolerance_rad"] or NO_CHECK,
                                  goal_position=self.p["goal_position_tolerance_rad"] or NO_CHECK,
                                  goal_time_s=self.p["goal_time_tolerance_s"])

    def _apply_parameters(self, changed: dict) -> None:
        """A settable parameter (node_params/robot_node.py, read_only=False) set while running."""
        if "command_timeout_s" in changed:  # from the next tick
            self.driver.config = replace(self.driver.config, command_timeout_s=changed["command_timeout_s"])
        if "diagnostics_rate_hz" in changed:
            self.diagnostics_timer.timer_period_ns = round(1e9 / changed["diagnostics_rate_hz"])
        if self.action_server is not None and any(name.endswith("_tolerance_rad") or name == "goal_time_tolerance_s"
                                                  for name in changed):
            self.action_server.defaults = self._default_tolerances()  # from the next goal

    def _now(self) -> float:
        return time.monotonic()

    # -- callbacks --------------------------------------------------------------------------------

    def _on_trajectory(self, msg: JointTrajectoryMsg, received_s: float) -> bool:
        """A trajectory message (``received_s``: when it arrived, on the monotonic clock); True if accepted."""
        try:
            trajectory = trajectory_from_msg(msg, self.get_clock().now().nanoseconds * 1e-9, self._now(),
                                             self.p["joint_prefix"])
            self.driver.set_trajectory(trajectory, received_s)
        except (TrajectoryRejected, UnsafeCommandError, BusError) as err:
            self.get_logger().error(f"{self.p['controller_name']}/joint_trajectory rejected: {err}")
            return False
        if self.action_server is not None:
            self.action_server.preempt("preempted by a joint_trajectory message")
        return True

    def _on_cmd_vel(self, msg) -> bool:
        """A cmd_vel message; True if accepted."""
        twist = msg.twist if isinstance(msg, TwistStamped) else msg
        try:
            self.driver.set_base_velocity(twist.linear.x, twist.linear.y, twist.angular.z, self._now())
        except ValueError as err:
            self.get_logger().error(f"cmd_vel rejected: {err}")
            return False
        return True

    def _received_at(self, received_wall_s: float | None, now_s: float) -> float:
        """A message's arrival on the monotonic clock: its age on the wall clock back from ``now_s``,
        at most one period (it is taken on arrival, or at the first tick after it arrived)."""
        if received_wall_s is None:
            return now_s
        return now_s - min(max(0.0, time.time() - received_wall_s), self.loop.period_s)

    def _take_commands(self, now_s: float) -> tuple[bool, bool]:
        """Apply the newest trajectory and cmd_vel waiting, if any: whether each was taken and accepted."""
        arm = base = False
        if (taken := self.trajectories.take_latest()) is not None:
            msg, received_wall_s = taken
            arm = self._on_trajectory(msg, self._received_at(received_wall_s, now_s))
        if self.driver.base is not None and (taken := self.base_commands.take_latest()) is not None:
            base = self._on_cmd_vel(taken[0])
        return arm, base

    def _on_arrival(self, now_s: float) -> None:
        """A command arrived between two ticks (loop thread): apply it and write it to the servos now,
        not up to a period later at the tick (the leader -> follower latency, issue 20). The tick
        still reads, publishes and writes on its own schedule."""
        arm, base = self._take_commands(now_s)
        if arm or base:
            self.driver.write_now(now_s, arm=arm, base=base)

    def _tick(self, now_s: float) -> None:
        # Stamped when the tick starts, before the bus read: the time the positions were sampled (the
        # driver's velocities use the same instant), as ros2_control stamps a cycle's state. Stamping
        # after the read and the goal write made the stamps jitter with the bus traffic.
        stamp = self.get_clock().now().to_msg()
        self._take_commands(now_s)
        tick = self.driver.step(now_s)
        if tick.reading is None:
            return
        msg = JointState()
        msg.header.stamp = stamp
        msg.name = self.joint_names + self.wheel_names
        msg.position = tick.reading.positions_rad.tolist() + [0.0] * len(self.wheel_names)
        velocities = tick.velocities_rad_s.tolist()
        if self.wheel_names:
            wheels = tick.wheel_velocities_rad_s
            velocities += wheels.tolist() if wheels is not None else [math.nan] * len(self.wheel_names)
        msg.velocity = velocities
        self.joint_states_pub.publish(msg)
        if self.driver.base is not None:
            self._publish_odometry(msg.header.stamp)

    def _publish_odometry(self, stamp) -> None:
        odom = self.driver.odometry
        msg = Odometry()
        msg.header.stamp = stamp
        msg.header.frame_id = self.p["odom_frame"]
        msg.child_frame_id = self.p["base_frame"]
        msg.pose.pose.position.x, msg.pose.pose.position.y = odom.x_m, odom.y_m
        msg.pose.pose.orientation.z = math.sin(odom.yaw_rad / 2)
        msg.pose.pose.orientation.w = math.cos(odom.yaw_rad / 2)
        vx, vy, wz = odom.body_velocity
        msg.twist.twist.linear.x, msg.twist.twist.linear.y, msg.twist.twist.angular.z = vx, vy, wz
        self.odom_pub.publish(msg)

    def _publish_diagnostics(self) -> None:
        health = self.driver.refresh_health()
        status = self.driver.status
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        counters = {
            "read_failures": status.read_failures, "write_failures": status.write_failures,
            "stale_holds": status.stale_holds, "clamped_commands": status.clamped_commands,
            "loop_overruns": self.loop.overruns, "commands_on_arrival": self.loop.arrivals_handled,
        }
        for name, d in self.setup.robot.bus.diagnostics().items():
            counters[f"{name}.timeouts"] = d.timeouts
            counters[f"{name}.corrupt_packets"] = d.corrupt_packets
            counters[f"{name}.status_errors"] = d.status_errors
        array.status.append(diagnostic_status(f"{self.get_name()}: bus", self.setup.port_description,
                                              bus_health(status), counters))
        bus_diagnostics = self.setup.robot.bus.diagnostics()
        for name, h in health.items():
            # Alarms come both from the error register and from the error byte of the servo's latest reply.
            errors = sorted(set(decode_bits(h.error_bits, self.setup.robot.bus.hardware_error_bits))
                            | set(bus_diagnostics[name].last_status))
            array.status.append(diagnostic_status(
                f"{self.get_name()}: {name}", self.setup.port_description, motor_health(errors),
                {"temperature_c": f"{h.temperature_c:.0f}", "voltage_v": f"{h.voltage_v:.1f}",
                 "error_bits": h.error_bits}))
        self.diagnostics_pub.publish(array)

    def shutdown(self) -> None:
        self.loop.stop()
        torque_off = self.p["torque_off_on_shutdown"]
        self.driver.shutdown(torque_off=torque_off)
        self.setup.close()
        self.get_logger().info(f"stopped; torque {'off' if torque_off else 'left on'}")


def main(args=None) -> None:
    run_node(RobotNode, "robot_node", (RobotSetupError, BusError, ValueError), args,
             # The action server's execute callback blocks its thread for the goal's length; diagnostics and
             # new goals (preemption) need others. Commands do not go through the executor (_tick reads them).
             make_executor=lambda: MultiThreadedExecutor(num_threads=3))


if __name__ == "__main__":
    main()
