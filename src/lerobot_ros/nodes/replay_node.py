"""The node behind ``lerobot-ros replay``: one dataset episode back on live topics, and optionally on
the arm (docs/datasets.md).

A thin adapter over :mod:`lerobot_ros.recording.replay`: every message of the episode's timeline is
published at its time from the start (times ``rate``; again from the start with ``loop``), beside
``/clock`` on the episode's own time (stamps start at 1700000000 s, so RViz and tools run with
``use_sim_time``). With ``to_robot`` the action stream goes to the follower's
``<controller>/joint_trajectory`` through :class:`~lerobot_ros.recording.replay.ArmReplay` (ramp from
the present pose, bounded steps, hold without a ``heartbeat``), and the recorded topics go under
``/replay`` so that they do not mix with the live robot's.
"""

from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass

from builtin_interfaces.msg import Duration, Time
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Empty
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..recording.contract import FeatureContract
from ..recording.export import EPOCH_NS, ExportOptions, episode_topics
from ..recording.message_values import MissingJoints, pick_joints
from ..recording.replay import ArmReplay, action_stream, episode_timeline
from .fixed_rate_loop import FixedRateLoop

CONTROL_PERIOD_S = 0.01  # the publishing (and arm command) loop


@dataclass(frozen=True)
class ReplaySettings:
    root: str
    episode: int = 0
    rate: float = 1.0
    loop: bool = False
    compressed: bool = False
    namespace: str = "/"  # where the recorded topics go
    to_robot: bool = False
    controller: str = "arm_controller"  # with to_robot: <controller>/joint_trajectory
    joint_states_topic: str = "joint_states"  # with to_robot: the follower's live state
    heartbeat_timeout_s: float = 1.0
    start_delay_s: float = 1.0  # every topic is advertised this long before the first message, so subscribers match


def message_class(msgtype: str):
    package, _, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.msg"), name)


class ReplayNode(Node):
    def __init__(self, settings: ReplaySettings, contract: FeatureContract, **kwargs):
        super().__init__("lerobot_replay", **kwargs)
        self.settings, self.contract = settings, contract
        self.finished = threading.Event()
        self.options = ExportOptions(compressed=settings.compressed, namespace=settings.namespace)
        self._topic_publishers = {topic: self._advertise(topic, msgtype)
                                  for topic, msgtype in episode_topics(contract, self.options).items()}
        self.clock_pub = self.create_publisher(Clock, "/clock", 10)
        self.arm: ArmReplay | None = None
        if settings.to_robot:
            actions = action_stream(settings.root, settings.episode, contract)
            self.arm = ArmReplay.for_contract(actions, contract, settings.heartbeat_timeout_s, rate=settings.rate)
            self.command_pub = self.create_publisher(JointTrajectory, f"{settings.controller}/joint_trajectory", 10)
            self.create_subscription(JointState, settings.joint_states_topic, self._on_joint_states, 10)
            self.create_subscription(Empty, "heartbeat", lambda _: self.arm.on_heartbeat(time.monotonic()), 10)
        self._restart(delay_s=settings.start_delay_s)
        self.loop = FixedRateLoop(CONTROL_PERIOD_S, self._tick, name="replay-loop")

    def start(self) -> None:
        self.loop.start()

    def _restart(self, delay_s: float = 0.0) -> None:
        self._timeline = episode_timeline(self.settings.root, self.settings.episode, self.contract, self.options)
        self._next = next(self._timeline, None)
        self._started_s = time.monotonic() + delay_s

    def _episode_s(self, now_s: float) -> float:
        if self.arm is not None:
            return self.arm.episode_s  # runs only while the arm is commanded
        return max(0.0, now_s - self._started_s) * self.settings.rate

    def _tick(self, now: float) -> None:
        if now < self._started_s:
            return  # subscribers are still matching
        if self.arm is not None:
            command = self.arm.tick(now)
            if command is not None:
                self._command(command)
        episode_s = self._episode_s(now)
        while self._next is not None and self._next.offset_s <= episode_s:
            self._topic_publishers[self._next.topic].publish(self._next.cdr)
            self._next = next(self._timeline, None)
        stamp = EPOCH_NS + round(episode_s * 1e9)
        self.clock_pub.publish(Clock(clock=Time(sec=stamp // 10**9, nanosec=stamp % 10**9)))
        if self._next is None and (self.arm is None or self.arm.finished):
            if self.settings.loop and self.arm is None:
                self._restart()
            else:
                self.finished.set()

    def _advertise(self, topic: str, msgtype: str):
        # Images as camera_node publishes them (sensor-data QoS, best effort); the rest reliable.
        qos = qos_profile_sensor_data if msgtype.endswith("Image") else QoSProfile(depth=100)
        return self.create_publisher(message_class(msgtype), topic, qos)

    def _command(self, command) -> None:
        msg = JointTrajectory(joint_names=list(self.arm.actions.joints))
        if not command.stop:  # an empty trajectory is robot_node's stop-and-hold
            msg.points = [JointTrajectoryPoint(positions=command.positions_rad.tolist(),
                                               time_from_start=Duration(nanosec=int(2 * CONTROL_PERIOD_S * 1e9)))]
        self.command_pub.publish(msg)

    def _on_joint_states(self, msg: JointState) -> None:
        try:
            positions = pick_joints(self.arm.actions.joints, msg.name, msg.position)
        except MissingJoints:
            return  # another robot's joint_states on the topic
        self.arm.on_follower_state(positions, time.monotonic())

    def shutdown(self) -> None:
        self.loop.stop()
