"""camera_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/camera_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from .param import Param

PARAMS = (
    Param("name", "camera", "Camera name: topics are `<name>/image_raw`, `<name>/image_raw/compressed`, "
          "`<name>/camera_info`"),
    Param("source", "opencv", "Where frames come from: an OpenCV device or video file, the simulated arm view, "
          "or camera `name` of a MuJoCo physics world", choices=("opencv", "sim", "mujoco")),
    Param("index_or_path", "0", "OpenCV source: a device index (digits, e.g. 0), a device path (/dev/video0) "
          "or a video file (played in a loop)"),
    Param("width", 640, "Image width in pixels after rotation; 0 keeps the camera's own (opencv only)", min=0),
    Param("height", 480, "Image height in pixels after rotation; 0 keeps the camera's own (opencv only)", min=0),
    Param("fps", 30.0, "Frame rate; 0 keeps the camera's own (opencv only)", min=0.0, max=240.0),
    Param("fourcc", "", "OpenCV pixel format, e.g. MJPG (often needed for 640x480@30 over USB); "
          "empty keeps the camera's own"),
    Param("rotation", 0, "Clockwise rotation applied to each frame: 0, 90, 180 or -90 degrees", min=-90, max=180),
    Param("warmup_s", 1.0, "Seconds to let the camera settle (auto exposure) before publishing", min=0.0),
    Param("frame_id", "", "header.frame_id of the images; empty means `<name>_optical_frame`"),
    Param("jpeg_quality", 90, "JPEG quality of image_raw/compressed", min=1, max=100),
    Param("publish_compressed", True, "Also publish image_raw/compressed (encoded only while subscribed)"),
    Param("joint_states_topic", "joint_states", "Sim source: the JointState topic whose pose is drawn"),
    Param("world", "pick_place", "MuJoCo source: the physics world (a robot_node's `world=` port option, same "
          "process) whose camera `name` is rendered"),
)
