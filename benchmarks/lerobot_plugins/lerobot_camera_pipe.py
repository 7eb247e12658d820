"""A LeRobot camera plugin for benchmarks/lerobot_dispatch.py: LeRobot's own OpenCVCamera on a stream
whose size and rate its source fixes (a YUV4MPEG2 named pipe the simulated arm draws into).

LeRobot 0.6.1's robots require a camera's width, height and fps, and OpenCVCamera applies them with
``VideoCapture.set``, which a file or pipe refuses ("failed to set capture_width=64 (actual_width=64,
width_success=False)"). This camera checks them against the stream instead and is otherwise
OpenCVCamera unchanged: its reads, background thread and color handling. lerobot-rollout finds it
through LeRobot's third-party plugin mechanism (a distribution named ``lerobot_camera_*``; the
benchmark puts this folder with a minimal dist-info on PYTHONPATH) as
``--robot.cameras='{front: {type: pipe, index_or_path: <fifo>, width: .., height: .., fps: ..}}'``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
from lerobot.cameras import CameraConfig
from lerobot.cameras.opencv import OpenCVCamera, OpenCVCameraConfig


@CameraConfig.register_subclass("pipe")
@dataclass
class PipeCameraConfig(OpenCVCameraConfig):
    pass


class PipeCamera(OpenCVCamera):
    def _configure_capture_settings(self) -> None:
        stream = (int(round(self.videocapture.get(cv2.CAP_PROP_FRAME_WIDTH))),
                  int(round(self.videocapture.get(cv2.CAP_PROP_FRAME_HEIGHT))), self.videocapture.get(cv2.CAP_PROP_FPS))
        wanted = (self.capture_width, self.capture_height, float(self.fps))
        if stream[:2] != wanted[:2] or not math.isclose(stream[2], wanted[2], rel_tol=1e-3):
            raise RuntimeError(f"{self}: the stream is {stream[0]}x{stream[1]} at {stream[2]} fps, the config says "
                               f"{wanted[0]}x{wanted[1]} at {wanted[2]} fps")
