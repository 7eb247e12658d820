"""A simulated camera looking at the simulated SO-101-like arm, so the whole pipeline (camera node,
recorder, policy) runs without hardware and its images follow the commanded joints.

It is a drawing, not a calibrated model: a pinhole camera with the default intrinsics of
:mod:`lerobot_ros.cameras.intrinsics` (so the published ``camera_info`` is exact for it) looks at
the arm from its side and a little above. Kinematic convention, angles in radians:

* ``shoulder_pan`` turns the arm about the vertical axis (0: it reaches along +x, to the right in
  the image; positive turns it away from the camera);
* ``shoulder_lift`` tilts the upper arm from vertical (0: straight up; positive: forward, +x);
* ``elbow_flex`` and ``wrist_flex`` bend the next link relative to the previous one (0: straight);
* ``wrist_roll`` turns the gripper about its own axis;
* ``gripper`` opens the moving jaw by that angle (0: closed).

Joints missing from the pose are drawn at 0; unknown names are ignored. The static scene (floor,
table, backdrop) is drawn once; each frame copies it and draws about a dozen primitives, which is
well under a millisecond at 640x480.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from ..cameras.frames import BackgroundCapture, CapturedCamera
from ..cameras.intrinsics import Pinhole

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")

BASE_HEIGHT_M = 0.10  # table top to the shoulder_lift axis
UPPER_ARM_M = 0.116
FOREARM_M = 0.135
WRIST_LINK_M = 0.06  # wrist_flex axis to the jaw pivot
JAW_M = 0.10  # jaw pivot to fingertip: wrist to tip about 0.16 m
JAW_OFFSET_M = 0.012  # the fixed jaw sits this far off the gripper axis

# Colours are RGB: the image is RGB, like every camera frame in lerobot_ros.
SKY, FLOOR, TABLE, TABLE_EDGE = (200, 215, 230), (120, 110, 100), (170, 130, 90), (110, 80, 50)
BASE, LINK, JOINT, WRIST = (60, 60, 70), (235, 150, 40), (40, 40, 40), (90, 90, 110)
FIXED_JAW, MOVING_JAW = (30, 140, 230), (220, 40, 60)


@dataclass(frozen=True)
class SimCameraConfig:
    width: int = 640
    height: int = 480
    fps: float = 30.0
    eye_m: tuple[float, float, float] = (0.10, -0.80, 0.38)  # camera position; the table top is z=0
    target_m: tuple[float, float, float] = (0.10, 0.0, 0.20)  # the point it looks at

    def __post_init__(self) -> None:
        for name in ("width", "height", "fps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"sim camera {name}={getattr(self, name)}: must be positive")


class ArmRenderer:
    """Draws the arm at a joint pose into an RGB image of the configured size."""

    def __init__(self, config: SimCameraConfig = SimCameraConfig()):
        self.config = config
        self.pinhole = Pinhole.from_hfov(config.width, config.height)
        self._world_to_cam = _look_at(np.array(config.eye_m), np.array(config.target_m))
        self._scale = config.width / 640.0
        self._background = self._draw_background()

    def render(self, joints_rad: Mapping[str, float]) -> np.ndarray:
        q = {name: float(joints_rad.get(name, 0.0)) for name in JOINTS}
        points = _arm_points(q)
        px = self._project(np.stack(list(points.values())))
        p = dict(zip(points, px))
        image = self._background.copy()
        t = lambda m: max(1, int(round(m * self._scale)))  # noqa: E731 - line widths scale with the image
        aa = cv2.LINE_AA
        cv2.line(image, p["base"], p["shoulder"], BASE, t(22), aa)
        cv2.line(image, p["shoulder"], p["elbow"], LINK, t(14), aa)
        cv2.line(image, p["elbow"], p["wrist"], LINK, t(12), aa)
        cv2.line(image, p["wrist"], p["pivot"], WRIST, t(10), aa)
        cv2.line(image, p["fixed_root"], p["fixed_tip"], FIXED_JAW, t(6), aa)
        cv2.line(image, p["pivot"], p["moving_tip"], MOVING_JAW, t(6), aa)
        for name in ("shoulder", "elbow", "wrist"):
            cv2.circle(image, p[name], t(8), JOINT, -1, aa)
        cv2.circle(image, p["pivot"], t(5), JOINT, -1, aa)
        return image

    def _project(self, points_m: np.ndarray) -> list[tuple[int, int]]:
        """World points (N, 3) -> integer pixel coordinates through the pinhole."""
        cam = (points_m - self._world_to_cam[1]) @ self._world_to_cam[0].T  # (N, 3) in the optical frame
        z = np.maximum(cam[:, 2], 1e-3)
        u = self.pinhole.fx * cam[:, 0] / z + self.pinhole.cx
        v = self.pinhole.fy * cam[:, 1] / z + self.pinhole.cy
        return [(int(round(a)), int(round(b))) for a, b in zip(u, v)]

    def _draw_background(self) -> np.ndarray:
        w, h = self.config.width, self.config.height
        image = np.empty((h, w, 3), np.uint8)
        image[:] = SKY
        horizon = self._project(np.array([[-5.0, 5.0, -0.75], [5.0, 5.0, -0.75]]))
        cv2.rectangle(image, (0, max(0, horizon[0][1])), (w, h), FLOOR, -1)
        top = np.array([[-0.35, -0.25, 0.0], [0.55, -0.25, 0.0], [0.55, 0.35, 0.0], [-0.35, 0.35, 0.0]])
        front = np.array([[-0.35, -0.25, 0.0], [0.55, -0.25, 0.0], [0.55, -0.25, -0.03], [-0.35, -0.25, -0.03]])
        cv2.fillConvexPoly(image, np.array(self._project(front), np.int32), TABLE_EDGE, cv2.LINE_AA)
        cv2.fillConvexPoly(image, np.array(self._project(top), np.int32), TABLE, cv2.LINE_AA)
        angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        foot = np.stack([0.045 * np.cos(angles), 0.045 * np.sin(angles), np.zeros_like(angles)], axis=1)
        cv2.fillConvexPoly(image, np.array(self._project(foot), np.int32), BASE, cv2.LINE_AA)
        return image


def _arm_points(q: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Forward kinematics of the drawing: named 3D points (metres, z up, table top at z=0)."""
    pan = q["shoulder_pan"]
    reach = np.array([math.cos(pan), math.sin(pan), 0.0])  # horizontal direction of the arm's plane
    side = np.array([-math.sin(pan), math.cos(pan), 0.0])  # normal of that plane
    up = np.array([0.0, 0.0, 1.0])

    def along(pitch: float) -> np.ndarray:  # unit vector in the arm's plane, pitch from vertical
        return math.sin(pitch) * reach + math.cos(pitch) * up

    shoulder = np.array([0.0, 0.0, BASE_HEIGHT_M])
    a1 = q["shoulder_lift"]
    a2 = a1 + q["elbow_flex"]
    a3 = a2 + q["wrist_flex"]
    elbow = shoulder + UPPER_ARM_M * along(a1)
    wrist = elbow + FOREARM_M * along(a2)
    axis = along(a3)
    pivot = wrist + WRIST_LINK_M * axis
    # The jaws open in a plane through the gripper axis, turned about it by wrist_roll.
    normal = math.cos(a3) * reach - math.sin(a3) * up  # in the arm's plane, perpendicular to the axis
    opening = math.cos(q["wrist_roll"]) * normal + math.sin(q["wrist_roll"]) * side
    g = q["gripper"]
    return {
        "base": np.array([0.0, 0.0, 0.0]),
        "shoulder": shoulder,
        "elbow": elbow,
        "wrist": wrist,
        "pivot": pivot,
        "fixed_root": pivot + JAW_OFFSET_M * opening,
        "fixed_tip": pivot + JAW_M * axis + JAW_OFFSET_M * opening,
        "moving_tip": pivot + JAW_M * (math.cos(g) * axis - math.sin(g) * opening),
    }


