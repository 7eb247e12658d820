"""A test-side rclpy node that records what teleop nodes and robot_node publish."""

from __future__ import annotations

import threading
import time

import rclpy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import JointState, Joy
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.nodes.spin_thread import spin_in_thread


class TeleopListener:
    """Records (receive time, message) per topic; ``extra_nodes`` spin on the same executor."""

    TOPICS = {"joint_states": JointState, "odom": Odometry, "cmd_vel": Twist, "recording/events": String,
              "joy": Joy, "arm_controller/joint_trajectory": JointTrajectory}

    def __init__(self, name: str, extra_nodes=()):
        self.node = rclpy.create_node(name)
        self.lock = threading.Lock()
        self.messages: dict[str, list] = {topic: [] for topic in self.TOPICS}
        for topic, msg_type in self.TOPICS.items():
            self.node.create_subscription(msg_type, topic, lambda msg, t=topic: self._record(t, msg), 100)
        self.spinning = spin_in_thread(self.node, *extra_nodes)

    def _record(self, topic: str, msg) -> None:
        with self.lock:
            self.messages[topic].append((time.monotonic(), msg))

    def all(self, topic: str) -> list:
        with self.lock:
            return [msg for _, msg in self.messages[topic]]

    def since(self, topic: str, t: float) -> list:
        with self.lock:
            return [msg for stamp, msg in self.messages[topic] if stamp >= t]

    def latest(self, topic: str):
        with self.lock:
            return self.messages[topic][-1][1] if self.messages[topic] else None

    def position(self, joint: str) -> float:
        msg = self.latest("joint_states")
        return dict(zip(msg.name, msg.position))[joint]

    def close(self) -> None:
        assert self.spinning.stop(), "the listener's executor did not stop"
        self.node.destroy_node()
