"""keyboard_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/keyboard_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from .param import Param
from .teleop_devices import ROBOT_PARAMS

PARAMS = [
    *ROBOT_PARAMS,
    Param("tty", "", "Terminal to read keys from; empty = the node's stdin (start it with `ros2 run` or `ssh -t`)"),
    Param("key_timeout_s", 0.25,
          "A key counts as held until this long after its latest (auto-repeat) arrival", min=0.05, max=2.0),
]
