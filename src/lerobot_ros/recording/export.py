"""Datasets back to ROS: each episode of a LeRobotDataset v3.0 as a rosbag2 bag (MCAP or sqlite3).

The inverse of the bag converter, through the same feature contract: the dataset's
``meta/lerobot_ros.json`` says which topic, message type, joints and units each feature came from
(for a dataset recorded elsewhere, e.g. by LeRobot, :func:`contract_for` maps LeRobot's feature names
onto the usual topics). Per frame ``k`` of an episode, stamped ``start + k / fps``:

* joint features: ``sensor_msgs/JointState`` (positions, velocities or efforts) or a one-point
  ``trajectory_msgs/JointTrajectory``, back in radians through the arm's calibration;
* a base velocity (LeKiwi's ``x.vel``, ``y.vel``, ``theta.vel``, alone or after a joint feature's
  joints): ``nav_msgs/Odometry`` (the twist, and the pose integrated from it from the episode's
  start, as robot_node's dead reckoning would) or ``geometry_msgs/Twist(Stamped)`` on cmd_vel, in
  REP-103 units (rad/s);
* cameras: ``sensor_msgs/Image`` (rgb8) or ``CompressedImage`` (JPEG), with a ``CameraInfo`` beside
  them (the assumed pinhole of ``cameras.intrinsics``); ``float_array`` features as
  ``std_msgs/Float32MultiArray``;
* language rows as ``std_msgs/String`` on their topics: persistent rows (subtask, plan, memory) at
  the time they became active, events (say, interjections, VQA) at their frame;
* with ``tf``, ``/tf`` and ``/tf_static`` from the robot's URDF (``description.transforms``).

Header stamps equal the log times, so the bag converts back to the same dataset. Written with
``rosbags``, no ROS install needed; readable by ``ros2 bag play``, Foxglove and rosbags.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from ..cameras.intrinsics import Pinhole
from ..dataset import DatasetReader, LanguageRow
from ..dataset.info import DatasetInfo
from ..motors.normalization import MotorCalibration
from ..robots.omni_base import Odometry
from .config import BASE_NAMES, BASE_TYPES, FeatureConfig, load_recording_config, resolve_topic
from .contract import CONTRACT_FILE, FeatureContract
from .live_language import LanguageTopic
from .message_values import body_velocity

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
EPOCH_NS = 1_700_000_000 * 10**9  # episodes start here: a dataset keeps no wall-clock time
ODOM_FRAME, BASE_FRAME = "odom", "base_link"  # robot_node's odom_frame and base_frame defaults
BASE_MESSAGE_TYPES = {"odometry": "nav_msgs/msg/Odometry", "twist": "geometry_msgs/msg/Twist",
                      "twist_stamped": "geometry_msgs/msg/TwistStamped"}
# A dataset without a contract (LeRobot's): where its state's and action's base velocity came from.
LEROBOT_BASE_TOPICS = {"observation.state": {"topic": "odom", "type": "odometry"},
                       "action": {"topic": "cmd_vel", "type": "twist"}}
TYPESTORE = get_typestore(Stores.ROS2_JAZZY)  # the message definitions bags are written with
_T = TYPESTORE.types


class ExportError(ValueError):
    """The dataset cannot be exported as asked; the message names the feature or episode."""


@dataclass(frozen=True)
class ExportOptions:
    storage: str = "mcap"
    compressed: bool = False  # image features as CompressedImage (JPEG) on <topic>/compressed
    jpeg_quality: int = 90
    namespace: str = "/"  # relative topics of the contract resolve against it
    tf: bool = False  # also /tf and /tf_static from the robot's URDF and the recorded joint positions

    def __post_init__(self) -> None:
        if self.storage not in STORAGES:
            raise ExportError(f"storage must be one of {', '.join(STORAGES)}, got {self.storage!r}")


def contract_for(root: Path, calibration: dict[str, MotorCalibration] | None = None,
                 robot: str | None = None, units: str | None = None) -> FeatureContract:
    """The dataset's own contract, or, for a dataset without one (recorded by LeRobot), LeRobot's
    feature names mapped onto the usual topics: ``observation.state`` -> ``joint_states``, ``action``
    -> ``arm_controller/joint_trajectory`` (LeKiwi's trailing ``x.vel``, ``y.vel``, ``theta.vel`` ->
    ``odom`` and ``cmd_vel``), ``observation.images.<cam>`` -> ``<cam>/image_raw``, other vectors ->
    their key with dots as slashes. With ``robot`` the joints are converted from ``units``
    (default: LeRobot 0.6's for the robot) to radians; without, values are written as stored."""
    saved = root / "meta" / CONTRACT_FILE
    if saved.is_file():
        return FeatureContract.load(saved, calibration)
    info = DatasetInfo.load(root)
    features = []
    for feature in info.features.user:
        if feature.is_language:
            continue
        key, names = feature.key, list(feature.names or [])
        if feature.dtype == "video" or feature.dtype == "image":
            height, width = feature.shape[0], feature.shape[1]
            camera = key.removeprefix("observation.images.")
            features.append({"key": key, "topic": f"{camera}/image_raw", "type": "image", "height": height,
                             "width": width})
        elif key in ("observation.state", "action") and (split := _lerobot_joints(names)) is not None:
            joints, base = split
            entry = {"key": key, "joints": joints,
                     "topic": "joint_states" if key == "observation.state" else "arm_controller/joint_trajectory",
                     "type": "joint_state" if key == "observation.state" else "joint_trajectory"}
            if robot is not None:
                entry["units"] = units or _default_units(robot)
            if base:
                entry["base"] = LEROBOT_BASE_TOPICS[key]
            features.append(entry)
        else:
            size = int(np.prod(feature.shape))
            features.append({"key": key, "topic": key.replace(".", "/"), "type": "float_array", "size": size})
    raw = {"fps": info.fps, "features": features, "language": info.features.has_language}
    if robot is not None:
        raw["robot"] = robot
    return FeatureContract(load_recording_config(raw), calibration)


def _lerobot_joints(names: list[str]) -> tuple[list[str], bool] | None:
    """(joints, whether LeKiwi's base velocity follows them) of a LeRobot vector of ``<motor>.pos``
    names, optionally followed by ``x.vel``, ``y.vel``, ``theta.vel``; None for any other vector."""
    base = len(names) > len(BASE_NAMES) and tuple(names[-len(BASE_NAMES):]) == BASE_NAMES
    joints = names[:-len(BASE_NAMES)] if base else names
    if not joints or not all(n.endswith(".pos") for n in joints):
        return None
    return [n.removesuffix(".pos") for n in joints], base


def robot_of(root: Path, robot: str | None = None) -> str | None:
    """The robot whose joints the dataset holds: its contract's, else ``robot``."""
    saved = root / "meta" / CONTRACT_FILE
    if saved.is_file():
        contract_robot = json.loads(saved.read_text(encoding="utf-8")).get("robot")
        return contract_robot["type"] if contract_robot else robot
    return robot


def _default_units(robot: str) -> str:
    from ..robots.tables import robot_type
    from ..robots.units import lerobot_default_units

    return lerobot_default_units(robot_type(robot))


def export(root: str | Path, out: str | Path, contract: FeatureContract, options: ExportOptions = ExportOptions(),
           episodes: Sequence[int] | None = None, progress: Callable[[int, Path], None] | None = None) -> list[Path]:
    """Write episode ``i`` of the dataset at ``root`` to ``<out>/episode_<i, 6 digits>`` (a rosbag2 folder);
    returns the bag folders. ``out`` must not hold those folders yet."""
    reader = DatasetReader(root)
    chosen = list(range(reader.num_episodes)) if episodes is None else list(episodes)
    unknown = [i for i in chosen if not 0 <= i < reader.num_episodes]
    if unknown:
        raise ExportError(f"{root} has episodes 0-{reader.num_episodes - 1}; there is no episode {unknown[0]}")
    stored = {f.key for f in reader.info.features.user}
    missing = [f.key for f in contract.config.features if f.key not in stored]
    if missing:
        raise ExportError(f"the contract names features {missing} that {root} does not hold")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bags = []
    for index in chosen:
        bag = out / f"episode_{index:06d}"
        if bag.exists():
            raise ExportError(f"{bag} exists; export into an empty folder")
        _write_bag(bag, episode_messages(reader, index, contract, options), options)
        bags.append(bag)
        if progress is not None:
            progress(index, bag)
    return bags


def _write_bag(path: Path, messages: Iterator[tuple[str, str, int, object]], options: ExportOptions) -> None:
    with Writer(path, version=9, storage_plugin=STORAGES[options.storage]) as writer:
        connections = {}
        for topic, msgtype, log_ns, msg in messages:
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msgtype, typestore=TYPESTORE)
            writer.write(connections[topic], log_ns, TYPESTORE.serialize_cdr(msg, msgtype))


