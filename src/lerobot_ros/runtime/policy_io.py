"""The policy's inputs and outputs from its feature contract, without ROS (docs/policy.md).

The checkpoint carries the contract its dataset was recorded with (``lerobot_ros.json``: which topic
filled each feature, which joints, in which units). policy_node feeds the policy through it:

* every input feature (``observation.state`` and the policy's cameras) is converted from its
  message by :meth:`FeatureContract.value`, the recorder's own conversion (every image encoding, raw
  or compressed; joints picked by name, in the contract's units), and is stale once older than the
  feature's ``max_age_s``;
* the policy's actions are in the ``action`` feature's units and go back to radians of its joints
  (:class:`RadianActions`) before the runtime clamps them into the follower's joint limits.

A LeKiwi's state and action end with the base's velocity (the contract's ``base`` part: LeRobot's
``x.vel``, ``y.vel`` in m/s, ``theta.vel`` in deg/s). The state's comes from its own topic (odom),
an input that goes stale by itself; the action's columns go to the runtime in REP-103 units (m/s,
rad/s) after the joints', and :meth:`PolicyFeatures.split_command` splits a dispatched row into the
arm's joint positions and the Twist for cmd_vel.

A checkpoint trained elsewhere has no contract: :func:`default_contract` builds the one LeRobot
would have recorded (its units for the robot type, policy_node's historical topics).
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..recording.config import (BASE_NAMES, COMMAND_TYPES, IMAGE_TYPES, FeatureConfig, RecordingConfigError,
                                load_recording_config)
from ..recording.contract import FeatureContract
from ..recording.message_values import MessageValueError, MissingJoints, body_velocity, pick_joints
from ..robots.omni_base import BodyVelocity
from ..robots.tables import robot_type
from ..robots.units import lerobot_default_units
from .policy import LanguagePolicy, Observation
from .schedule import RunningPrefix

STATE, ACTION = "observation.state", "action"
LEROBOT_UNITS = "lerobot"  # policy_node's units parameter: LeRobot 0.6's units for the robot type


def default_contract(rtype: str, joint_prefix: str, units: str, image_shapes: Mapping[str, Sequence[int]],
                     controller_name: str, max_age_s: float, fps: float, calibration=None) -> FeatureContract:
    """The contract of a checkpoint without one: the robot's joints on ``joint_states`` in ``units``
    (``lerobot``: as LeRobot 0.6 records the robot type), each camera ``observation.images.<name>`` on
    ``<name>/image_raw`` at the checkpoint's image size, actions to ``<controller_name>/joint_trajectory``;
    a robot with a base (LeKiwi) adds its velocity as LeRobot does, from ``odom`` and to ``cmd_vel``."""
    units = lerobot_default_units(robot_type(rtype)) if units == LEROBOT_UNITS else units
    joints = {"units": units, "max_age_s": max_age_s}
    features = [{"key": STATE, "topic": "joint_states", "type": "joint_state", **joints},
                {"key": ACTION, "topic": f"{controller_name}/joint_trajectory", "type": "joint_trajectory", **joints}]
    if robot_type(rtype).base is not None:
        features[0]["base"] = {"topic": "odom", "type": "odometry", "max_age_s": max_age_s}
        features[1]["base"] = {"topic": "cmd_vel", "type": "twist"}
    for key, (_, height, width) in image_shapes.items():
        camera = key.removeprefix("observation.images.")
        features.append({"key": key, "topic": f"{camera}/image_raw", "type": "image", "height": height,
                         "width": width, "max_age_s": max_age_s})
    config = load_recording_config({"fps": max(1, round(fps)), "robot": {"type": rtype, "joint_prefix": joint_prefix},
                                    "features": features, "language": False})
    return FeatureContract(config, calibration)


class PolicyFeatures:
    """Which feature of the contract the policy reads from which topic, and where its actions go."""

    def __init__(self, contract: FeatureContract, image_keys: Sequence[str]):
        self.contract = contract
        config = contract.config
        self.state = self._feature(STATE, ("joint_state",))
        self.action = self._feature(ACTION, ("joint_trajectory",))
        missing = [key for key in image_keys if key not in config.keys]
        if missing:
            cameras = [f.key for f in config.features if f.is_image]
            raise RecordingConfigError(
                f"the policy reads {missing}, which its feature contract does not record (it has {cameras}); "
                "give policy_node the contract of the dataset it was trained on (contract_file)")
        self.images = tuple(config.feature(key) for key in image_keys)
        for image in self.images:
            if image.type not in IMAGE_TYPES:
                raise RecordingConfigError(f"feature {image.key!r} is a {image.type}, not an image type")
        if self.action.base is not None and self.action.base.type not in COMMAND_TYPES:
            raise RecordingConfigError(f"the action's base part comes from {self.action.base.type} "
                                       f"({self.action.base.topic}); policy_node commands the base with a cmd_vel: "
                                       f"give it type {' or '.join(COMMAND_TYPES)}")
        self.inputs = (*self.state.streams, *self.images)  # the state's base (odom) is an input of its own
        self._action_units = contract.joint_units(self.action)

    def _feature(self, key: str, types: tuple[str, ...]) -> FeatureConfig:
        try:
            feature = self.contract.config.feature(key)
        except KeyError as err:
            raise RecordingConfigError(f"the feature contract has no {key!r}: {err.args[0]}") from None
        if feature.type not in types:
            raise RecordingConfigError(f"feature {key!r} comes from a {feature.type} topic ({feature.topic}); "
                                       f"policy_node needs {' or '.join(types)}")
        return feature

    @property
    def action_joints(self) -> tuple[str, ...]:
        return self.action.joints

    def actions_to_radians(self, chunk: np.ndarray) -> np.ndarray:
        """A (steps, columns) chunk in the action feature's units -> radians of its joints, followed
        (an action with a base) by the base's velocity in REP-103 units: x, y in m/s, theta in rad/s."""
        chunk = np.asarray(chunk, dtype=np.float64)
        if chunk.ndim != 2 or not len(chunk):
            return chunk
        joints, base = self.action.split(chunk)
        if self._action_units is not None:
            joints = np.stack([self._action_units.to_radians(step) for step in joints])
        if base is None:
            return joints
        return np.concatenate((joints, np.array([tuple(body_velocity(step)) for step in base])), axis=1)

    def actions_from_radians(self, rows: np.ndarray) -> np.ndarray:
        """``actions_to_radians``' inverse: rows in the runtime's units back into the action feature's
        (what real-time chunking hands the policy of its running chunk)."""
        rows = np.asarray(rows, dtype=np.float64)
        joints = len(self.action.joints)
        values = rows[:, :joints]
        if self._action_units is not None:
            values = np.stack([self._action_units.from_radians(step) for step in values])
        if self.action.base is None:
            return values
        lerobot = [BodyVelocity(*(float(v) for v in step)).to_lerobot() for step in rows[:, joints:]]
        return np.concatenate((values, np.array([[step[name] for name in BASE_NAMES] for step in lerobot])), axis=1)

    @property
    def base_columns(self) -> int:
        """Trailing action columns that are the base's velocity (0 without a base)."""
        return self.action.shape[0] - len(self.action.joints)

    def split_command(self, rows: np.ndarray) -> tuple[np.ndarray, BodyVelocity | None]:
        """Rows of the runtime's schedule (radians, then the base's velocity in REP-103 units) as the
        arm's joint positions per row and the base's velocity of the first row (None: no base)."""
        rows = np.asarray(rows, dtype=np.float64)
        joints = len(self.action.joints)
        if self.action.base is None or not len(rows):
            return rows[:, :joints], None
        return rows[:, :joints], BodyVelocity(*(float(v) for v in rows[0, joints:]))


