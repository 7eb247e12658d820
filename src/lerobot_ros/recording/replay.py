"""Replaying a dataset episode (ROS-free core of ``lerobot-ros replay``).

Two things come out of an episode:

* its **timeline**: every message an export would write (``export.episode_messages``: joints in
  radians, cameras, camera_info, language), serialized to CDR, with its time from the episode's
  start, for publishing on live topics at the recorded pace (or ``rate`` times it);
* its **action stream** in the follower's radians (the contract's ``action`` feature), which
  :class:`ArmReplay` turns into follower commands with teleoperation's safety rules
  (:class:`~lerobot_ros.teleop.teleop_session.TeleopSession`): nothing moves before the follower's present
  pose is known, the first commands ramp from it, every step and the command rate are bounded, and
  without a fresh heartbeat the arm holds and the episode's clock stops until the heartbeat is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dataset import DatasetReader
from ..robots.robot import joint_limits_rad
from ..robots.tables import robot_type
from ..teleop.teleop_session import Command, Phase, TeleopConfig, TeleopSession
from .config import FeatureConfig
from .contract import FeatureContract
from .export import EPOCH_NS, TYPESTORE, ExportOptions, episode_messages


@dataclass(frozen=True)
class TimedMessage:
    offset_s: float  # from the episode's first frame
    topic: str
    msgtype: str  # e.g. sensor_msgs/msg/JointState
    cdr: bytes  # serialized as rmw publishes it (CDR with its encapsulation header)


def episode_timeline(root: str | Path, episode: int, contract: FeatureContract,
                     options: ExportOptions = ExportOptions()) -> Iterator[TimedMessage]:
    """The episode's messages in time order, lazily (frames are decoded as they come)."""
    reader = DatasetReader(root)
    if not 0 <= episode < reader.num_episodes:
        raise ValueError(f"{root} has episodes 0-{reader.num_episodes - 1}; there is no episode {episode}")
    for topic, msgtype, log_ns, msg in episode_messages(reader, episode, contract, options):
        yield TimedMessage((log_ns - EPOCH_NS) * 1e-9, topic, msgtype, bytes(TYPESTORE.serialize_cdr(msg, msgtype)))


@dataclass(frozen=True)
class ActionStream:
    """The episode's actions in the follower's radians, one row per frame at ``1 / fps`` apart."""

    feature: FeatureConfig
    joints: tuple[str, ...]
    radians: np.ndarray  # (frames, joints)
    fps: int

    @property
    def duration_s(self) -> float:
        return len(self.radians) / self.fps

    def at(self, t_s: float) -> np.ndarray:
        """The action of the frame at or before ``t_s`` (held after the last)."""
        return self.radians[min(max(int(t_s * self.fps + 1e-9), 0), len(self.radians) - 1)]


def action_stream(root: str | Path, episode: int, contract: FeatureContract, key: str = "action") -> ActionStream:
    config = contract.config
    try:
        feature = config.feature(key)
    except KeyError:
        raise ValueError(f"the contract has no {key!r} feature to send to the arm; its features: "
                         f"{list(config.keys)}") from None
    if feature.type not in ("joint_state", "joint_trajectory") or feature.field != "position":
        raise ValueError(f"{key} is {feature.type} ({feature.field}), not joint positions: it cannot drive an arm")
    # The arm's joints only: a base part (LeKiwi's velocities) is not replayed to the robot.
    values, _ = feature.split(DatasetReader(root).episode_columns(episode)[key].astype(np.float64))
    units = contract.joint_units(feature)
    radians = np.stack([units.to_radians(v) for v in values]) if units is not None else values
    return ActionStream(feature, feature.joints, radians, config.fps)


class ArmReplay:
    """An action stream played to a follower under teleoperation's safety rules; clocked by the
    caller (``now_s``), no ROS. The episode's clock runs only while commands flow."""

    def __init__(self, actions: ActionStream, limits_rad: np.ndarray, heartbeat_timeout_s: float,
                 config: TeleopConfig = TeleopConfig(), rate: float = 1.0):
        self.actions = actions
        self.session = TeleopSession(list(actions.joints), limits_rad, config)
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.rate = rate
        self.episode_s = 0.0
        self._last_tick_s: float | None = None
        self._heartbeat_s: float | None = None

    @classmethod
    def for_contract(cls, actions: ActionStream, contract: FeatureContract, heartbeat_timeout_s: float,
                     config: TeleopConfig = TeleopConfig(), rate: float = 1.0) -> ArmReplay:
        """Limits from the follower's calibration, as robot_node computes them."""
        robot = contract.config.robot
        if robot is None or contract.calibration is None:
            raise ValueError("replaying to an arm needs the contract's robot and the arm's calibration "
                             "(--calibration-id / --calibration-file / --simulated)")
        rtype = robot_type(robot.type)
        all_limits = joint_limits_rad(rtype, contract.calibration)
        index = {name: i for i, name in enumerate(rtype.joint_names)}
        limits = np.stack([all_limits[index[robot.motor(j)]] for j in actions.joints])
        return cls(actions, limits, heartbeat_timeout_s, config, rate)

    @property
    def finished(self) -> bool:
        return self.episode_s >= self.actions.duration_s

    def on_heartbeat(self, now_s: float) -> None:
        self._heartbeat_s = now_s

    def on_follower_state(self, positions_rad, now_s: float) -> None:
        self.session.on_follower_state(positions_rad, now_s)

    def tick(self, now_s: float) -> Command | None:
        """The command for now (None: nothing to send). Without a fresh heartbeat the stream fails
        like a silent leader: the follower holds, then is told to stop."""
        elapsed = 0.0 if self._last_tick_s is None else max(0.0, now_s - self._last_tick_s)
        self._last_tick_s = now_s
        if self._heartbeat_s is None or now_s - self._heartbeat_s > self.heartbeat_timeout_s:
            return self.session.on_leader_failure("no heartbeat", now_s)
        command = self.session.on_leader(self.actions.at(self.episode_s), now_s)
        if self.session.phase is Phase.TRACKING:
            self.episode_s += elapsed * self.rate
        return command
