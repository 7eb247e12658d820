"""Camera capture without ROS: OpenCV devices and video files behind LeRobot's read semantics."""

from lerobot_ros.cameras.frames import BackgroundCapture, Frame
from lerobot_ros.cameras.intrinsics import Pinhole
from lerobot_ros.cameras.opencv_camera import OpenCVCamera, OpenCVCameraConfig, parse_index_or_path

__all__ = ["BackgroundCapture", "Frame", "OpenCVCamera", "OpenCVCameraConfig", "Pinhole", "parse_index_or_path"]
