"""policy_node: the hierarchical SmolVLA2 policy, or any LeRobot policy, on ROS 2 (docs/policy.md).

Reads its inputs as the checkpoint's feature contract says (``lerobot_ros.json``: the topic, joints
and units each feature was recorded from; :mod:`lerobot_ros.runtime.policy_io`), plus ``task``,
``user_input`` (an interjection; a trailing ``?`` makes it a question), ``vqa/query`` and the
operator ``heartbeat``; publishes ``subtask``, ``plan`` and ``memory`` (latched), ``say``,
``vqa/answer`` (JSON per camera), action chunks on the action feature's topic (radians, the
follower's joint names) and ``/diagnostics``; serves ``~/start``, ``~/pause`` and ``~/stop``
(std_srvs/Trigger). A contract topic is moved with ordinary ROS remapping (``-r from:=to``). A flat
LeRobot policy (ACT, Diffusion, ...; :mod:`lerobot_ros.runtime.backends` picks it) has no language
topics: only ``task``, ``heartbeat``, the contract's inputs and actions.

All decisions live in :mod:`lerobot_ros.runtime` and the contract; this file only adapts messages.
"""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Empty, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..recording.config import FeatureConfig
from ..recording.contract import FeatureContract, needs_calibration
from ..recording.message_values import MessageValueError
from .fixed_rate_loop import FixedRateLoop
from ..robots.robot import joint_limits_rad
from ..robots.setup import resolve_calibration
from ..robots.tables import RobotType, robot_type
from ..runtime.health import runtime_health
from ..runtime.policy import LanguagePolicy, Observation
from ..runtime.policy_io import LatestInputs, PolicyFeatures, RadianActions, StaleInput, default_contract
from ..runtime.runtime import RTC, HierarchicalRuntime, Mode, RuntimeConfig
from ..robots.ports import is_sim_port
from ..runtime.schedule import ActionSchedule
from ..runtime.backends import checkpoint_contract, load_policy
from ..runtime.smolvla2_policy import TextGeneration
from ..policies.rtc import RTCConfig
from .diagnostics import diagnostic_status
from .log_bridge import bridge_core_logging
from .parameters import declare
from .runner import run_node
from ..node_params.policy_node import PARAMS


LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
STALE_LOG_PERIOD_S = 5.0  # while an input stays stale, it is logged again this often
MESSAGE_TYPES = {"joint_state": JointState, "image": Image, "compressed_image": CompressedImage,
                 "odometry": Odometry, "twist": Twist, "twist_stamped": TwistStamped}


