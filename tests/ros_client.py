"""A test-side rclpy node that listens to and commands a robot_node running in another process."""

from __future__ import annotations

import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint


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
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except ExternalShutdownException:  # rclpy.shutdown() while spinning: the test is over
            pass

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
        msg = JointTrajectory()
        msg.joint_names = names
        for positions, t in points:
            p = JointTrajectoryPoint()
            p.positions = [float(v) for v in positions]
            p.time_from_start.sec = int(t)
            p.time_from_start.nanosec = int((t - int(t)) * 1e9)
            msg.points.append(p)
        self.trajectory_pub.publish(msg)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