def received_at(kept: Sequence[tuple[float, np.ndarray]], at_s: float) -> tuple[float, np.ndarray]:
    """The last of ``kept`` (stamped values, oldest first) received at or before ``at_s``; the
    oldest when none was."""
    before = [stamped for stamped in kept if stamped[0] <= at_s]
    return before[-1] if before else kept[0]


@dataclass(frozen=True)
class StaleInput:
    """An input feature the policy cannot use now: never received (``age_s`` None) or too old."""

    key: str
    age_s: float | None
    stale_for_s: float  # past its max_age_s by this long (since start when never received)


class LatestInputs:
    """The latest value of every input feature with its receive time (any thread).

    A policy that reads ``history_steps`` > 1 frames (LeRobot's Diffusion: ``n_obs_steps``) gets the
    earlier ones too, ``frame_interval_s`` apart (its dataset's frame interval) and ending at the
    present state's stamp: each feature as it was last received at each of those times, as the
    recorder sampled its dataset. Just after the start, when nothing that old was received, the
    earliest value stands in (LeRobot's policies repeat the first observation likewise).
    """

    def __init__(self, features: PolicyFeatures, start_s: float, history_steps: int = 1,
                 frame_interval_s: float = 0.0):
        if history_steps < 1 or (history_steps > 1 and frame_interval_s <= 0):
            raise ValueError(f"an observation history of {history_steps} frames {frame_interval_s} s apart: "
                             "it needs at least one frame and, for more, a positive interval")
        self.features = features
        self._start_s = start_s
        self._history_steps = history_steps
        self._frame_interval_s = frame_interval_s
        # kept back this long: the oldest frame is this far behind a state up to its max_age_s old
        self._keep_s = ((history_steps - 1) * frame_interval_s + max(f.max_age_s for f in features.inputs)
                        if history_steps > 1 else 0.0)
        self._lock = threading.Lock()
        self._values: dict[str, collections.deque[tuple[float, np.ndarray]]] = {}
        self._present_rad: np.ndarray | None = None
        self._present_base = np.zeros(features.base_columns)  # the base's velocity (REP-103), from the state's

    def put(self, feature: FeatureConfig, msg: object, now_s: float) -> None:
        """Convert ``msg`` as the recorder does and keep it; raises MessageValueError when it cannot
        fill ``feature`` (the text names the feature, the topic and the fix)."""
        value = self.features.contract.value(feature, msg)
        present = None
        if feature is self.features.state.base and self.features.base_columns:
            present_base = np.array(tuple(body_velocity(value)))
            with self._lock:
                self._present_base = present_base
        if feature is self.features.state:  # where the action's joints are now, for the per-step limit
            try:
                present = pick_joints(self.features.action_joints, msg.name, msg.position)
            except MissingJoints as err:
                raise MessageValueError(f"feature {feature.key!r}: the action's joints must be on {feature.topic} "
                                        f"(where the arm's present position comes from): {err}") from None
        with self._lock:
            kept = self._values.setdefault(feature.key, collections.deque())
            kept.append((now_s, value))
            while len(kept) > 1 and kept[1][0] <= now_s - self._keep_s:
                kept.popleft()  # the next one is old enough to stand for every frame before it
            if present is not None:
                self._present_rad = present

    def observe(self, now_s: float) -> Observation | None:
        """The observation (with its history, when one is kept), or None while any input is stale or
        missing."""
        with self._lock:
            kept = {key: tuple(values) for key, values in self._values.items()}
            present = self._present_rad
            present_base = self._present_base
        for feature in self.features.inputs:
            stamped = kept.get(feature.key)
            if not stamped or now_s - stamped[-1][0] > feature.max_age_s:
                return None
        latest = self._frame({key: values[-1] for key, values in kept.items()})
        if present is not None and len(present_base):
            present = np.concatenate((present, present_base))
        history = tuple(self._frame({key: received_at(values, latest.stamp_s - back * self._frame_interval_s)
                                     for key, values in kept.items()})
                        for back in range(self._history_steps - 1, 0, -1))
        return dataclasses.replace(latest, present_rad=present, history=history)

    def _frame(self, values: Mapping[str, tuple[float, np.ndarray]]) -> Observation:
        """The observation made of one stamped value per feature (stamped by its state's)."""
        stamp_s, state = values[STATE]
        if self.features.state.base is not None:  # LeKiwi: the joints, then the base's velocity (odom)
            state = np.concatenate((state, values[self.features.state.base.key][1]))
        return Observation({f.key: values[f.key][1] for f in self.features.images}, state, stamp_s)

    def stale(self, now_s: float) -> list[StaleInput]:
        """The inputs that keep the policy from observing, longest stale first."""
        with self._lock:
            values = {key: kept[-1] for key, kept in self._values.items()}
        stale = []
        for feature in self.features.inputs:
            stamped = values.get(feature.key)
            if stamped is None:
                stale.append(StaleInput(feature.key, None, now_s - self._start_s))
            elif now_s - stamped[0] > feature.max_age_s:
                age = now_s - stamped[0]
                stale.append(StaleInput(feature.key, age, age - feature.max_age_s))
        return sorted(stale, key=lambda s: -s.stale_for_s)


class RadianActions:
    """``policy`` with its action chunks in radians of the action's joints (the runtime's units)."""

    def __init__(self, policy: LanguagePolicy, features: PolicyFeatures):
        self.policy = policy
        self.features = features

    @property
    def talks(self) -> bool:
        return getattr(self.policy, "talks", True)

    @property
    def chunk_fps(self) -> float:
        return self.policy.chunk_fps

    @property
    def observation_steps(self) -> int:
        return int(getattr(self.policy, "observation_steps", 1))  # a policy that does not say reads one frame

    @property
    def image_features(self) -> list[str]:
        return self.policy.image_features

    @property
    def image_shapes(self):
        return self.policy.image_shapes

    def generate(self, messages, observation: Observation) -> str:
        return self.policy.generate(messages, observation)

    def action_chunk(self, messages, observation: Observation, rtc: RunningPrefix | None = None) -> np.ndarray:
        if rtc is None:
            return self.features.actions_to_radians(self.policy.action_chunk(messages, observation))
        prefix = RunningPrefix(self.features.actions_from_radians(rtc.actions), rtc.inference_delay)
        return self.features.actions_to_radians(self.policy.action_chunk(messages, observation, rtc=prefix))