def _look_at(eye: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, eye) with R's rows the optical frame axes (x right, y down, z forward) in world coordinates."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return np.stack([right, down, forward]), eye


class SimCamera(CapturedCamera):
    """The renderer behind the same reading interface as :class:`~lerobot_ros.cameras.OpenCVCamera`.

    A background thread renders the most recent pose given to :meth:`set_joint_positions` at
    ``fps``, so readers get fresh, individually stamped frames even while the arm is still.
    """

    def __init__(self, config: SimCameraConfig = SimCameraConfig()):
        self.config = config
        self.name = "sim"
        self.width, self.height, self.fps = config.width, config.height, config.fps
        self.renderer = ArmRenderer(config)
        self._pose: dict[str, float] = {}
        self._pose_lock = threading.Lock()
        self._capture: BackgroundCapture | None = None

    def set_joint_positions(self, joints_rad: Mapping[str, float]) -> None:
        """Update the pose drawn from the next frame on (merged: joints not given keep their angle)."""
        with self._pose_lock:
            self._pose = {**self._pose, **joints_rad}

    def connect(self) -> None:
        if self._capture is not None:
            raise RuntimeError("sim camera: already connected")
        self._capture = BackgroundCapture(self.name, self._grab, pace_hz=self.config.fps)
        self._capture.start()

    def disconnect(self) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture = None

    def _grab(self) -> tuple[np.ndarray, float]:
        stamp_s = time.time()
        with self._pose_lock:
            pose = self._pose
        return self.renderer.render(pose), stamp_s
