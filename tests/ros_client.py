"""A test-side rclpy node that listens to and commands a robot_node running in another process."""

from __future__ import annotations

import threading
import time

import rclpy
from control_msgs.action import FollowJointTrajectory
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from lerobot_ros.nodes.spin_thread import spin_in_thread


class RobotClient:
    """Records joint_states (with receive times) and /diagnostics; publishes trajectories."""

    def __init__(self, name: str = "test_client", namespace: str = "", controller: str = "arm_controller"):
        self.node = rclpy.create_node(name, namespace=namespace)
        self.lock = threading.Lock()
        self.states: list[tuple[float, JointState]] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.node.create_subscription(JointState, "joint_states", self._on_state, 100)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)
        self.trajectory_pub = self.node.create_publisher(JointTrajectory, f"{controller}/joint_trajectory", 10)
        self.spinning = spin_in_thread(self.node)

    def _on_state(self, msg: JointState) -> None:
        with self.lock:
            self.states.append((time.monotonic(), msg))

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        with self.lock:
            self.diagnostics.append(msg)

    def latest(self) -> JointState | None:
        with self.lock:
            return self.states[-1][1] if self.states else None

    def positions(self) -> dict[str, float]:
        msg = self.latest()
        return dict(zip(msg.name, msg.position)) if msg else {}

    def wait_for_state(self, timeout: float = 20.0) -> JointState:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.latest()
            if msg is not None:
                return msg
            time.sleep(0.05)
        raise TimeoutError("no joint_states received")

    def rate_hz(self, window_s: float) -> tuple[float, list[float]]:
        """Messages per second over the next ``window_s`` seconds, and their receive periods."""
        with self.lock:
            start = len(self.states)
        time.sleep(window_s)
        with self.lock:
            stamps = [t for t, _ in self.states[start:]]
        periods = [b - a for a, b in zip(stamps, stamps[1:])]
        return (len(stamps) - 1) / (stamps[-1] - stamps[0]), periods

    def send(self, names: list[str], points: list[tuple[list[float], float]]) -> None:
        self.trajectory_pub.publish(trajectory_goal(names, points).trajectory)

    def close(self) -> None:
        assert self.spinning.stop(), "the test client's executor did not stop"
        self.node.destroy_node()


def trajectory_goal(names: list[str], points: list[tuple[list[float], float]]) -> FollowJointTrajectory.Goal:
    """A FollowJointTrajectory goal through (positions, time_from_start seconds) points."""
    goal = FollowJointTrajectory.Goal()
    goal.trajectory.joint_names = list(names)
    for positions, t in points:
        point = JointTrajectoryPoint()
        point.positions = [float(v) for v in positions]
        point.time_from_start.sec, point.time_from_start.nanosec = int(t), int((t % 1) * 1e9)
        goal.trajectory.points.append(point)
    return goal


class TrajectoryActionClient:
    """A FollowJointTrajectory client (what MoveIt's controller manager is): send a goal, wait for the result."""

    def __init__(self, action: str, name: str = "fjt_client"):
        self.node = rclpy.create_node(name)
        self.client = ActionClient(self.node, FollowJointTrajectory, action)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)

    def wait_for_server(self, timeout: float = 20.0) -> bool:
        return self.client.wait_for_server(timeout_sec=timeout)

    def run(self, goal: FollowJointTrajectory.Goal, timeout: float = 20.0):
        """The goal's result (status and result) and the feedback messages received meanwhile."""
        feedback = []
        send = self.client.send_goal_async(goal, feedback_callback=lambda msg: feedback.append(msg.feedback))
        self.executor.spin_until_future_complete(send, timeout_sec=timeout)
        handle = send.result()
        assert handle is not None and handle.accepted, "the goal was not accepted"
        result = handle.get_result_async()
        self.executor.spin_until_future_complete(result, timeout_sec=timeout)
        assert result.done(), "the goal never finished"
        return result.result(), feedback

    def close(self) -> None:
        self.client.destroy()
        self.node.destroy_node()
