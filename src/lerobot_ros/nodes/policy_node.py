"""policy_node: the hierarchical SmolVLA2 policy on ROS 2 (docs/policy.md).

Subscribes to the cameras (``<camera>/image_raw``, sensor-data QoS), ``joint_states``, ``task``,
``user_input`` (an interjection; a trailing ``?`` makes it a question), ``vqa/query`` and the
operator ``heartbeat``; publishes ``subtask``, ``plan`` and ``memory`` (latched), ``say``,
``vqa/answer`` (JSON per camera), action chunks as ``<controller>/joint_trajectory`` and
``/diagnostics``; serves ``~/start``, ``~/pause`` and ``~/stop`` (std_srvs/Trigger).

All scheduling lives in :mod:`lerobot_ros.runtime`; this file only converts messages.
"""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Empty, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..robots.loop import FixedRateLoop
from ..robots.robot import joint_limits_rad
from ..robots.setup import resolve_calibration
from ..robots.tables import ROBOT_TYPES, RobotType, robot_type
from ..sim.ports import is_sim_port
from ..runtime.policy import LanguagePolicy, Observation
from ..runtime.runtime import HierarchicalRuntime, RuntimeConfig
from ..runtime.schedule import ActionSchedule
from ..runtime.smolvla2_policy import SmolVLA2LanguagePolicy, TextGeneration
from .log_bridge import bridge_core_logging
from .parameters import Param, declare
from .runner import run_node

FOLLOWERS = tuple(sorted(n for n, t in ROBOT_TYPES.items() if t.role == "robot"))

PARAMS = [
    Param("checkpoint", "", "SmolVLA2 checkpoint: a local folder or a Hugging Face Hub id (from the local cache)"),
    Param("device", "cpu", "Torch device of the model (cpu, cuda, cuda:1, mps)"),
    Param("robot_type", "so101_follower", "Follower robot type: its joints, in order, are the policy's state and "
          "action", choices=FOLLOWERS),
    Param("joint_prefix", "", "The follower robot_node's joint_prefix"),
    Param("controller_name", "arm_controller", "Action chunks go to <controller_name>/joint_trajectory"),
    Param("joint_states_topic", "joint_states", "The follower's joint_states"),
    Param("cameras", ["front"], "Camera names: images from <name>/image_raw feed observation.images.<name>"),
    Param("vqa_cameras", "", "Empty: a question gets one answer, seeing every camera (as the shipped recipe "
          "trains); camera names, comma separated: one answer per camera, seeing only that camera"),
    Param("control_rate_hz", 50.0, "Rate at which trajectories are dispatched", min=1.0, max=500.0),
    Param("subtask_rate_hz", 1.0, "How often the subtask is generated", min=0.01, max=50.0),
    Param("refill_s", 0.5, "Compute the next action chunk when fewer seconds of actions than this remain", min=0.0),
    Param("blend_s", 0.2, "Cross-fade from the previous chunk to a new one over this many seconds (0 = replace)",
          min=0.0),
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
    Param("max_observation_age_s", 0.5, "An image or joint state older than this counts as missing", min=0.01),
    Param("memory", True, "Update the memory when a subtask ends"),
    Param("start_on_task", True, "A message on `task` starts the policy (else call ~/start)"),
    Param("chunk_fps", 0.0, "Rate of the action steps; 0 = the checkpoint's fps", min=0.0),
    Param("max_new_tokens", 64, "Longest generated text, in tokens", min=1, max=2048),
    Param("temperature", 0.0, "Text sampling temperature (0 = greedy)", min=0.0),
    Param("top_p", 1.0, "Nucleus sampling threshold", min=0.0, max=1.0),
    Param("diagnostics_rate_hz", 1.0, "Rate of /diagnostics", min=0.1, max=10.0),
]

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)


def image_array(msg: Image) -> np.ndarray:
    """An rgb8/bgr8 Image as an HxWx3 uint8 RGB array (a view of the message's buffer where possible)."""
    if msg.encoding not in ("rgb8", "bgr8"):
        raise ValueError(f"image encoding {msg.encoding!r} is not supported; publish rgb8 or bgr8")
    rows = np.frombuffer(msg.data, dtype=np.uint8).reshape(msg.height, msg.step)
    image = rows[:, : msg.width * 3].reshape(msg.height, msg.width, 3)
    return image[:, :, ::-1] if msg.encoding == "bgr8" else image