def episode_messages(reader: DatasetReader, index: int, contract: FeatureContract,
                     options: ExportOptions) -> Iterator[tuple[str, str, int, object]]:
    """(topic, type, log time, rosbags message) of one episode, in time order (frame ``k`` at
    ``EPOCH_NS + k / fps``); the bag writer and the replay both walk it."""
    config = contract.config
    columns = reader.episode_columns(index)
    length = reader.episodes[index].length
    stamps = [EPOCH_NS + round(k * 1e9 / config.fps) for k in range(length)]
    frames = {f.key: reader.video_frames(index, f.key) for f in config.features if f.is_image}
    per_frame = [_feature_writer(f, contract, options) for f in config.features]
    language = reader.episode_language(index) if config.language else None
    rows_by_frame = _language_messages(language, config.language or (), stamps, config.fps, options)
    tf = _tf_writer(contract, columns, options) if options.tf else None
    for k, stamp_ns in enumerate(stamps):
        yield from rows_by_frame.get(k, ())
        for feature, write in zip(config.features, per_frame):
            value = frames[feature.key][k] if feature.is_image else columns[feature.key][k]
            yield from write(value, stamp_ns)
        if tf is not None:
            yield from tf(k, stamp_ns)


def episode_topics(contract: FeatureContract, options: ExportOptions = ExportOptions()) -> dict[str, str]:
    """Every topic an episode's messages can go to, with its message type (a replay opens them all
    before the first message, so that subscribers have matched)."""
    topics = {}
    for feature in contract.config.features:
        topic = resolve_topic(feature.topic, options.namespace)
        if feature.is_image:
            image_topic, compressed, camera_ns = _image_topics(feature, topic, options)
            topics[image_topic] = "sensor_msgs/msg/CompressedImage" if compressed else "sensor_msgs/msg/Image"
            topics[f"{camera_ns}/camera_info"] = "sensor_msgs/msg/CameraInfo"
        else:
            topics[topic] = {"joint_state": "sensor_msgs/msg/JointState",
                             "joint_trajectory": "trajectory_msgs/msg/JointTrajectory", **BASE_MESSAGE_TYPES}.get(
                feature.type, "std_msgs/msg/Float32MultiArray")
        if feature.base is not None:
            topics[resolve_topic(feature.base.topic, options.namespace)] = BASE_MESSAGE_TYPES[feature.base.type]
    for language in contract.config.language or ():
        topics[resolve_topic(language.topic, options.namespace)] = "std_msgs/msg/String"
    return topics


