"""camera_node in its own process, sim source at 640x480@30: every frame reaches a best-effort
subscriber in another process (through the loopback profile's large shared-memory segment), the
messages are well formed, and the drawn pose follows joint_states."""

from __future__ import annotations

import signal
import time

import cv2
import numpy as np
import pytest

from lerobot_ros.cameras import Pinhole
from lerobot_ros.sim.camera import ArmRenderer, SimCameraConfig
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

rclpy = pytest.importorskip("rclpy")
from rclpy.qos import qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, JointState  # noqa: E402

W, H, FPS = 640, 480, 30.0
JOINT_STATES = "camera_test/joint_states"  # not plain joint_states: no other test's arm may move ours
POSE = {"shoulder_pan": 0.4, "shoulder_lift": 0.7, "elbow_flex": 1.0, "wrist_flex": 0.4, "wrist_roll": 0.3,
        "gripper": 0.9}


class Recorder:
    """A test-side node: counts images as they arrive and keeps the latest of each topic."""

    def __init__(self, context):
        self.node = rclpy.create_node("camera_test_subscriber", context=context)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.arrivals: list[tuple[float, float]] = []  # (receive time.monotonic(), header stamp s)
        self.image: Image | None = None
        self.compressed: CompressedImage | None = None
        self.info: CameraInfo | None = None
        self.node.create_subscription(Image, "cam/image_raw", self._on_image, qos_profile_sensor_data)
        self.node.create_subscription(CompressedImage, "cam/image_raw/compressed",
                                      lambda m: setattr(self, "compressed", m), qos_profile_sensor_data)
        self.node.create_subscription(CameraInfo, "cam/camera_info", lambda m: setattr(self, "info", m),
                                      qos_profile_sensor_data)
        self.joints = self.node.create_publisher(JointState, JOINT_STATES, 10)

    def _on_image(self, msg: Image) -> None:
        self.arrivals.append((time.monotonic(), msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9))
        self.image = msg

    def spin(self, seconds: float = 0.01) -> None:
        self.executor.spin_once(timeout_sec=seconds)

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.spin()

    def latest_pixels(self) -> np.ndarray:
        return np.frombuffer(self.image.data, np.uint8).reshape(self.image.height, self.image.width, 3)


def assert_clean_exit(node: NodeProcess, sig: int) -> None:
    code = node.stop(sig)
    log = node.log_path.read_text(errors="replace")
    assert code == 0 and "Traceback" not in log, f"exit code {code} after {signal.Signals(sig).name}:\n{log}"


@pytest.fixture
def camera_node(tmp_path):
    node = NodeProcess("lerobot_ros.nodes.camera_node", "sim_camera",
                       {"name": "cam", "source": "sim", "width": W, "height": H, "fps": FPS,
                        "joint_states_topic": JOINT_STATES}, tmp_path)
    yield node
    if node.alive():
        node.stop(signal.SIGKILL)


@pytest.fixture
def recorder():
    context = rclpy.context.Context()
    rclpy.init(context=context)
    rec = Recorder(context)
    yield rec
    rec.executor.shutdown()
    rec.node.destroy_node()
    rclpy.shutdown(context=context)


