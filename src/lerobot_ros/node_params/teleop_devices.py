"""The parameters gamepad_node and keyboard_node share: the robot they jog and its topics, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/teleop_io.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..robots.tables import ROBOT_TYPES
from .param import Param

ROBOT_PARAMS = [
    Param("robot_type", "so101_follower", "Robot type driven (its joints and limits come from its table); "
          "`lekiwi` also drives the base", choices=tuple(sorted(t for t, v in ROBOT_TYPES.items() if v.role == "robot"))),
    Param("joint_prefix", "", "Prefix of the robot's joint names (robot_node's joint_prefix)"),
    Param("controller_name", "arm_controller", "Jog commands go to `<controller_name>/joint_trajectory`"),
    Param("rate_hz", 30.0, "Command (and joy) rate", min=1.0, max=100.0),
    Param("max_joint_speed_rad_s", 0.5, "Joint speed at full input", min=0.01, max=3.0),
    Param("max_step_rad", 0.1, "Largest lead of a jog target over the present position (joint_states)",
          min=0.001, max=0.5),
    Param("max_linear_speed_m_s", 0.2, "LeKiwi: base speed at full input", min=0.01, max=0.5),
    Param("max_angular_speed_rad_s", 1.0, "LeKiwi: base turn rate at full input", min=0.05, max=3.0),
    Param("cmd_vel_type", "twist", "LeKiwi: message type on cmd_vel", choices=("twist", "twist_stamped")),
]
