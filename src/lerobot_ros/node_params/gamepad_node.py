"""gamepad_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/gamepad_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..teleop.gamepad import ARM, BASE, XBOX_ARM, XBOX_BASE, XBOX_DEADMAN_BUTTON, XBOX_MODE_BUTTON
from .param import Param
from .teleop_devices import ROBOT_PARAMS

PARAMS = [
    *ROBOT_PARAMS,
    Param("mode", "auto", "What the sticks move at start: auto = the base on a robot with one, else the arm",
          choices=("auto", ARM, BASE)),
    Param("arm_controls", list(XBOX_ARM),
          "One control per arm joint, in the robot table's order: `axis:N`, `-axis:N`, `hat:N:x`, `hat:N:y`, "
          "`buttons:PLUS:MINUS` or `''` (see docs/teleop_devices.md)"),
    Param("base_controls", list(XBOX_BASE), "Controls for forward, left, turn left (same syntax)"),
    Param("deadman_button", XBOX_DEADMAN_BUTTON, "Button that must be held for any motion (Xbox: LB)", min=0),
    Param("mode_button", XBOX_MODE_BUTTON, "Button that switches arm <-> base (Xbox: Start); -1 = none", min=-1),
    Param("deadzone", 0.1, "Stick values within this of zero count as zero", min=0.0, max=0.9),
]
