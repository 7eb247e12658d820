"""The test side of recorder_node tests: publishers that feed it and a client for its services.

The feed publishes from the test process over real DDS: joint_states and an action trajectory whose
values carry a sequence number (so a frame's values are recognizable), a small rgb8 image, a
Float64 force, and, on request, language strings and recording events.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import frame_barcode
import numpy as np
import rclpy
import yaml
from lerobot_ros_interfaces.msg import RecorderStatus
from lerobot_ros_interfaces.srv import StartEpisode
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from lerobot_ros.nodes.spin_thread import spin_in_thread

FPS = 10
HEIGHT, WIDTH = 24, 32
CAMERA = "observation.images.front"
CONFIG = {
    "fps": FPS,
    "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": ["b", "a"]},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory",
         "joints": ["a", "b"]},
        {"key": CAMERA, "topic": "front/image_raw", "type": "image", "height": HEIGHT, "width": WIDTH},
        {"key": "observation.force", "topic": "gripper/force", "type": "float_array", "size": 1},
    ],
    "language": {"vqa": [{"camera": CAMERA, "query": "vqa/front/query", "answer": "vqa/front/answer"}]},
}
# The 25 Hz feed is fresh within 40 ms; 0.5 s tolerates a busy machine's scheduling stalls, which would
# otherwise truncate episodes (a stale tick ends an episode's contiguous part).
for _feature in CONFIG["features"]:
    _feature["max_age_s"] = 0.5


def image(seq: int) -> np.ndarray:
    """A smooth image that changes with ``seq`` (easy on the codec), with ``seq`` (mod 65536) in a
    barcode band at the top (tests/frame_barcode.py): a decoded frame says which message it was."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    gradient = np.stack([(x * 6 + seq * 3) % 256, (y * 8 + seq) % 256, np.full_like(x, (seq * 5) % 200)],
                        -1).astype(np.uint8)
    return frame_barcode.stamp(gradient, seq % frame_barcode.capacity(HEIGHT, WIDTH))


def image_seqs(frames: np.ndarray, near: np.ndarray) -> np.ndarray:
    """The feed's sequence number of each decoded frame, from its barcode (mod 65536), unwrapped to the
    number nearest ``near`` (e.g. the frame's state sequence numbers)."""
    capacity = frame_barcode.capacity(HEIGHT, WIDTH)
    read = np.array(frame_barcode.read_all(frames))
    return read + np.round((np.asarray(near) - read) / capacity).astype(int) * capacity


def recorder_params(tmp_path: Path, root: Path, **overrides) -> dict:
    config = tmp_path / "recording.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    return {"config": str(config), "root": str(root), "robot_type": "so_follower", "codec": "libx264",
            "sample_delay_s": 0.05, "status_period_s": 0.2, **overrides}


class RecorderFeed:
    """Publishes every feature at ``rate_hz`` (state = [-seq, seq] for joints [b, a], action = [seq, 2 seq],
    image = image(seq), force = seq) and calls recorder_node's services."""

    def __init__(self, rate_hz: float = 25.0, recorder: str = "recorder_node", publish: bool = True):
        """``publish=False``: only the service clients and the status (real nodes publish the data)."""
        self.node = rclpy.create_node("recorder_feed")
        n = self.node
        self.state_pub = n.create_publisher(JointState, "joint_states", 10)
        self.action_pub = n.create_publisher(JointTrajectory, "arm_controller/joint_trajectory", 10)
        self.image_pub = n.create_publisher(Image, "front/image_raw", qos_profile_sensor_data)
        self.force_pub = n.create_publisher(Float64, "gripper/force", 10)
        self.string_pubs: dict[str, object] = {}
        self.statuses: list[RecorderStatus] = []
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        n.create_subscription(RecorderStatus, f"{recorder}/status", self.statuses.append, latched)
        self.clients = {name: n.create_client(Trigger, f"{recorder}/{name}")
                        for name in ("stop_episode", "discard_episode", "finalize")}
        self.start_client = n.create_client(StartEpisode, f"{recorder}/start_episode")
        self.seq = 0
        self.period_s = 1.0 / rate_hz
        self._stop = threading.Event()
        self.spinning = spin_in_thread(n)
        self._publisher = threading.Thread(target=self._publish_loop, daemon=True)
        if publish:
            self._publisher.start()

    def _publish_loop(self) -> None:
        deadline = time.monotonic()
        while not self._stop.is_set():
            self.seq += 1
            seq = self.seq
            state = JointState(name=["b", "a"], position=[-float(seq), float(seq)])
            state.header.stamp = self.node.get_clock().now().to_msg()
            self.state_pub.publish(state)
            action = JointTrajectory(joint_names=["a", "b"],
                                     points=[JointTrajectoryPoint(positions=[float(seq), 2.0 * seq])])
            self.action_pub.publish(action)
            msg = Image(height=HEIGHT, width=WIDTH, encoding="rgb8", step=WIDTH * 3)
            msg.data = image(seq).tobytes()
            self.image_pub.publish(msg)
            self.force_pub.publish(Float64(data=float(seq)))
            deadline += self.period_s
            self._stop.wait(max(0.0, deadline - time.monotonic()))

    def prepare(self, topic: str) -> None:
        """Create the String publisher for ``topic`` ahead of time (matching takes a moment)."""
        if topic not in self.string_pubs:
            self.string_pubs[topic] = self.node.create_publisher(String, topic, 10)
            time.sleep(0.5)  # let the recorder's subscription match before the first message

    def say(self, topic: str, text: str) -> None:
        self.prepare(topic)
        self.string_pubs[topic].publish(String(data=text))

    def call(self, name: str, task: str | None = None, timeout_s: float = 60.0):
        client = self.start_client if name == "start_episode" else self.clients[name]
        assert client.wait_for_service(timeout_sec=30.0), f"recorder_node offers no {name} service"
        request = StartEpisode.Request(task=task) if name == "start_episode" else Trigger.Request()
        future = client.call_async(request)
        deadline = time.monotonic() + timeout_s
        while not future.done():
            assert time.monotonic() < deadline, f"{name} did not answer in {timeout_s} s"
            time.sleep(0.01)
        return future.result()

    def call_async(self, name: str):
        client = self.clients[name]
        assert client.wait_for_service(timeout_sec=30.0)
        return client.call_async(Trigger.Request())

    def status(self) -> RecorderStatus | None:
        return self.statuses[-1] if self.statuses else None

    def close(self) -> None:
        self._stop.set()
        if self._publisher.is_alive():
            self._publisher.join(2.0)
        assert self.spinning.stop(), "the feed's executor did not stop"
        self.node.destroy_node()