def test_sim_camera_node_publishes_every_frame(camera_node, recorder):
    assert wait_for(lambda: recorder.image is not None, 30, spin=recorder.spin), camera_node.log()
    recorder.spin_for(1.0)  # warm-up: discovery of all three topics settles

    start = time.monotonic()
    recorder.spin_for(3.0)
    window = [(t, s) for t, s in recorder.arrivals if t >= start]
    rate = len(window) / 3.0
    print(f"image_raw delivery: {rate:.1f} images/s at {W}x{H}")
    assert rate >= 29.0, f"{rate:.1f} images/s\n{camera_node.log()}"
    stamps = [s for _, s in recorder.arrivals]
    assert all(b > a for a, b in zip(stamps, stamps[1:])), "stamps must increase: no frame published twice"
    assert abs(stamps[-1] - time.time()) < 1.0

    image = recorder.image
    assert (image.encoding, image.width, image.height, image.step) == ("rgb8", W, H, 3 * W)
    assert len(image.data) == W * H * 3 and image.header.frame_id == "cam_optical_frame"

    assert recorder.compressed is not None and recorder.compressed.format == "jpeg"
    decoded = cv2.imdecode(np.frombuffer(recorder.compressed.data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (H, W, 3)

    info = recorder.info
    assert info is not None and (info.width, info.height) == (W, H)
    assert info.header.frame_id == "cam_optical_frame"
    np.testing.assert_allclose(info.k, Pinhole.from_hfov(W, H).k)

    assert_clean_exit(camera_node, signal.SIGINT)


def test_sim_camera_node_draws_the_joint_states_pose(camera_node, recorder):
    assert wait_for(lambda: recorder.image is not None, 30, spin=recorder.spin), camera_node.log()
    before = recorder.latest_pixels().copy()
    expected = ArmRenderer(SimCameraConfig(width=W, height=H)).render(POSE)
    assert not np.array_equal(before, expected)

    msg = JointState(name=list(POSE), position=list(POSE.values()))

    def drawn() -> bool:
        recorder.joints.publish(msg)
        return np.array_equal(recorder.latest_pixels(), expected)

    assert wait_for(drawn, 10, spin=recorder.spin), "the published pose never appeared in image_raw"
    assert_clean_exit(camera_node, signal.SIGTERM)


def test_opencv_source_plays_a_video_file_rotated(tmp_path, recorder):
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for k in range(5):
        writer.write(np.full((120, 160, 3), 40 * k, np.uint8))
    writer.release()
    node = NodeProcess("lerobot_ros.nodes.camera_node", "file_camera",
                       {"name": "cam", "source": "opencv", "index_or_path": str(clip), "width": 120, "height": 160,
                        "rotation": 90, "fps": 30.0, "warmup_s": 0.0}, tmp_path)
    try:
        assert wait_for(lambda: recorder.image is not None and recorder.info is not None, 30, spin=recorder.spin), \
            node.log()
        assert (recorder.image.width, recorder.image.height) == (120, 160)
        assert (recorder.info.width, recorder.info.height) == (120, 160)
    finally:
        assert_clean_exit(node, signal.SIGINT)


def test_a_camera_that_cannot_open_exits_with_the_reason(tmp_path):
    node = NodeProcess("lerobot_ros.nodes.camera_node", "bad_camera",
                       {"source": "opencv", "index_or_path": str(tmp_path / "missing.avi")}, tmp_path)
    assert node.proc.wait(30) == 1
    log = node.log()
    node.stop()
    assert "no such device or file" in log and "Traceback" not in log


def test_a_camera_lost_while_publishing_ends_the_node_with_exit_1(tmp_path, recorder):
    """The clip emptied under the running node stands in for an unplugged camera: the capture fails,
    the node says why and exits 1 (a launch file's on_exit or respawn then sees it)."""
    clip = tmp_path / "clip.avi"  # noise, so the clip is far larger than the reader's buffer
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(90):
        writer.write(rng.integers(0, 256, (120, 160, 3), np.uint8))
    writer.release()
    node = NodeProcess("lerobot_ros.nodes.camera_node", "lost_camera",
                       {"name": "cam", "source": "opencv", "index_or_path": str(clip), "width": 160, "height": 120,
                        "fps": 30.0, "warmup_s": 0.0}, tmp_path)
    try:
        assert wait_for(lambda: recorder.image is not None, 30, spin=recorder.spin), node.log()
        clip.write_bytes(b"")
        assert node.proc.wait(30) == 1, node.log()
        log = node.log()
        assert "reading a frame failed" in log and "Traceback" not in log, log
    finally:
        node.stop()
