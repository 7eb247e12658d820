"""camera_node: publishes one camera (an OpenCV device or video file, or the simulated arm view).

Topics (relative, so a namespace applies), all with sensor-data QoS (best effort, keep last 5):

* ``<name>/image_raw`` (sensor_msgs/Image, rgb8, stamped with the capture time),
* ``<name>/image_raw/compressed`` (sensor_msgs/CompressedImage, jpeg; encoded only while
  someone subscribes, since JPEG costs more CPU than the rest of the node together),
* ``<name>/camera_info`` (sensor_msgs/CameraInfo: assumed pinhole intrinsics, see
  :mod:`lerobot_ros.cameras.intrinsics`).

A publisher thread waits on the camera's capture thread and publishes each frame exactly once,
so the rate is the camera's, not a timer's beating against it. The sim source subscribes to
``joint_states`` and draws the arm at its latest pose; the mujoco source renders camera ``name`` of
the physics world that a robot_node in the same process runs (``port:=sim://...?world=<world>``).

640x480 rgb8 images are 921 KB: with best-effort QoS they arrive only through a Fast DDS profile
with a large shared-memory segment (config/fastdds/robot.xml); see docs/cameras.md.
"""

from __future__ import annotations

import threading

import cv2
import rclpy
from builtin_interfaces.msg import Time
from rclpy.exceptions import NameValidationException, ParameterException
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, JointState

from ..cameras import Frame, OpenCVCamera, OpenCVCameraConfig, Pinhole
from .parameters import declare
from .runner import run_node
from ..sim.camera import SimCamera, SimCameraConfig
from ..node_params.camera_node import PARAMS


def open_camera(p: dict) -> OpenCVCamera | SimCamera:
    """The camera the parameters describe, connected (it delivers frames when this returns)."""
    if p["source"] == "mujoco":
        # Imported here: mujoco is an optional dependency.
        from ..sim.physics.camera import MujocoCamera
        from ..sim.physics.coupling import running_world
        camera = MujocoCamera(running_world(p["world"]), p["name"], p["width"], p["height"], p["fps"])
    elif p["source"] == "sim":
        camera = SimCamera(SimCameraConfig(width=p["width"], height=p["height"], fps=p["fps"]))
    else:
        camera = OpenCVCamera(OpenCVCameraConfig(
            index_or_path=p["index_or_path"], fps=p["fps"] or None, width=p["width"] or None,
            height=p["height"] or None, rotation=p["rotation"], warmup_s=p["warmup_s"], fourcc=p["fourcc"] or None))
    camera.connect()
    return camera


def stamp(seconds: float) -> Time:
    ns = int(round(seconds * 1e9))
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def image_msg(frame: Frame, frame_id: str) -> Image:
    h, w = frame.image.shape[:2]
    msg = Image(height=h, width=w, encoding="rgb8", is_bigendian=0, step=w * 3)
    msg.header.stamp = stamp(frame.stamp_s)
    msg.header.frame_id = frame_id
    msg.data = frame.image.tobytes()  # one memcpy; a list or ndarray assignment costs 100x more
    return msg


def camera_info_msg(pinhole: Pinhole, frame_id: str) -> CameraInfo:
    msg = CameraInfo(width=pinhole.width, height=pinhole.height, distortion_model="plumb_bob",
                     d=[0.0] * 5, k=pinhole.k, r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], p=pinhole.p)
    msg.header.frame_id = frame_id
    return msg


class CameraNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__("camera_node", **kwargs)
        p = declare(self, PARAMS)
        name = p["name"]
        self.frame_id = p["frame_id"] or f"{name}_optical_frame"
        self.jpeg_quality = p["jpeg_quality"]
        self.image_pub = self.create_publisher(Image, f"{name}/image_raw", qos_profile_sensor_data)
        self.info_pub = self.create_publisher(CameraInfo, f"{name}/camera_info", qos_profile_sensor_data)
        self.compressed_pub = (self.create_publisher(CompressedImage, f"{name}/image_raw/compressed",
                                                     qos_profile_sensor_data) if p["publish_compressed"] else None)
        self.camera = open_camera(p)
        self.info = camera_info_msg(Pinhole.from_hfov(self.camera.width, self.camera.height), self.frame_id)
        if isinstance(self.camera, SimCamera):
            self.create_subscription(JointState, p["joint_states_topic"], self._on_joint_states,
                                     qos_profile_sensor_data)
        self.finished = threading.Event()  # set only when the camera fails: the process then exits 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish_frames, name="camera-publish", daemon=True)
        self.get_logger().info(f"{p['source']} camera {self.camera.name}: publishing {name}/image_raw at "
                               f"{self.camera.width}x{self.camera.height} @ {self.camera.fps:g} fps")

    def start(self) -> None:
        self._thread.start()

    def _on_joint_states(self, msg: JointState) -> None:
        self.camera.set_joint_positions(dict(zip(msg.name, msg.position)))

    def _publish_frames(self) -> None:
        index = 0
        while not self._stop.is_set():
            try:
                frame = self.camera.next_frame(index, timeout_ms=2000.0)
            except TimeoutError as exc:
                if not self._stop.is_set():
                    self.get_logger().warning(str(exc), throttle_duration_sec=10.0)
                continue
            except RuntimeError as exc:  # the capture thread died
                self._fail(str(exc))
                return
            index = frame.index
            try:
                self.publish(frame)
            except RuntimeError as exc:  # rclpy's RCLError
                self._fail(f"publishing failed: {exc}")
                return

    def _fail(self, reason: str) -> None:
        """Say why once, then end the node so the process exits non-zero."""
        self.get_logger().fatal(reason)
        self.finished.set()

    def publish(self, frame: Frame) -> None:
        msg = image_msg(frame, self.frame_id)
        self.image_pub.publish(msg)
        self.info.header.stamp = msg.header.stamp
        self.info_pub.publish(self.info)
        if self.compressed_pub is not None and self.compressed_pub.get_subscription_count() > 0:
            bgr = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
            ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            if ok:
                compressed = CompressedImage(header=msg.header, format="jpeg")
                compressed.data = jpeg.tobytes()
                self.compressed_pub.publish(compressed)

    def shutdown(self) -> None:
        """Stop publishing, then release the camera (in that order, so no read hits a closed camera);
        exit 1 when the camera had failed."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=3.0)
        self.camera.disconnect()
        if self.finished.is_set():
            raise SystemExit(1)


def main(args: list[str] | None = None) -> None:
    """Run the node until SIGINT/SIGTERM/SIGHUP (exit 0) or until the camera fails (exit 1)."""
    # A bad parameter or name, or a camera that will not open: the message names the fix; no traceback.
    run_node(CameraNode, "camera_node",
             (ValueError, ConnectionError, RuntimeError, ParameterException, NameValidationException), args)


if __name__ == "__main__":
    main()
