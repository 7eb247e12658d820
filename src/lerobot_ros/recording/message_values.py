"""ROS messages -> the values a ``CausalSampler`` takes, for every feature type of the config.

Duck-typed on the message fields, so the same functions read messages deserialized by ``rosbags``
(bag conversion: arrays are numpy) and by rclpy (live recording: arrays are ``array.array`` or
bytes). Every mismatch between a message and the config (a joint the message lacks, an image of
another size, an encoding we cannot turn into RGB) raises ``MessageValueError`` naming the feature
and the fix, never a silently wrong value.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import BASE_NAMES, FeatureConfig
from ..robots.omni_base import BodyVelocity

# Raw image encodings (sensor_msgs/Image) we turn into RGB, with their channel count.
_RAW_CHANNELS = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "8UC1": 1, "8UC3": 3}
_TO_RGB = {"bgr8": cv2.COLOR_BGR2RGB, "rgba8": cv2.COLOR_RGBA2RGB, "bgra8": cv2.COLOR_BGRA2RGB,
           "mono8": cv2.COLOR_GRAY2RGB, "8UC1": cv2.COLOR_GRAY2RGB, "8UC3": cv2.COLOR_BGR2RGB}
# Message types each feature type reads (ROS 2 names); float_array takes any message with ``data``.
EXPECTED_TYPES = {
    "joint_state": ("sensor_msgs/msg/JointState",),
    "joint_trajectory": ("trajectory_msgs/msg/JointTrajectory",),
    "image": ("sensor_msgs/msg/Image",),
    "compressed_image": ("sensor_msgs/msg/CompressedImage",),
    "odometry": ("nav_msgs/msg/Odometry",),
    "twist": ("geometry_msgs/msg/Twist",),
    "twist_stamped": ("geometry_msgs/msg/TwistStamped",),
}


class MessageValueError(ValueError):
    """A message cannot fill its feature; the text names the feature, the problem and the fix."""


def check_message_type(feature: FeatureConfig, msgtype: str) -> None:
    """Refuse a topic whose message type cannot fill ``feature`` (before reading any message)."""
    expected = EXPECTED_TYPES.get(feature.type)
    if expected is not None and msgtype not in expected:
        raise MessageValueError(
            f"feature {feature.key!r}: topic {feature.topic} carries {msgtype}, but type "
            f"{feature.type!r} reads {' or '.join(expected)}; fix the topic or the type in the config")


def header_time_s(msg: object) -> float | None:
    """``header.stamp`` in seconds, or None for a message without a header."""
    header = getattr(msg, "header", None)
    if header is None:
        return None
    return header.stamp.sec + header.stamp.nanosec * 1e-9


def feature_value(feature: FeatureConfig, msg: object) -> np.ndarray:
    """The sampler value of ``msg``: a float32 vector in the config's order, or an RGB uint8 image."""
    if feature.type == "joint_state":
        return _by_joint(feature, list(msg.name), getattr(msg, feature.field), feature.field)
    if feature.type == "joint_trajectory":
        return _trajectory_positions(feature, msg)
    if feature.type == "image":
        return _checked_size(feature, raw_image_rgb(feature, msg))
    if feature.type == "compressed_image":
        return _checked_size(feature, compressed_image_rgb(feature, msg))
    if feature.type == "odometry":
        return base_velocity(msg.twist.twist)
    if feature.type == "twist":
        return base_velocity(msg)
    if feature.type == "twist_stamped":
        return base_velocity(msg.twist)
    return _numeric(feature, msg)


def base_velocity(twist: object) -> np.ndarray:
    """A planar base_link twist (REP-103: m/s, rad/s) as LeRobot's LeKiwi records it: ``x.vel``,
    ``y.vel`` in m/s, ``theta.vel`` in deg/s (:meth:`BodyVelocity.to_lerobot`)."""
    lerobot = BodyVelocity(float(twist.linear.x), float(twist.linear.y), float(twist.angular.z)).to_lerobot()
    return np.array([lerobot[name] for name in BASE_NAMES], dtype=np.float32)


def body_velocity(lerobot: np.ndarray) -> BodyVelocity:
    """``base_velocity``'s inverse: LeRobot's ``x.vel``, ``y.vel``, ``theta.vel`` back to REP-103 units."""
    return BodyVelocity.from_lerobot(dict(zip(BASE_NAMES, np.asarray(lerobot, dtype=np.float64))))


