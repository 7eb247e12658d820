"""recorder_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/recorder_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..recording.recording_session import GAP_POLICIES
from .param import Param

PARAMS = (
    Param("config", "", "Recording YAML: fps, features (topic -> dataset feature) and language topics "
          "(docs/recording.md)"),
    Param("root", "", "Dataset folder: created when missing, resumed (repaired first) when it holds a dataset"),
    Param("robot_type", "", "robot_type written to info.json (e.g. so_follower); empty: LeRobot's name of the "
          "config's robot, else null"),
    Param("calibration_id", "", "LeRobot calibration id of the config's robot (as robot_node takes it): converts "
          "joint positions into the config's units; not needed for radians"),
    Param("calibration_file", "", "Explicit calibration JSON of the config's robot (overrides calibration_id)"),
    Param("calibration_dir", "", "Calibration root; empty = $HF_LEROBOT_CALIBRATION or LeRobot's default"),
    Param("port", "", "The robot_node's port; only tells a simulated arm (`sim`...), whose calibration is the "
          "simulator's unless one is given"),
    Param("codec", "libsvtav1", "Video codec (LeRobot's default libsvtav1; libx264 encodes several times faster)",
          choices=("libsvtav1", "libx264", "h264", "libx265")),
    Param("crf", 30, "Video quality (constant rate factor; lower is better and larger)", min=0, max=63),
    Param("max_queued_frames", 60, "Frames that may wait for the encoder; when full, a frame is dropped, "
          "counted, and ends the episode's contiguous part", min=1),
    Param("encoder_nice", 10, "Added to the video encoder threads' nice value, so control loops on the same "
          "computer keep their period while it encodes; 0: the node's own priority", min=0, max=19),
    Param("on_gap", "split", "A tick lost between written frames (a stream stalled, the encoder queue was full): "
          "split saves the part before it as an episode and goes on in a new one; truncate ends the take there",
          choices=GAP_POLICIES),
    Param("sample_delay_s", 0.05, "A tick is sampled this long after its time, so messages stamped "
          "before it can arrive", min=0.0, max=2.0),
    Param("data_files_size_in_mb", 100.0, "Data parquet shard size before a new file (LeRobot's default)", min=0.001),
    Param("video_files_size_in_mb", 200.0, "mp4 shard size before a new file (LeRobot's default)", min=0.001),
    Param("status_period_s", 1.0, "Period of ~/status besides the updates on every change", min=0.05),
    Param("events_topic", "recording/events", "std_msgs/String recording events (keyboard_node); empty: none"),
)