def _image_topics(feature: FeatureConfig, topic: str, options: ExportOptions) -> tuple[str, bool, str]:
    """(the image topic, whether it carries CompressedImage, the camera's namespace for camera_info)."""
    compressed = feature.type == "compressed_image" or options.compressed
    if compressed and feature.type == "image":
        topic = f"{topic}/compressed"  # image_transport's name for the compressed sibling
    return topic, compressed, topic.removesuffix("/compressed").removesuffix("/image_raw")


def _tf_writer(contract: FeatureContract, columns: dict, options: ExportOptions):
    """/tf_static once (the URDF's fixed joints) and /tf every frame (its moving joints at the
    recorded positions), as robot_state_publisher would broadcast them."""
    from ..description.transforms import joint_transforms, urdf_joints

    config = contract.config
    robot = config.robot
    state = next((f for f in config.features if f.type == "joint_state" and f.field == "position"), None)
    if robot is None or state is None:
        raise ExportError("--tf needs the contract's robot and a joint_state position feature (the recorded pose)")
    joints = urdf_joints(robot.type)
    units = contract.joint_units(state)
    motors = [robot.motor(j) for j in state.joints]  # the URDF names joints as the robot's motors
    prefix = robot.joint_prefix

    def transform(joint, rotation, ns: int) -> object:
        translation = _T["geometry_msgs/msg/Vector3"](x=joint.xyz[0], y=joint.xyz[1], z=joint.xyz[2])
        x, y, z, w = rotation
        return _T["geometry_msgs/msg/TransformStamped"](
            header=_header(ns, prefix + joint.parent), child_frame_id=prefix + joint.child,
            transform=_T["geometry_msgs/msg/Transform"](
                translation=translation, rotation=_T["geometry_msgs/msg/Quaternion"](x=x, y=y, z=z, w=w)))

    def frame(k: int, ns: int):
        if k == 0:
            static = [transform(j, j.origin, ns) for j in joints if j.kind == "fixed"]
            yield resolve_topic("/tf_static"), "tf2_msgs/msg/TFMessage", ns, _T["tf2_msgs/msg/TFMessage"](
                transforms=static)
        values, _ = state.split(np.asarray(columns[state.key][k], dtype=np.float64))
        radians = units.to_radians(values) if units is not None else values
        moving = joint_transforms(joints, dict(zip(motors, radians)))
        yield resolve_topic("/tf"), "tf2_msgs/msg/TFMessage", ns, _T["tf2_msgs/msg/TFMessage"](
            transforms=[transform(j, rotation, ns) for j, rotation in moving])
    return frame


