"""The ``<controller>/follow_joint_trajectory`` action (control_msgs), as joint_trajectory_controller serves it.

One goal is active at a time: a new goal or a ``joint_trajectory`` message preempts it (aborted,
with the reason in ``error_string``). Invalid goals are aborted at once with the matching
``error_code`` and a reason naming the joint. While executing, feedback carries desired, actual
and error; path tolerances abort (and the arm holds), goal tolerances decide success after the
last point, within ``goal_time_tolerance``. Those outcomes are decided in robots/goal_monitor.py; this
file turns them into rclpy goal handle calls, feedback and results.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from control_msgs.action import FollowJointTrajectory
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from trajectory_msgs.msg import JointTrajectoryPoint

from ..motors.errors import BusError
from ..robots.driver import Driver, Tracking
from ..robots.goal_monitor import GoalMonitor, GoalVerdict, interrupted, rejected
from ..robots.trajectory import ErrorCode, JointSample, JointTolerance, Tolerances, TrajectoryRejected
from .trajectory_conversion import trajectory_from_msg

Result = FollowJointTrajectory.Result


def _seconds(duration) -> float:
    return duration.sec + duration.nanosec * 1e-9


def _point(sample: JointSample) -> JointTrajectoryPoint:
    point = JointTrajectoryPoint()
    point.positions = [float(v) for v in sample.positions]
    if sample.velocities is not None:
        point.velocities = [float(v) for v in sample.velocities]
    return point


class FollowJointTrajectoryServer:
    def __init__(self, node: Node, action_name: str, driver: Driver, joint_names: Sequence[str],
                 now: Callable[[], float], tolerances: Tolerances, joint_prefix: str = "",
                 feedback_rate_hz: float = 50.0):
        self._node = node
        self._driver = driver
        self._joint_names = list(joint_names)
        self._now = now
        self.defaults = tolerances  # robot_node's tolerance parameters; a new value applies from the next goal
        self._prefix = joint_prefix
        self._period_s = 1.0 / feedback_rate_hz
        self._lock = threading.Lock()
        self._active = None  # the executing goal handle
        self._preempted: dict[int, str] = {}  # id(goal handle) -> reason
        self._server = ActionServer(node, FollowJointTrajectory, action_name, execute_callback=self._execute,
                                    goal_callback=lambda _: GoalResponse.ACCEPT,
                                    cancel_callback=lambda _: CancelResponse.ACCEPT,
                                    callback_group=ReentrantCallbackGroup())

    def preempt(self, reason: str) -> None:
        """Abort the executing goal (a newer command took over the arm)."""
        with self._lock:
            if self._active is not None:
                self._preempted[id(self._active)] = reason

    def _strip(self, name: str) -> str:
        return name[len(self._prefix):] if self._prefix and name.startswith(self._prefix) else name

    def _tolerances(self, goal) -> Tolerances:
        def convert(tolerances):
            return [JointTolerance(self._strip(t.name), t.position, t.velocity) for t in tolerances]
        return self.defaults.for_goal(convert(goal.path_tolerance), convert(goal.goal_tolerance),
                                       _seconds(goal.goal_time_tolerance))

    def _finish(self, goal_handle, verdict: GoalVerdict) -> Result:
        if verdict.hold:
            self._driver.hold_present()
        getattr(goal_handle, verdict.finish.value)()
        with self._lock:
            if self._active is goal_handle:
                self._active = None
            self._preempted.pop(id(goal_handle), None)
        # rclpy pins one severity per call site, hence two calls.
        if verdict.error_code == ErrorCode.SUCCESSFUL:
            self._node.get_logger().info(f"follow_joint_trajectory: {verdict.reason}")
        else:
            self._node.get_logger().warning(f"follow_joint_trajectory: {verdict.reason}")
        return Result(error_code=int(verdict.error_code), error_string=verdict.reason)

    def _publish_feedback(self, goal_handle, tracking: Tracking) -> None:
        feedback = FollowJointTrajectory.Feedback()
        feedback.header.stamp = self._node.get_clock().now().to_msg()
        feedback.joint_names = self._joint_names
        feedback.desired, feedback.actual = _point(tracking.desired), _point(tracking.actual)
        feedback.error = _point(JointSample(tracking.desired.positions - tracking.actual.positions, None))
        goal_handle.publish_feedback(feedback)

    def _execute(self, goal_handle) -> Result:
        goal = goal_handle.request
        now = self._now()
        try:
            trajectory = trajectory_from_msg(goal.trajectory, self._node.get_clock().now().nanoseconds * 1e-9,
                                             now, self._prefix)
            monitor = GoalMonitor(self._tolerances(goal))
            self.preempt("preempted by a new goal")
            self._driver.set_trajectory(trajectory, now)
        except (TrajectoryRejected, BusError) as err:
            return self._finish(goal_handle, rejected(err))
        with self._lock:
            self._active = goal_handle

        while True:
            time.sleep(self._period_s)
            with self._lock:
                preempted = self._preempted.get(id(goal_handle))
            verdict = interrupted(preempted, goal_handle.is_cancel_requested)
            if verdict is not None:
                return self._finish(goal_handle, verdict)
            tracking = self._driver.tracking()
            if tracking is None:
                continue
            if not tracking.faulted:
                self._publish_feedback(goal_handle, tracking)
            verdict = monitor.step(tracking, self._now(), self._driver.status.last_error)
            if verdict is not None:
                return self._finish(goal_handle, verdict)