def duration(seconds: float) -> Duration:
    ns = max(int(round(seconds * 1e9)), 0)
    return Duration(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


class PolicyNode(Node):
    """``policy``: a loaded policy to run instead of ``checkpoint`` (embedding, benchmarks)."""

    def __init__(self, policy: LanguagePolicy | None = None, **kwargs):
        super().__init__("policy_node", **kwargs)
        bridge_core_logging(self)
        self.p = p = declare(self, PARAMS)
        if policy is None and not p["checkpoint"]:
            raise ValueError("parameter checkpoint is empty: give a checkpoint folder or a Hub id")
        self.joint_names = [p["joint_prefix"] + n for n in robot_type(p["robot_type"]).joint_names]
        self.features = {f"observation.images.{name}": name for name in p["cameras"]}
        vqa = [c.strip() for c in p["vqa_cameras"].split(",") if c.strip()]
        unknown = sorted(set(vqa) - set(p["cameras"]))
        if unknown:
            raise ValueError(f"vqa_cameras names {', '.join(unknown)}, which are not in cameras {p['cameras']}")

        self.policy = policy or SmolVLA2LanguagePolicy.load(
            p["checkpoint"], device=p["device"], chunk_fps=p["chunk_fps"] or None,
            text=TextGeneration(max_new_tokens=p["max_new_tokens"], temperature=p["temperature"], top_p=p["top_p"]))
        missing = sorted(set(self.policy.image_features) - set(self.features))
        if missing:
            raise ValueError(f"the checkpoint needs images {', '.join(missing)}; add their camera names to cameras")

        self._lock = threading.Lock()
        self._images: dict[str, tuple[float, np.ndarray]] = {}
        self._state: tuple[float, np.ndarray] | None = None
        self._image_errors = 0

        self.subtask_pub = self.create_publisher(String, "subtask", LATCHED)
        self.plan_pub = self.create_publisher(String, "plan", LATCHED)
        self.memory_pub = self.create_publisher(String, "memory", LATCHED)
        self.say_pub = self.create_publisher(String, "say", 10)
        self.vqa_pub = self.create_publisher(String, "vqa/answer", 10)
        self.trajectory_pub = self.create_publisher(JointTrajectory, f"{p['controller_name']}/joint_trajectory", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)

        limits = self._joint_limits(robot_type(p["robot_type"]))
        config = RuntimeConfig(
            control_hz=p["control_rate_hz"], subtask_hz=p["subtask_rate_hz"], refill_s=p["refill_s"],
            blend_s=p["blend_s"], horizon_s=p["horizon_s"], heartbeat_timeout_s=p["heartbeat_timeout_s"],
            max_step_rad=p["max_relative_target"] or math.inf, memory=p["memory"], start_on_task=p["start_on_task"],
            vqa_cameras=tuple(f"observation.images.{name}" for name in vqa),
            joint_limits_rad=tuple(map(tuple, limits)) if limits is not None else ())
        self.runtime = HierarchicalRuntime(self.policy, config, self._observe, self)

        inputs = MutuallyExclusiveCallbackGroup()
        for feature, name in self.features.items():
            self.create_subscription(Image, f"{name}/image_raw", lambda msg, f=feature: self._on_image(f, msg),
                                     qos_profile_sensor_data, callback_group=inputs)
        self.create_subscription(JointState, p["joint_states_topic"], self._on_joint_states, 10,
                                 callback_group=inputs)
        self.create_subscription(String, "task", self._on_task, 10)
        self.create_subscription(String, "user_input", self._on_user_input, 10)
        self.create_subscription(String, "vqa/query", self._on_query, 10)
        self.create_subscription(Empty, "heartbeat", lambda _: self.runtime.beat(), 10)
        self.create_service(Trigger, "~/start", lambda req, res: self._trigger(res, self.runtime.start))
        self.create_service(Trigger, "~/pause", lambda req, res: self._trigger(res, self.runtime.pause))
        self.create_service(Trigger, "~/stop", lambda req, res: self._trigger(res, self.runtime.stop))
        self.create_timer(1.0 / p["diagnostics_rate_hz"], self._publish_diagnostics)
        self.loop = FixedRateLoop(1.0 / p["control_rate_hz"], self.runtime.tick, name="policy-dispatch")
        self.finished = threading.Event()
        self.get_logger().info(
            f"policy {p['checkpoint']} on {p['device']}: {len(self.joint_names)} joints, cameras "
            f"{', '.join(p['cameras'])}, chunks at {self.policy.chunk_fps:g} fps dispatched at "
            f"{p['control_rate_hz']:g} Hz; heartbeat "
            f"{'off' if p['heartbeat_timeout_s'] == 0 else str(p['heartbeat_timeout_s']) + ' s'}; ready")

    def _joint_limits(self, rtype: RobotType) -> np.ndarray | None:
        """The follower's joint limits from its calibration, as robot_node computes them; None when
        no calibration is known (a real arm without calibration_id): robot_node still enforces them."""
        p = self.p
        simulated = is_sim_port(p["port"])
        if not (p["calibration_file"] or p["calibration_id"] or simulated or rtype.factory_calibration):
            self.get_logger().warning(
                "follower joint limits unknown (no calibration_id, calibration_file or simulated port): actions "
                "are not clamped to them, and robot_node rejects a trajectory that leaves them")
            return None
        calibration, _ = resolve_calibration(rtype, p["calibration_file"], p["calibration_id"],
                                             p["calibration_dir"], simulated)
        return joint_limits_rad(rtype, calibration)

    def start(self) -> None:
        self.runtime.start_worker()
        self.loop.start()

    # -- inputs -------------------------------------------------------------------------------------

    def _on_image(self, feature: str, msg: Image) -> None:
        try:
            image = image_array(msg)
        except ValueError as err:
            self._image_errors += 1
            if self._image_errors == 1:
                self.get_logger().error(f"{self.features[feature]}/image_raw: {err}")
            return
        with self._lock:
            self._images[feature] = (time.monotonic(), image)

    def _on_joint_states(self, msg: JointState) -> None:
        positions = dict(zip(msg.name, msg.position))
        if not all(n in positions for n in self.joint_names):
            return  # another robot's joint_states on the same topic
        with self._lock:
            self._state = (time.monotonic(), np.array([positions[n] for n in self.joint_names]))

    def _observe(self) -> Observation | None:
        now = time.monotonic()
        max_age = self.p["max_observation_age_s"]
        with self._lock:
            if self._state is None or now - self._state[0] > max_age:
                return None
            images = {}
            for feature in self.features:
                stamped = self._images.get(feature)
                if stamped is None or now - stamped[0] > max_age:
                    return None
                images[feature] = stamped[1]
            stamp, state = self._state
        return Observation(images, state, stamp)

    def _on_task(self, msg: String) -> None:
        self._accept("task", lambda: self.runtime.set_task(msg.data))

    def _on_user_input(self, msg: String) -> None:
        text = msg.data.strip()
        if text.endswith("?"):
            self._accept("user_input", lambda: self.runtime.ask(text))
        else:
            self._accept("user_input", lambda: self.runtime.interject(text))

    def _on_query(self, msg: String) -> None:
        self._accept("vqa/query", lambda: self.runtime.ask(msg.data))

    def _accept(self, topic: str, action) -> None:
        try:
            action()
        except ValueError as err:  # empty text
            self.get_logger().error(f"{topic}: {err}")

    @staticmethod
    def _trigger(response: Trigger.Response, action) -> Trigger.Response:
        response.message = action()
        response.success = True
        return response

    # -- RuntimeOutputs -------------------------------------------------------------------------------

    def subtask(self, text: str) -> None:
        self.get_logger().info(f"subtask: {text}")
        self.subtask_pub.publish(String(data=text))

    def plan(self, text: str) -> None:
        self.get_logger().info(f"plan: {text}")
        self.plan_pub.publish(String(data=text))

    def memory(self, text: str) -> None:
        self.get_logger().info(f"memory: {text}")
        self.memory_pub.publish(String(data=text))

    def say(self, text: str) -> None:
        self.get_logger().info(f"say: {text}")
        self.say_pub.publish(String(data=text))

    def vqa_answer(self, camera: str, question: str, answer: str) -> None:
        self.vqa_pub.publish(String(data=json.dumps({"camera": camera, "question": question, "answer": answer})))

    def trajectory(self, window: ActionSchedule, now_s: float) -> None:
        msg = JointTrajectory(joint_names=self.joint_names)
        msg.header.stamp = self.get_clock().now().to_msg()
        sent_s = time.monotonic()  # the stamp's moment on the monotonic clock of the schedule
        for t, positions in zip(window.times_s, window.positions):
            if t > sent_s:
                msg.points.append(JointTrajectoryPoint(positions=positions.tolist(),
                                                       time_from_start=duration(t - sent_s)))
        if msg.points:
            self.trajectory_pub.publish(msg)

    def hold(self) -> None:
        """An empty trajectory: robot_node (and joint_trajectory_controller) hold the present command."""
        msg = JointTrajectory(joint_names=self.joint_names)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.trajectory_pub.publish(msg)

    # -- diagnostics and shutdown ---------------------------------------------------------------------

    def _publish_diagnostics(self) -> None:
        values = self.runtime.snapshot()
        values["image_errors"] = str(self._image_errors)
        values["dispatch_overruns"] = str(self.loop.overruns)
        status = DiagnosticStatus(name=f"{self.get_name()}: runtime", hardware_id=self.p["checkpoint"])
        failure = self.runtime.failure
        if failure is not None:
            status.level, status.message = DiagnosticStatus.ERROR, f"model failed: {failure}"
            self.finished.set()
        elif values["mode"] == "running" and self.runtime.heartbeat.enabled and \
                not self.runtime.heartbeat.fresh(time.monotonic()):
            status.level, status.message = DiagnosticStatus.WARN, "operator heartbeat stale: the arm holds"
        elif int(values["rejected_texts"]):
            status.level, status.message = DiagnosticStatus.WARN, f"rejected generated text: {values['last_rejected']}"
        else:
            status.level, status.message = DiagnosticStatus.OK, values["mode"]
        status.values = [KeyValue(key=k, value=v) for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def shutdown(self) -> None:
        self.loop.stop()
        self.runtime.close()
        self.hold()
        if self.runtime.failure is not None:
            self.get_logger().fatal(f"the policy failed: {self.runtime.failure!r}")
            raise SystemExit(1)
        self.get_logger().info("stopped; the arm holds")


def main(args=None) -> None:
    # The executor thread handles inputs and services; the dispatch loop and the model have threads of their own.
    run_node(PolicyNode, "policy_node", (ValueError, FileNotFoundError, OSError), args)


if __name__ == "__main__":
    main()
