"""policy_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/policy_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..robots.tables import ROBOT_TYPES
from ..robots.units import UNITS
from ..runtime.backends import BACKENDS
from ..runtime.policy_io import LEROBOT_UNITS
from ..runtime.runtime import CHUNK_BLENDINGS, CROSSFADE
from .param import Param

FOLLOWERS = tuple(sorted(n for n, t in ROBOT_TYPES.items() if t.role == "robot"))

PARAMS = [
    Param("checkpoint", "", "Policy checkpoint: a local folder or a Hugging Face Hub id (from the local cache); "
          "SmolVLA2, or any LeRobot policy (ACT, Diffusion, SmolVLA, ...) with the lerobot extra installed"),
    Param("backend", "auto", "Which implementation runs the checkpoint: auto (by its config.json type: smolvla2 and "
          "pi052 are ours, any other type LeRobot's), smolvla2 (ours: SmolVLA2, or PI052 for a pi052 checkpoint), "
          "or lerobot", choices=BACKENDS),
    Param("device", "cpu", "Torch device of the model (cpu, cuda, cuda:1, mps)"),
    Param("contract_file", "", "Feature contract (lerobot_ros.json) to read the policy's topics, joints and units "
          "from; empty: the checkpoint's own, else one built from the parameters below (a checkpoint trained "
          "elsewhere)"),
    Param("robot_type", "so101_follower", "Follower robot type, when the contract names none: its joints, in "
          "order, are the state and action of a checkpoint without a contract", choices=FOLLOWERS),
    Param("joint_prefix", "", "The follower robot_node's joint_prefix, when the contract names no robot"),
    Param("units", LEROBOT_UNITS, "Without a contract: the units the checkpoint's state and actions are in; "
          "`lerobot` = LeRobot 0.6's for robot_type (degrees for SO-100/101 and LeKiwi, -100..100 for Koch, OMX, "
          "HopeJR; grippers 0..100)", choices=(LEROBOT_UNITS, *UNITS)),
    Param("controller_name", "arm_controller", "Without a contract: action chunks go to "
          "<controller_name>/joint_trajectory"),
    Param("vqa_cameras", "", "Empty: a question gets one answer, seeing every camera (as the shipped recipe "
          "trains); camera names, comma separated: one answer per camera, seeing only that camera"),
    Param("control_rate_hz", 50.0, "Rate at which trajectories are dispatched", min=1.0, max=500.0),
    Param("subtask_rate_hz", 1.0, "How often the subtask is generated", min=0.01, max=50.0),
    Param("refill_s", 0.5, "Compute the next action chunk when fewer seconds of actions than this remain", min=0.0),
    Param("blend_s", 0.2, "Cross-fade from the previous chunk to a new one over this many seconds (0 = replace)",
          min=0.0),
    Param("chunk_blending", CROSSFADE, "How a new chunk takes over from the running one: crossfade (over blend_s) "
          "or rtc (real-time chunking: the flow policy is guided onto the running chunk's next steps while it "
          "samples, then replaces it; SmolVLA2, PI052, LeRobot's SmolVLA and pi05)", choices=CHUNK_BLENDINGS),
    Param("rtc_execution_horizon", 10, "rtc: how many steps of the running chunk guide the new one (LeRobot's "
          "execution_horizon)", min=1),
    Param("rtc_max_guidance_weight", 10.0, "rtc: the largest guidance weight (LeRobot's max_guidance_weight)",
          min=0.001),
    Param("horizon_s", 0.3, "Each dispatched trajectory reaches this far ahead (the arm stops this soon after "
          "the node dies)", min=0.01),
    Param("heartbeat_timeout_s", 1.0, "The arm moves only while a `heartbeat` message (std_msgs/Empty) came "
          "within this time (0 = no heartbeat needed)", min=0.0),
    Param("max_relative_target", 0.0, "Largest change of any joint per action step, in radians (0 = no cap); "
          "robot_node applies its own per command too", min=0.0),
    Param("port", "", "The follower robot_node's port; only tells a simulated follower (`sim`...), whose "
          "calibration is the simulator's unless one is given"),
    Param("calibration_id", "", "LeRobot calibration id of the follower: with it (or calibration_file, a "
          "simulated port or a factory-calibrated robot) actions are clamped into the follower's joint limits; "
          "without, robot_node rejects trajectories outside them"),
    Param("calibration_file", "", "Explicit follower calibration JSON (overrides calibration_id)"),
    Param("calibration_dir", "", "Calibration root; empty = $HF_LEROBOT_CALIBRATION or LeRobot's default"),
    Param("max_observation_age_s", 0.5, "Without a contract: an image or joint state older than this is stale "
          "(a contract gives each feature its max_age_s)", min=0.01),
    Param("memory", True, "Update the memory when a subtask ends"),
    Param("start_on_task", True, "A message on `task` starts the policy (else call ~/start)"),
    Param("chunk_fps", 0.0, "Rate of the action steps; 0 = the checkpoint's fps", min=0.0),
    Param("max_new_tokens", 64, "Longest generated text, in tokens", min=1, max=2048),
    Param("temperature", 0.0, "Text sampling temperature (0 = greedy)", min=0.0),
    Param("top_p", 1.0, "Nucleus sampling threshold", min=0.0, max=1.0),
    Param("diagnostics_rate_hz", 1.0, "Rate of /diagnostics", min=0.1, max=10.0),
]