def _stamp(ns: int) -> object:
    return _T["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)


def _header(ns: int, frame_id: str = "") -> object:
    return _T["std_msgs/msg/Header"](stamp=_stamp(ns), frame_id=frame_id)


def _feature_writer(feature: FeatureConfig, contract: FeatureContract, options: ExportOptions):
    """The messages of one frame of ``feature``, as a function of (value, stamp)."""
    if feature.base is None:
        return _part_writer(feature, contract, options)
    joints, base = _part_writer(feature, contract, options), _base_writer(feature.base, options)

    def joints_and_base(value, ns):
        joint_values, base_values = feature.split(value)
        yield from joints(joint_values, ns)
        yield from base(base_values, ns)
    return joints_and_base


def _base_writer(feature: FeatureConfig, options: ExportOptions):
    """A base velocity (LeRobot's x.vel, y.vel, theta.vel) as the message its topic carried."""
    topic = resolve_topic(feature.topic, options.namespace)
    msgtype = BASE_MESSAGE_TYPES[feature.type]
    odometry = Odometry()
    previous: list[tuple[int, object]] = []  # (stamp, velocity) of the frame before

    def twist_of(value) -> object:
        x, y, theta = body_velocity(value)
        return _T["geometry_msgs/msg/Twist"](linear=_T["geometry_msgs/msg/Vector3"](x=x, y=y, z=0.0),
                                             angular=_T["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=theta))

    def base(value, ns):
        twist = twist_of(value)
        if feature.type == "twist":
            yield topic, msgtype, ns, twist
        elif feature.type == "twist_stamped":
            yield topic, msgtype, ns, _T[msgtype](header=_header(ns), twist=twist)
        else:  # the pose: each frame's velocity held until the next frame, from the origin at frame 0
            if previous:
                odometry.update(previous[0][1], (ns - previous[0][0]) * 1e-9)
            previous[:] = [(ns, body_velocity(value))]
            yield topic, msgtype, ns, _odometry(ns, odometry.pose, twist)
    return base


def _odometry(ns: int, pose, twist) -> object:
    covariance = np.zeros(36)
    orientation = _T["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=math.sin(pose.yaw_rad / 2),
                                                     w=math.cos(pose.yaw_rad / 2))
    position = _T["geometry_msgs/msg/Point"](x=pose.x_m, y=pose.y_m, z=0.0)
    return _T["nav_msgs/msg/Odometry"](
        header=_header(ns, ODOM_FRAME), child_frame_id=BASE_FRAME,
        pose=_T["geometry_msgs/msg/PoseWithCovariance"](
            pose=_T["geometry_msgs/msg/Pose"](position=position, orientation=orientation), covariance=covariance),
        twist=_T["geometry_msgs/msg/TwistWithCovariance"](twist=twist, covariance=covariance))


def _part_writer(feature: FeatureConfig, contract: FeatureContract, options: ExportOptions):
    """The messages of one frame of a feature's own topic (a joint feature's joints without its base)."""
    topic = resolve_topic(feature.topic, options.namespace)
    if feature.type in BASE_TYPES:
        return _base_writer(feature, options)
    if feature.type in ("joint_state", "joint_trajectory"):
        units = contract.joint_units(feature)
        joints = list(feature.joints)

        def radians(value: np.ndarray) -> np.ndarray:
            value = np.asarray(value, dtype=np.float64)
            return units.to_radians(value) if units is not None else value

        if feature.type == "joint_state":
            empty = np.zeros(0, dtype=np.float64)

            def joint_state(value, ns):
                fields = {"position": empty, "velocity": empty, "effort": empty, feature.field: radians(value)}
                yield topic, "sensor_msgs/msg/JointState", ns, _T["sensor_msgs/msg/JointState"](
                    header=_header(ns), name=joints, **fields)
            return joint_state

        def trajectory(value, ns):
            point = _T["trajectory_msgs/msg/JointTrajectoryPoint"](
                positions=radians(value), velocities=np.zeros(0), accelerations=np.zeros(0), effort=np.zeros(0),
                time_from_start=_T["builtin_interfaces/msg/Duration"](sec=0, nanosec=0))
            yield topic, "trajectory_msgs/msg/JointTrajectory", ns, _T["trajectory_msgs/msg/JointTrajectory"](
                header=_header(ns), joint_names=joints, points=[point])
        return trajectory
    if feature.is_image:
        return _image_writer(feature, topic, options)

    def numbers(value, ns):
        layout = _T["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0)
        yield topic, "std_msgs/msg/Float32MultiArray", ns, _T["std_msgs/msg/Float32MultiArray"](
            layout=layout, data=np.asarray(value, dtype=np.float32).reshape(-1))
    return numbers


def _image_writer(feature: FeatureConfig, topic: str, options: ExportOptions):
    topic, compressed, camera_ns = _image_topics(feature, topic, options)
    frame_id = f"{camera_ns.rsplit('/', 1)[-1]}_optical_frame"
    pinhole = Pinhole.from_hfov(feature.width, feature.height)

    def image(rgb: np.ndarray, ns: int):
        header = _header(ns, frame_id)
        if compressed:
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                                    [cv2.IMWRITE_JPEG_QUALITY, options.jpeg_quality])
            if not ok:
                raise ExportError(f"{feature.key}: JPEG encoding failed")
            yield topic, "sensor_msgs/msg/CompressedImage", ns, _T["sensor_msgs/msg/CompressedImage"](
                header=header, format="rgb8; jpeg compressed bgr8", data=jpeg.reshape(-1))
        else:
            yield topic, "sensor_msgs/msg/Image", ns, _T["sensor_msgs/msg/Image"](
                header=header, height=feature.height, width=feature.width, encoding="rgb8", is_bigendian=0,
                step=feature.width * 3, data=np.ascontiguousarray(rgb).reshape(-1))
        yield f"{camera_ns}/camera_info", "sensor_msgs/msg/CameraInfo", ns, _camera_info(header, feature, pinhole)
    return image


def _camera_info(header, feature: FeatureConfig, pinhole: Pinhole) -> object:
    roi = _T["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    return _T["sensor_msgs/msg/CameraInfo"](
        header=header, height=feature.height, width=feature.width, distortion_model="plumb_bob",
        d=np.zeros(5), k=np.array(pinhole.k), r=np.eye(3).reshape(-1), p=np.array(pinhole.p),
        binning_x=0, binning_y=0, roi=roi)


def _language_messages(language, topics: Sequence[LanguageTopic], stamps: list[int], fps: int,
                       options: ExportOptions) -> dict[int, list[tuple[str, str, int, object]]]:
    """String messages by the frame before which they go: persistent rows at their timestamp,
    events at their frame (a row with no topic in the contract is left out)."""
    if language is None:
        return {}
    by_kind = {(t.kind, t.camera): resolve_topic(t.topic, options.namespace) for t in topics}
    out: dict[int, list] = {}
    for row in language.persistent:
        topic = by_kind.get((row.style, None))
        if topic is not None:
            frame = min(round(row.timestamp * fps), len(stamps) - 1)
            ns = EPOCH_NS + round(row.timestamp * 1e9)
            out.setdefault(frame, []).append((topic, "std_msgs/msg/String", ns, _T["std_msgs/msg/String"](
                data=row.content)))
    for frame, rows in language.events.items():
        for row in rows:
            kind, text = _event_kind(row)
            topic = by_kind.get((kind, row.camera if kind.startswith("vqa") else None))
            if topic is not None:
                out.setdefault(frame, []).append((topic, "std_msgs/msg/String", stamps[frame],
                                                  _T["std_msgs/msg/String"](data=text)))
    return out


def _event_kind(row: LanguageRow) -> tuple[str, str]:
    """The language kind of an event row and the text its topic carried (live_language's inverse)."""
    for call in row.tool_calls:
        function = call.get("function", {})
        if function.get("name") == "say":
            arguments = function.get("arguments", {})
            arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
            return "say", arguments.get("text", "")
    if row.style == "interjection":
        return "user_input", row.content or ""
    if row.style == "vqa":
        return ("vqa_query" if row.role == "user" else "vqa_answer"), row.content or ""
    return "", ""