def raw_image_rgb(feature: FeatureConfig, msg: object) -> np.ndarray:
    encoding = msg.encoding
    channels = _RAW_CHANNELS.get(encoding)
    if channels is None:
        raise MessageValueError(
            f"feature {feature.key!r}: image encoding {encoding!r} is not supported; publish one of "
            f"{sorted(_RAW_CHANNELS)} (depth and 16-bit images are not recorded as video)")
    data = np.frombuffer(memoryview(msg.data).cast("B"), dtype=np.uint8)
    rows = data[: msg.height * msg.step].reshape(msg.height, msg.step)
    pixels = rows[:, : msg.width * channels].reshape(msg.height, msg.width, channels)
    if encoding in _TO_RGB:
        return cv2.cvtColor(pixels, _TO_RGB[encoding])
    return np.ascontiguousarray(pixels)


def compressed_image_rgb(feature: FeatureConfig, msg: object) -> np.ndarray:
    """Decode a JPEG or PNG ``CompressedImage`` (as image_transport's compressed plugin writes it)."""
    data = np.frombuffer(memoryview(msg.data).cast("B"), dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise MessageValueError(
            f"feature {feature.key!r}: a CompressedImage with format {msg.format!r} ({data.size} bytes) "
            "could not be decoded as JPEG or PNG; check the camera's compression settings")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _checked_size(feature: FeatureConfig, rgb: np.ndarray) -> np.ndarray:
    if rgb.shape != feature.shape:
        raise MessageValueError(
            f"feature {feature.key!r}: topic {feature.topic} has {rgb.shape[1]}x{rgb.shape[0]} images, the "
            f"config says {feature.width}x{feature.height}; set width/height to the camera's size")
    return rgb


class MissingJoints(ValueError):
    """A message lacks joints that were asked for (``missing``), or its arrays disagree in length."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


def pick_joints(joints, names, values, what: str = "position") -> np.ndarray:
    """``values`` of ``joints``, in that order, from a message's parallel ``names``/``values`` arrays.

    The one joint picker of the package (recorder, converter, policy, teleop): JointState and
    JointTrajectory messages name their joints in any order and may carry other robots' joints.
    """
    names = list(names)
    values = np.asarray(values, dtype=np.float64)
    if len(values) != len(names):
        raise MissingJoints(f"the message has {len(names)} joint names but {len(values)} {what} values; the "
                            f"publisher must fill {what} for every joint", [])
    index = {name: i for i, name in enumerate(names)}
    missing = [joint for joint in joints if joint not in index]
    if missing:
        raise MissingJoints(f"joints {missing} are not in the message (it names {names})", missing)
    return values[[index[joint] for joint in joints]]


def _by_joint(feature: FeatureConfig, names: list[str], values, what: str) -> np.ndarray:
    try:
        return pick_joints(feature.joints, names, values, what).astype(np.float32)
    except MissingJoints as err:
        if not err.missing:
            raise MessageValueError(f"feature {feature.key!r}: {err}") from None
        raise MessageValueError(
            f"feature {feature.key!r}: joints {err.missing} are not in the message on {feature.topic} "
            f"(it names {list(names)}); fix 'joints' in the config") from None


def _trajectory_positions(feature: FeatureConfig, msg: object) -> np.ndarray:
    """The first point's positions: teleop and policy nodes publish one point per period, the
    target the arm is commanded to next."""
    if not msg.points:
        raise MessageValueError(f"feature {feature.key!r}: a JointTrajectory on {feature.topic} has no points")
    return _by_joint(feature, list(msg.joint_names), msg.points[0].positions, "position")


def _numeric(feature: FeatureConfig, msg: object) -> np.ndarray:
    data = getattr(msg, "data", None)
    if data is None:
        raise MessageValueError(
            f"feature {feature.key!r}: {type(msg).__name__} on {feature.topic} has no 'data' field; "
            "float_array reads std_msgs Float32/Float64 and their MultiArray messages")
    values = np.atleast_1d(np.asarray(data, dtype=np.float32))
    if values.shape != feature.shape:
        raise MessageValueError(
            f"feature {feature.key!r}: {values.size} values on {feature.topic}, the config says size "
            f"{feature.size}")
    return values
