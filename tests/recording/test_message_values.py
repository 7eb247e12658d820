"""ROS messages -> sampler values (recording/message_values.py), on real message classes: rosbags'
Jazzy types, the objects the converter deserializes (rclpy messages have the same fields)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from rosbags.typesys import Stores, get_typestore

from lerobot_ros.recording.config import load_recording_config
from lerobot_ros.recording.message_values import (
    MessageValueError,
    check_message_type,
    feature_value,
    header_time_s,
)

STORE = get_typestore(Stores.ROS2_JAZZY)
T = STORE.types
CONFIG = load_recording_config({"fps": 10, "features": [
    {"key": "observation.state", "topic": "/js", "type": "joint_state", "joints": ["a", "b"], "field": "velocity"},
    {"key": "action", "topic": "/jt", "type": "joint_trajectory", "joints": ["b", "a"]},
    {"key": "observation.images.raw", "topic": "/raw", "type": "image", "height": 4, "width": 6},
    {"key": "observation.images.jpeg", "topic": "/c", "type": "compressed_image", "height": 4, "width": 6},
    {"key": "observation.force", "topic": "/f", "type": "float_array", "size": 3},
]})
STATE, ACTION, RAW, COMPRESSED, FORCE = CONFIG.features
RGB = (np.arange(4 * 6 * 3) * 3 % 256).astype(np.uint8).reshape(4, 6, 3)


def header(sec=5, nanosec=250_000_000):
    return T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec), frame_id="")


def image(encoding: str, pixels: np.ndarray, pad: int = 0):
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    step = rows.shape[1] + pad
    data = np.zeros((height, step), np.uint8)
    data[:, : rows.shape[1]] = rows
    return T["sensor_msgs/msg/Image"](header=header(), height=height, width=width, encoding=encoding,
                                       is_bigendian=0, step=step, data=data.reshape(-1))


def test_joint_states_are_picked_by_name_from_the_configured_field():
    msg = T["sensor_msgs/msg/JointState"](header=header(), name=["b", "x", "a"], position=np.array([1.0, 2, 3]),
                                          velocity=np.array([0.1, 0.2, 0.3]), effort=np.array([]))
    np.testing.assert_array_equal(feature_value(STATE, msg), np.float32([0.3, 0.1]))
    assert header_time_s(msg) == 5.25
    short = T["sensor_msgs/msg/JointState"](header=header(), name=["a", "b"], position=np.array([1.0, 2]),
                                            velocity=np.array([0.1]), effort=np.array([]))
    with pytest.raises(MessageValueError, match="2 joint names but 1 velocity values"):
        feature_value(STATE, short)


def test_a_trajectory_gives_its_first_points_positions_and_needs_one():
    point = T["trajectory_msgs/msg/JointTrajectoryPoint"]
    duration = T["builtin_interfaces/msg/Duration"](sec=0, nanosec=0)
    points = [point(positions=np.array(p), velocities=np.array([]), accelerations=np.array([]),
                    effort=np.array([]), time_from_start=duration) for p in ([1.0, 2.0], [5.0, 6.0])]
    msg = T["trajectory_msgs/msg/JointTrajectory"](header=header(), joint_names=["a", "b"], points=points)
    np.testing.assert_array_equal(feature_value(ACTION, msg), np.float32([2.0, 1.0]))
    with pytest.raises(MessageValueError, match="has no points"):
        feature_value(ACTION, T["trajectory_msgs/msg/JointTrajectory"](header=header(), joint_names=["a", "b"],
                                                                        points=[]))
    one = point(positions=np.array([1.0]), velocities=np.array([]), accelerations=np.array([]), effort=np.array([]),
                time_from_start=duration)
    partial = T["trajectory_msgs/msg/JointTrajectory"](header=header(), joint_names=["a"], points=[one])
    with pytest.raises(MessageValueError, match=r"joints \['b'\] are not in the message on /jt"):
        feature_value(ACTION, partial)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8", "mono8"])
def test_raw_images_become_rgb(encoding):
    pixels = {"rgb8": RGB, "bgr8": RGB[..., ::-1], "rgba8": np.dstack([RGB, np.full((4, 6), 9, np.uint8)]),
              "bgra8": np.dstack([RGB[..., ::-1], np.full((4, 6), 9, np.uint8)]), "mono8": RGB[..., 0]}[encoding]
    expected = np.repeat(RGB[..., :1], 3, axis=2) if encoding == "mono8" else RGB
    # rows padded past width * channels, as drivers with aligned strides publish them
    np.testing.assert_array_equal(feature_value(RAW, image(encoding, np.ascontiguousarray(pixels), pad=4)), expected)


def test_unsupported_and_mis_sized_images_are_refused():
    with pytest.raises(MessageValueError, match="encoding '16UC1' is not supported"):
        feature_value(RAW, image("16UC1", RGB[..., :2]))
    with pytest.raises(MessageValueError, match="has 3x4 images, the config says 6x4"):
        feature_value(RAW, image("rgb8", RGB[:, :3]))


def test_compressed_png_and_jpeg_decode_to_rgb_and_garbage_is_refused():
    compressed = T["sensor_msgs/msg/CompressedImage"]
    _, png = cv2.imencode(".png", cv2.cvtColor(RGB, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(feature_value(COMPRESSED, compressed(header=header(), format="png", data=png)), RGB)
    flat = np.full((4, 6, 3), (200, 100, 50), np.uint8)
    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(flat, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    decoded = feature_value(COMPRESSED, compressed(header=header(), format="jpeg", data=jpeg)).astype(int)
    assert np.abs(decoded - flat).max() <= 3
    with pytest.raises(MessageValueError, match="could not be decoded as JPEG or PNG"):
        feature_value(COMPRESSED, compressed(header=header(), format="jpeg", data=np.arange(50, dtype=np.uint8)))


def test_numeric_topics_read_data_and_check_its_size():
    multi = T["std_msgs/msg/Float64MultiArray"]
    layout = T["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0)
    np.testing.assert_array_equal(feature_value(FORCE, multi(layout=layout, data=np.array([1.0, 2, 3]))),
                                  np.float32([1, 2, 3]))
    with pytest.raises(MessageValueError, match="2 values on /f, the config says size 3"):
        feature_value(FORCE, multi(layout=layout, data=np.array([1.0, 2])))
    with pytest.raises(MessageValueError, match="has no 'data' field"):
        feature_value(FORCE, header())
    assert header_time_s(multi(layout=layout, data=np.array([1.0]))) is None


def test_message_types_are_checked_against_the_feature_type():
    check_message_type(STATE, "sensor_msgs/msg/JointState")
    check_message_type(FORCE, "anything_msgs/msg/WithData")
    with pytest.raises(MessageValueError, match="carries sensor_msgs/msg/Image, but type 'compressed_image' reads "
                                                "sensor_msgs/msg/CompressedImage"):
        check_message_type(COMPRESSED, "sensor_msgs/msg/Image")
