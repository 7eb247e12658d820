"""teleop_node's parameters (a leader arm driving a follower), as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/teleop_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..robots.tables import ROBOT_TYPES
from .param import Param

LEADERS = tuple(sorted(n for n, t in ROBOT_TYPES.items() if t.role == "teleoperator"))
FOLLOWERS = tuple(sorted(n for n, t in ROBOT_TYPES.items() if t.role == "robot"))

PARAMS = [
    Param("leader_type", "so101_leader", "Leader arm type: one of " + ", ".join(LEADERS) + ", or lerobot:<type> for "
          "LeRobot's own driver of any installed LeRobot teleoperator whose actions are joint positions (lerobot "
          "extra; docs/teleop.md)"),
    Param("lerobot_config", "", "leader_type lerobot:<type> only: YAML mapping (or a file holding one) of further "
          "fields of LeRobot's teleoperator config (e.g. `{use_degrees: false}`); port, leader_calibration_id "
          "(LeRobot's id) and calibration_dir are taken from the parameters here"),
    Param("leader_port", "sim",
          "Leader's serial port (/dev/ttyACM1), or `sim` / `sim://<leader_type>` for a simulated leader in this node"),
    Param("leader_calibration_id", "", "LeRobot calibration id of the leader (teleoperators/<name>/<id>.json)"),
    Param("leader_calibration_file", "", "Explicit leader calibration JSON (overrides leader_calibration_id)"),
    Param("follower_type", "so101_follower", "Follower robot type (its robot_node's robot_type)", choices=FOLLOWERS),
    Param("follower_port", "",
          "The follower robot_node's port; only tells a simulated follower (`sim`...), whose calibration is the "
          "simulator's unless one is given. Empty: a real follower, whose calibration must be given"),
    Param("follower_calibration_id", "", "LeRobot calibration id of the follower (robots/<name>/<id>.json)"),
    Param("follower_calibration_file", "", "Explicit follower calibration JSON (overrides follower_calibration_id)"),
    Param("calibration_dir", "", "Calibration root; empty = $HF_LEROBOT_CALIBRATION or LeRobot's default"),
    Param("baudrate", 1_000_000, "Leader bus baud rate", min=9_600, max=4_000_000),
    Param("follower_joint_states_topic", "joint_states", "The follower's joint_states topic"),
    Param("controller_name", "arm_controller",
          "The follower's controller: commands go to <controller>/joint_trajectory"),
    Param("follower_joint_prefix", "", "The follower robot_node's joint_prefix"),
    Param("rate_hz", 100.0, "Leader read and command rate", min=10.0, max=1000.0),
    Param("ramp_time_s", 2.0, "Blend from the follower's present pose to the leader's over this time (start, "
          "and after the leader comes back)", min=0.0),
    Param("max_step_rad", 0.1, "Largest change of any joint between two commands, in radians", min=0.001),
    Param("leader_timeout_s", 0.1, "Stop the follower (hold) when the leader has not answered for this long",
          min=0.01),
    Param("follower_timeout_s", 0.5, "Pause commanding when the follower's joint_states are older than this",
          min=0.05),
    Param("time_from_start_s", 0.01,
          "time_from_start of each streamed point: robot_node interpolates to it from its present command; one "
          "command period arrives as the next point does (longer rides out late messages but lags more)", min=0.0),
    Param("diagnostics_rate_hz", 1.0, "Rate of /diagnostics", min=0.1, max=10.0),
]
