"""The demo's people beside the evaluation bench's operator, as small ROS nodes: the annotator who
adds a question and an interjection to the expert's narration while it is recorded, and the
listener who notes what the trained policy says while it is evaluated."""

from __future__ import annotations

import threading
import time

from rclpy.node import Node
from std_msgs.msg import String

from ..scenarios.pick_place_expert import Cue

POLICY_TEXT_TOPICS = ("subtask", "plan", "memory", "say")


class Annotator(Node):
    """Publishes cues on their topics (the recorder's language topics)."""

    def __init__(self, topics: set[str]):
        super().__init__("demo_annotator")
        self._topic_publishers = {topic: self.create_publisher(String, topic, 10) for topic in sorted(topics)}
        self.sent = 0

    def say(self, cue: Cue) -> None:
        self._topic_publishers[cue.topic].publish(String(data=cue.text))
        self.sent += 1


class PolicyListener(Node):
    """Records the policy's subtask/plan/memory/say messages with their arrival times."""

    def __init__(self):
        super().__init__("demo_policy_listener")
        self._lock = threading.Lock()
        self.texts: list[tuple[float, str, str]] = []
        # Volatile: it listens from before the task, and it also matches the bench operator's own
        # (volatile) language publishers, where a latched subscription would be refused.
        for topic in POLICY_TEXT_TOPICS:
            self.create_subscription(String, topic, lambda msg, t=topic: self._on_text(t, msg), 10)

    def _on_text(self, topic: str, msg: String) -> None:
        with self._lock:
            self.texts.append((time.monotonic(), topic, msg.data))

    def texts_on(self, topic: str) -> list[str]:
        with self._lock:
            return [text for _, kind, text in self.texts if kind == topic]