def duration(seconds: float) -> Duration:
    ns = max(int(round(seconds * 1e9)), 0)
    return Duration(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


class PolicyNode(Node):
    """``policy``: a loaded policy to run instead of ``checkpoint`` (embedding, benchmarks, tests)."""

    def __init__(self, policy: LanguagePolicy | None = None, **kwargs):
        super().__init__("policy_node", **kwargs)
        bridge_core_logging(self)
        self.p = p = declare(self, PARAMS)
        if policy is None and not p["checkpoint"]:
            raise ValueError("parameter checkpoint is empty: give a checkpoint folder or a Hub id")
        model = policy or load_policy(
            p["checkpoint"], p["backend"], device=p["device"], chunk_fps=p["chunk_fps"] or None,
            text=TextGeneration(max_new_tokens=p["max_new_tokens"], temperature=p["temperature"], top_p=p["top_p"]),
            robot_type=p["robot_type"], rtc=self._rtc_config())
        contract, source = self._contract(model)
        self.features = PolicyFeatures(contract, model.image_features)
        self.policy = RadianActions(model, self.features)
        self.joint_names = list(self.features.action_joints)
        vqa = [c.strip() for c in p["vqa_cameras"].split(",") if c.strip()]
        unknown = sorted(set(f"observation.images.{c}" for c in vqa) - set(model.image_features))
        if unknown:
            raise ValueError(f"vqa_cameras names {', '.join(unknown)}, which the policy does not read "
                             f"(it reads {', '.join(model.image_features)})")

        if self.policy.talks:  # a flat policy (LeRobot's ACT, ...) offers no language topics
            self.subtask_pub = self.create_publisher(String, "subtask", LATCHED)
            self.plan_pub = self.create_publisher(String, "plan", LATCHED)
            self.memory_pub = self.create_publisher(String, "memory", LATCHED)
            self.say_pub = self.create_publisher(String, "say", 10)
            self.vqa_pub = self.create_publisher(String, "vqa/answer", 10)
        self.trajectory_pub = self.create_publisher(JointTrajectory, self.features.action.topic, 10)
        base = self.features.action.base  # LeKiwi: the action's base velocity goes to cmd_vel
        self.cmd_vel_pub = self.create_publisher(MESSAGE_TYPES[base.type], base.topic, 10) if base else None
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)

        limits = self._joint_limits(contract)
        config = RuntimeConfig(
            control_hz=p["control_rate_hz"], subtask_hz=p["subtask_rate_hz"], refill_s=p["refill_s"],
            blend_s=p["blend_s"], chunk_blending=p["chunk_blending"], horizon_s=p["horizon_s"], heartbeat_timeout_s=p["heartbeat_timeout_s"],
            max_step_rad=p["max_relative_target"] or math.inf, memory=p["memory"], start_on_task=p["start_on_task"],
            vqa_cameras=tuple(f"observation.images.{name}" for name in vqa),
            joint_limits_rad=tuple(map(tuple, limits)) if limits is not None else (),
            base_columns=self.features.base_columns)
        self.runtime = HierarchicalRuntime(self.policy, config, self._observe, self, on_failure=self._model_failed)

        inputs = MutuallyExclusiveCallbackGroup()
        self.topics: dict[str, str] = {}  # feature key -> its resolved topic (namespace, remapping)
        for feature in self.features.inputs:
            qos = qos_profile_sensor_data if feature.is_image else 10
            sub = self.create_subscription(MESSAGE_TYPES[feature.type], feature.topic,
                                           lambda msg, f=feature: self._on_input(f, msg), qos, callback_group=inputs)
            self.topics[feature.key] = sub.topic_name
        self.inputs = LatestInputs(self.features, time.monotonic(), self.policy.observation_steps,
                                   1.0 / self.policy.chunk_fps)
        self._input_errors: dict[str, int] = {}
        self._stale_logged: dict[str, float] = {}  # feature key -> when its staleness was last logged
        self.create_subscription(String, "task", self._on_task, 10)
        if self.policy.talks:
            self.create_subscription(String, "user_input", self._on_user_input, 10)
            self.create_subscription(String, "vqa/query", self._on_query, 10)
        self.create_subscription(Empty, "heartbeat", lambda _: self.runtime.beat(), 10)
        self.create_service(Trigger, "~/start", lambda req, res: self._trigger(res, self.runtime.start))
        self.create_service(Trigger, "~/pause", lambda req, res: self._trigger(res, self.runtime.pause))
        self.create_service(Trigger, "~/stop", lambda req, res: self._trigger(res, self.runtime.stop))
        self.create_timer(1.0 / p["diagnostics_rate_hz"], self._publish_diagnostics)
        self.create_timer(0.2, self._log_stale_inputs)
        self.loop = FixedRateLoop(1.0 / p["control_rate_hz"], self.runtime.tick, name="policy-dispatch")
        self.finished = threading.Event()
        wiring = "; ".join(f"{f.key} <- {self.topics[f.key]}" for f in self.features.inputs)
        self.get_logger().info(
            f"policy {p['checkpoint']} on {p['device']}, feature contract: {source}; {wiring}; actions "
            f"({self.features.action.units} -> radians) -> {self.trajectory_pub.topic_name}"
            f"{f', base velocity -> {self.cmd_vel_pub.topic_name}' if self.cmd_vel_pub else ''}; chunks at "
            f"{self.policy.chunk_fps:g} fps dispatched at {p['control_rate_hz']:g} Hz; heartbeat "
            f"{'off' if p['heartbeat_timeout_s'] == 0 else str(p['heartbeat_timeout_s']) + ' s'}; ready")

    def _rtc_config(self) -> RTCConfig | None:
        """Real-time chunking's guidance settings; None with the cross-fade (nothing is guided)."""
        if self.p["chunk_blending"] != RTC:
            return None
        return RTCConfig(execution_horizon=self.p["rtc_execution_horizon"],
                         max_guidance_weight=self.p["rtc_max_guidance_weight"])

    def _contract(self, model: LanguagePolicy) -> tuple[FeatureContract, str]:
        """The checkpoint's contract (or contract_file), bound to the follower's calibration; without
        one, the contract LeRobot would have recorded (units parameter, historical topics)."""
        p = self.p
        path = p["contract_file"]
        if not path and p["checkpoint"]:
            path = str(checkpoint_contract(p["checkpoint"]) or "")
        saved = FeatureContract.load(path) if path else None
        robot = saved.config.robot if saved is not None else None
        rtype = robot_type(robot.type if robot is not None else p["robot_type"])
        self._prefix = robot.joint_prefix if robot is not None else p["joint_prefix"]
        self._rtype, self._calibration = rtype, self._follower_calibration(rtype)
        if saved is None:
            shapes = {key: model.image_shapes[key] for key in model.image_features}
            units = p["units"]
            try:
                return default_contract(rtype.name, self._prefix, units, shapes, p["controller_name"],
                                        p["max_observation_age_s"], model.chunk_fps, self._calibration), (
                    f"none in the checkpoint: {rtype.name} in {units} units (parameter units)")
            except ValueError as err:
                raise ValueError(f"a checkpoint without a feature contract, in {units} units: {err}") from None
        if needs_calibration(saved.config) and self._calibration is None:
            feature = next(f for f in saved.config.features if f.type.startswith("joint") and f.units != "radians")
            raise ValueError(f"{path}: the policy takes {feature.key} in {feature.units}; converting the "
                             f"follower's radians needs its calibration: set calibration_id or calibration_file "
                             "(as robot_node takes them), or port for a simulated arm")
        return FeatureContract(saved.config, self._calibration), path

    def _follower_calibration(self, rtype: RobotType):
        """The follower's calibration as robot_node finds it; None when none is known (a real arm
        without calibration_id)."""
        p = self.p
        simulated = is_sim_port(p["port"])
        if not (p["calibration_file"] or p["calibration_id"] or simulated or rtype.factory_calibration):
            return None
        calibration, _ = resolve_calibration(rtype, p["calibration_file"], p["calibration_id"],
                                             p["calibration_dir"], simulated)
        return calibration

    def _joint_limits(self, contract: FeatureContract) -> np.ndarray | None:
        """The follower's joint limits in action order, from its calibration as robot_node computes
        them; None when no calibration is known: robot_node still enforces them."""
        if self._calibration is None:
            self.get_logger().warning(
                "follower joint limits unknown (no calibration_id, calibration_file or simulated port): actions "
                "are not clamped to them, and robot_node rejects a trajectory that leaves them")
            return None
        limits = dict(zip((self._prefix + n for n in self._rtype.joint_names),
                          joint_limits_rad(self._rtype, self._calibration)))
        strangers = [j for j in self.joint_names if j not in limits]
        if strangers:
            self.get_logger().warning(f"action joints {strangers} are not joints of {self._rtype.name}: actions are "
                                      "not clamped to joint limits")
            return None
        return np.array([limits[j] for j in self.joint_names])

    def start(self) -> None:
        self.runtime.start_worker()
        self.loop.start()

    # -- inputs -------------------------------------------------------------------------------------

    def _on_input(self, feature: FeatureConfig, msg) -> None:
        try:
            self.inputs.put(feature, msg, time.monotonic())
        except MessageValueError as err:
            errors = self._input_errors[feature.key] = self._input_errors.get(feature.key, 0) + 1
            if errors == 1:
                self.get_logger().error(f"{self.topics[feature.key]}: {err}")

    def _observe(self) -> Observation | None:
        return self.inputs.observe(time.monotonic())

    def _log_stale_inputs(self) -> None:
        """Log an input once it goes stale (again every STALE_LOG_PERIOD_S) and once it is back."""
        now = time.monotonic()
        stale = {s.key: s for s in self.inputs.stale(now)}
        for key in list(self._stale_logged):
            if key not in stale:
                del self._stale_logged[key]
                self.get_logger().info(f"{key} from {self.topics[key]} is back")
        if self.runtime.mode is not Mode.RUNNING:
            return
        for key, item in stale.items():
            if now - self._stale_logged.get(key, -math.inf) >= STALE_LOG_PERIOD_S:
                self._stale_logged[key] = now
                self.get_logger().warning(f"{self._describe(item)}: the arm holds until it is fresh")

    def _describe(self, item: StaleInput) -> str:
        limit = self.features.contract.config.stream(item.key).max_age_s
        seen = "nothing received yet" if item.age_s is None else f"last message {item.age_s:.2f} s ago"
        return f"{item.key} from {self.topics[item.key]} is stale ({seen}, max_age_s {limit:g})"

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
        """The window's joint positions as one trajectory; a base's velocity of the window's first
        (next due) step as a cmd_vel, which robot_node follows for its base_command_timeout_s."""
        joints, base = self.features.split_command(window.positions)
        msg = JointTrajectory(joint_names=self.joint_names)
        msg.header.stamp = self.get_clock().now().to_msg()
        sent_s = time.monotonic()  # the stamp's moment on the monotonic clock of the schedule
        for t, positions in zip(window.times_s, joints):
            if t > sent_s:
                msg.points.append(JointTrajectoryPoint(positions=positions.tolist(),
                                                       time_from_start=duration(t - sent_s)))
        if msg.points:
            self.trajectory_pub.publish(msg)
        if base is not None:
            self._send_base(*base)

    def hold(self) -> None:
        """An empty trajectory: robot_node (and joint_trajectory_controller) hold the present command;
        a base is told to stand (a zero cmd_vel)."""
        msg = JointTrajectory(joint_names=self.joint_names)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.trajectory_pub.publish(msg)
        if self.cmd_vel_pub is not None:
            self._send_base(0.0, 0.0, 0.0)

    def _send_base(self, x_m_s: float, y_m_s: float, theta_rad_s: float) -> None:
        twist = Twist()
        twist.linear.x, twist.linear.y, twist.angular.z = x_m_s, y_m_s, theta_rad_s
        if self.features.action.base.type == "twist_stamped":
            stamped = TwistStamped(twist=twist)
            stamped.header.stamp = self.get_clock().now().to_msg()
            self.cmd_vel_pub.publish(stamped)
        else:
            self.cmd_vel_pub.publish(twist)

    # -- diagnostics and shutdown ---------------------------------------------------------------------

    def _model_failed(self, err: BaseException) -> None:
        """The model raised (on the runtime's worker thread, the arm already held): report it and end the
        node now, as camera_node does when its camera fails, not at the next diagnostics tick."""
        self._publish_diagnostics()

    def _publish_diagnostics(self) -> None:
        values = self.runtime.snapshot()
        values["input_errors"] = str(sum(self._input_errors.values()))
        values["dispatch_overruns"] = str(self.loop.overruns)
        stale = self.inputs.stale(time.monotonic())
        values["stale_inputs"] = ", ".join(s.key for s in stale)
        for key, topic in self.topics.items():
            values[f"topic.{key}"] = topic
        failure, heartbeat = self.runtime.failure, self.runtime.heartbeat
        health = runtime_health(
            values["mode"], failure, [self._describe(s) for s in stale], stale[0].stale_for_s if stale else 0.0,
            values["mode"] == "running" and heartbeat.enabled and not heartbeat.fresh(time.monotonic()),
            values["last_rejected"] if int(values["rejected_texts"]) else None)
        if failure is not None:
            self.finished.set()
        array = DiagnosticArray(status=[diagnostic_status(f"{self.get_name()}: runtime", self.p["checkpoint"],
                                                          health, values)])
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
