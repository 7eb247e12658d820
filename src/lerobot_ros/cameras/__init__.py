"""Camera capture without ROS: OpenCV devices and video files behind LeRobot's read semantics."""

from .frames import BackgroundCapture, Frame
from .intrinsics import Pinhole
from .opencv_camera import OpenCVCamera, OpenCVCameraConfig, parse_index_or_path

__all__ = ["BackgroundCapture", "Frame", "OpenCVCamera", "OpenCVCameraConfig", "Pinhole", "parse_index_or_path"]
