"""The two people of the demo, as small ROS nodes: the annotator who narrates the demonstration on
the language topics while it is recorded, and the operator who gives the trained policy its task,
holds its heartbeat and watches what the arm and the policy do."""

from __future__ import annotations

import threading
import time

import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import Empty, String

from ..scenarios.demonstration import Cue

HEARTBEAT_PERIOD_S = 0.2
POLICY_TEXT_TOPICS = ("subtask", "plan", "memory", "say")


class Annotator(Node):
    """Publishes each cue of the scripted demonstration on its topic (the recorder's language topics)."""

    def __init__(self, topics: set[str]):
        super().__init__("demo_annotator")
        self._topic_publishers = {topic: self.create_publisher(String, topic, 10) for topic in sorted(topics)}
        self.sent = 0

    def say(self, cue: Cue) -> None:
        self._topic_publishers[cue.topic].publish(String(data=cue.text))
        self.sent += 1


class Operator(Node):
    """Sends the task, beats the heartbeat, and records the follower's joint_states and the policy's
    subtask/plan/memory/say messages (with their arrival times)."""

    def __init__(self, joint_names: list[str]):
        super().__init__("demo_operator")
        self.joint_names = joint_names
        self._lock = threading.Lock()
        self.states: list[tuple[float, np.ndarray]] = []
        self.texts: list[tuple[float, str, str]] = []
        self.task_pub = self.create_publisher(String, "task", 10)
        self.heartbeat_pub = self.create_publisher(Empty, "heartbeat", 10)
        self.create_subscription(JointState, "joint_states", self._on_state, 10)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)  # as policy_node publishes
        for topic in POLICY_TEXT_TOPICS:
            self.create_subscription(String, topic, lambda msg, t=topic: self._on_text(t, msg),
                                     latched if topic != "say" else 10)
        self.create_timer(HEARTBEAT_PERIOD_S, lambda: self.heartbeat_pub.publish(Empty()))

    def _on_state(self, msg: JointState) -> None:
        positions = dict(zip(msg.name, msg.position))
        if all(n in positions for n in self.joint_names):
            with self._lock:
                self.states.append((time.monotonic(), np.array([positions[n] for n in self.joint_names])))

    def _on_text(self, topic: str, msg: String) -> None:
        with self._lock:
            self.texts.append((time.monotonic(), topic, msg.data))

    def send_task(self, task: str) -> None:
        self.task_pub.publish(String(data=task))

    def states_since(self, t0: float) -> np.ndarray:
        """The follower's poses received at or after ``t0`` (rows in ``joint_names`` order)."""
        with self._lock:
            rows = [pose for t, pose in self.states if t >= t0]
        return np.array(rows).reshape(-1, len(self.joint_names))

    def texts_since(self, t0: float, topic: str) -> list[str]:
        with self._lock:
            return [text for t, kind, text in self.texts if t >= t0 and kind == topic]
