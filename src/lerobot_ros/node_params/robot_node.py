"""robot_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/robot_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..robots.tables import ROBOT_TYPES
from .param import Param

PARAMS = [
    Param("robot_type", "so101_follower", "Robot type: a table in lerobot_ros.robots.tables ("
          + ", ".join(sorted(ROBOT_TYPES)) + "), or lerobot:<type> for LeRobot's own driver of any installed "
          "LeRobot robot (lerobot extra; docs/robots.md)"),
    Param("lerobot_config", "", "robot_type lerobot:<type> only: YAML mapping (or a file holding one) of further "
          "fields of LeRobot's robot config (e.g. `{use_degrees: false}`); port, calibration_id (LeRobot's id) and "
          "calibration_dir are taken from the parameters above"),
    Param("port", "sim", "Serial port (/dev/ttyACM0), or `sim` / `sim://<robot_type>` for a simulated bus "
          "(`sim://so101_follower?world=pick_place`: moved by the MuJoCo physics twin, docs/simulation.md)"),
    Param("baudrate", 1_000_000, "Bus baud rate", min=9_600, max=4_000_000),
    Param("calibration_id", "", "LeRobot calibration id: <calibration dir>/{robots|teleoperators}/<name>/<id>.json"),
    Param("calibration_file", "", "Explicit calibration JSON (overrides calibration_id)"),
    Param("calibration_dir", "", "Calibration root; empty = $HF_LEROBOT_CALIBRATION or LeRobot's default"),
    Param("publish_rate_hz", 100.0, "Control loop and joint_states rate", min=1.0, max=1000.0),
    Param("max_relative_target", 0.0,
          "Largest change of any joint per command, in radians (0 = no cap); LeRobot's equivalent is in degrees",
          min=0.0),
    Param("command_timeout_s", 0.5,
          "Hold the present pose when the last trajectory ended longer ago than this (0 = never)", min=0.0,
          read_only=False),
    Param("torque_off_on_shutdown", True, "Disable torque when the node stops (SIGINT/SIGTERM)"),
    Param("torque", "auto", "Torque on the joints: auto = on for robots, off for leader arms (teleoperators)",
          choices=("auto", "on", "off")),
    Param("controller_name", "arm_controller", "Namespace of the trajectory topic and action"),
    Param("joint_prefix", "", "Prefix added to joint names (e.g. `left_` for two arms on one robot)"),
    Param("goal_position_tolerance_rad", 0.05,
          "follow_joint_trajectory: default goal tolerance per joint (0 = not checked)", min=0.0, read_only=False),
    Param("path_position_tolerance_rad", 0.0,
          "follow_joint_trajectory: default path tolerance per joint (0 = not checked)", min=0.0, read_only=False),
    Param("goal_time_tolerance_s", 1.0,
          "follow_joint_trajectory: how long after the last point the goal tolerance may be reached (0 = forever)",
          min=0.0, read_only=False),
    Param("diagnostics_rate_hz", 1.0, "Rate of /diagnostics (reads temperatures and voltages)", min=0.1, max=10.0,
          read_only=False),
    Param("cmd_vel_type", "twist", "LeKiwi: message type on cmd_vel", choices=("twist", "twist_stamped")),
    Param("odom_frame", "odom", "LeKiwi: odometry frame"),
    Param("base_frame", "base_link", "LeKiwi: base frame"),
]
