"""The recording config: which topic fills which dataset feature, at what rate, how fresh, in
which units. It is the one feature contract of topic -> dataset -> checkpoint -> policy.

Loaded from YAML (or a dict) into frozen dataclasses and validated once, so the recorder node and
the bag converter fail at start-up with an error naming the feature and the fix, not mid-episode.
Example::

    fps: 30
    robot: so101_follower        # joint features get LeRobot's units and names for this robot
    features:
      - {key: observation.state, topic: joint_states, type: joint_state, max_age_s: 0.1}
      - {key: action, topic: arm_controller/joint_trajectory, type: joint_trajectory}
      - {key: observation.images.front, topic: front/image_raw/compressed,
         type: compressed_image, height: 480, width: 640, max_age_s: 0.1}
      - {key: observation.gripper_force, topic: gripper/force, type: float_array, size: 1}
    language: {subtask: subtask, plan: plan}   # absent: no language columns

A joint feature may take a second topic, the mobile base's velocity (``base: {topic: odom, type:
odometry}``; ``twist`` or ``twist_stamped`` for cmd_vel): its ``x.vel``, ``y.vel`` (m/s) and
``theta.vel`` (deg/s) follow the joints in the same vector, as LeRobot's LeKiwi records
``observation.state`` and ``action``. The sampler treats that topic as a stream of its own
(``<key>/base``: fresh or stale by itself) and joins the two into one value per frame. A cmd_vel
(``twist``) older than its ``max_age_s`` (default robot_node's base_command_timeout_s, 0.5 s), or none
yet, is recorded as zero velocity, not as a gap: in ROS a silent cmd_vel means the base stands.

Joint features name their elements as LeRobot does (``<joint>.pos``, ``.vel``, ``.effort``). With a
``robot``, positions are recorded in ``units`` (``robots.units``): by default the units LeRobot 0.6
records that robot type in (degrees for SO-100/101 and LeKiwi, -100..100 for Koch, OMX and HopeJR;
grippers 0..100), so a dataset recorded here and one recorded by LeRobot on the same arm are
interchangeable; ``joints`` defaults to the robot's joints. Without a robot, joints are radians.

Topics are ROS names: absolute (``/joint_states``) or relative (``joint_states``), which resolve
against the recorder's namespace and, in a bag, against the bag's root namespace (``/``, or the
converter's ``--namespace``): :func:`resolve_topic`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from ..robots.driver import DriverConfig
from ..robots.tables import robot_type
from ..robots.units import RADIANS, UNITS, lerobot_default_units
from .errors import RecordingConfigError
from .live_language import load_language_topics

if TYPE_CHECKING:
    from .live_language import LanguageTopic

JOINT_TYPES = ("joint_state", "joint_trajectory")
IMAGE_TYPES = ("image", "compressed_image")
NUMERIC_TYPES = ("float_array",)
BASE_TYPES = ("odometry", "twist", "twist_stamped")  # nav_msgs/Odometry's twist, cmd_vel (stamped or not)
COMMAND_TYPES = ("twist", "twist_stamped")  # cmd_vel: silence stops the base, so it records as zero
# A cmd_vel drives robot_node's base this long (its base_command_timeout_s), hence the default max_age_s.
CMD_VEL_TIMEOUT_S = DriverConfig.base_command_timeout_s
FEATURE_TYPES = JOINT_TYPES + IMAGE_TYPES + NUMERIC_TYPES + BASE_TYPES
BASE_NAMES = ("x.vel", "y.vel", "theta.vel")  # LeRobot's LeKiwi: m/s, m/s, deg/s
BASE_PART = "/base"  # the stream key of a joint feature's base part: "<key>/base" (no dataset key has a "/")
TYPE_ALIASES = {"numeric": "float_array"}
JOINT_FIELDS = ("position", "velocity", "effort")
NAME_SUFFIXES = {"position": "pos", "velocity": "vel", "effort": "effort"}  # LeRobot's "<motor>.pos"
TIME_SOURCES = ("receive", "header")
DEFAULT_MAX_AGE_PERIODS = 2  # max_age_s defaults to two grid periods
NUMERIC_DTYPE = "float32"  # LeRobot's dtype for state/action vectors
IMAGE_NAMES = ["height", "width", "channels"]

TOP_LEVEL_KEYS = ("fps", "robot", "features", "language")  # language: recording/live_language.py
_FEATURE_KEYS = {"key", "topic", "type", "joints", "field", "units", "max_age_s", "time_source", "height",
                 "width", "size", "names", "base"}
_BASE_KEYS = {"topic", "type", "max_age_s", "time_source"}
_ROBOT_KEYS = {"type", "joint_prefix"}


def resolve_topic(name: str, namespace: str = "/") -> str:
    """A topic of the config as an absolute name: relative names resolve against ``namespace``."""
    if name.startswith("/"):
        return name
    return f"{namespace.rstrip('/')}/{name}"


@dataclass(frozen=True)
class RobotBinding:
    """The robot whose joints the joint features record (its table gives LeRobot's units and names)."""

    type: str
    joint_prefix: str = ""  # robot_node's joint_prefix: ROS joint names are prefix + motor name

    def motor(self, joint: str) -> str:
        """The robot's motor behind ROS joint ``joint``."""
        return joint[len(self.joint_prefix):] if joint.startswith(self.joint_prefix) else joint

    @property
    def joints(self) -> tuple[str, ...]:
        return tuple(self.joint_prefix + name for name in robot_type(self.type).joint_names)


@dataclass(frozen=True)
class FeatureConfig:
    """One dataset feature and the topic that fills it (or a joint feature's base part, see ``base``).

    ``joints`` order is the vector order (messages are reordered by name by the adapter);
    ``max_age_s`` is the staleness limit: a sample older than this at a tick is not written.
    ``base``: the mobile base's velocity from a second topic, appended to the joints (LeRobot's
    LeKiwi); itself a FeatureConfig of a base type keyed ``<key>/base``, the sampler's stream for it.
    """

    key: str
    topic: str
    type: str
    max_age_s: float
    time_source: str = "receive"
    joints: tuple[str, ...] = ()
    field: str = "position"  # joint_state only: which JointState array
    units: str = RADIANS  # joint positions: degrees, range or radians (robots.units)
    height: int | None = None  # images only
    width: int | None = None
    size: int | None = None  # float_array only: vector length
    names: tuple[str, ...] | None = None  # float_array only: optional element names
    base: FeatureConfig | None = None  # joint types only: base velocity appended to the joints

    @property
    def is_image(self) -> bool:
        return self.type in IMAGE_TYPES

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one stored sample: for a feature with a base part, joints and base together."""
        if self.is_image:
            return (self.height, self.width, 3)
        if self.type in JOINT_TYPES:
            return (len(self.joints) + (len(BASE_NAMES) if self.base is not None else 0),)
        if self.type in BASE_TYPES:
            return (len(BASE_NAMES),)
        return (self.size,)

    @property
    def zero_when_silent(self) -> bool:
        """A command stream (cmd_vel): no message within max_age_s means the base was told nothing
        and stands, which is recorded as zero velocity rather than a stale sample."""
        return self.type in COMMAND_TYPES

    @property
    def stream_shape(self) -> tuple[int, ...]:
        """The shape of one message's value, as its stream in the sampler holds it (joints only when
        the base comes from its own stream)."""
        return (len(self.joints),) if self.type in JOINT_TYPES else self.shape

    @property
    def streams(self) -> tuple[FeatureConfig, ...]:
        """The topics that fill this feature: itself, then its base part."""
        return (self,) if self.base is None else (self, self.base)

    def split(self, value: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """A stored vector as (joint values, base velocity or None)."""
        value = np.asarray(value)
        if self.base is None:
            return value, None
        joints = len(self.joints)
        return value[..., :joints], value[..., joints:]

    def message_time_s(self, receive_s: float, header_s: float) -> float:
        """The time the sampler orders this feature's messages by: receive time by default (what the
        recorder saw when), header stamp when the publisher's clock is the better capture time."""
        return header_s if self.time_source == "header" else receive_s

    def dataset_feature(self) -> dict:
        """``{"dtype", "shape", "names"}`` as ``DatasetWriter.create`` expects it."""
        if self.is_image:
            return {"dtype": "video", "shape": list(self.shape), "names": list(IMAGE_NAMES)}
        if self.type in JOINT_TYPES:
            names = [f"{j}.{NAME_SUFFIXES[self.field]}" for j in self.joints]
            names += list(BASE_NAMES) if self.base is not None else []
        elif self.type in BASE_TYPES:
            names = list(BASE_NAMES)
        else:
            names = list(self.names) if self.names is not None else None
        return {"dtype": NUMERIC_DTYPE, "shape": list(self.shape), "names": names}

    def to_dict(self) -> dict:
        """The feature as its recording-YAML entry, every field written (the saved contract)."""
        entry = {k: v for k, v in asdict(self).items() if v is not None and k != "base"}
        if self.base is not None:
            entry["base"] = {k: getattr(self.base, k) for k in sorted(_BASE_KEYS)}
        return entry


@dataclass(frozen=True)
class RecordingConfig:
    fps: int
    features: tuple[FeatureConfig, ...]
    robot: RobotBinding | None = None
    language: tuple[LanguageTopic, ...] | None = None  # None: no language columns

    def to_dict(self) -> dict:
        """The contract as JSON (``meta/lerobot_ros.json``, the checkpoint's copy): what each feature
        was recorded from and in which units."""
        return {
            "fps": self.fps,
            "robot": asdict(self.robot) if self.robot else None,
            "features": [f.to_dict() for f in self.features],
            "language": [{"topic": t.topic, "kind": t.kind, **({"camera": t.camera} if t.camera else {})}
                         for t in self.language] if self.language is not None else None,
        }

    @property
    def period_s(self) -> float:
        return 1.0 / self.fps

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.features)

    @property
    def streams(self) -> tuple[FeatureConfig, ...]:
        """Every topic the config reads, as the sampler's streams: the features and their base parts."""
        return tuple(stream for feature in self.features for stream in feature.streams)

    @property
    def stream_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.streams)

    def feature(self, key: str) -> FeatureConfig:
        for feature in self.features:
            if feature.key == key:
                return feature
        raise KeyError(f"no feature {key!r} in the recording config; configured: {list(self.keys)}")

    def stream(self, key: str) -> FeatureConfig:
        """A feature or a base part (``<key>/base``) by its stream key."""
        for stream in self.streams:
            if stream.key == key:
                return stream
        raise KeyError(f"no stream {key!r} in the recording config; configured: {list(self.stream_keys)}")

    def dataset_features(self) -> dict[str, dict]:
        """The ``features`` argument of ``DatasetWriter.create`` for this config."""
        return {f.key: f.dataset_feature() for f in self.features}


def load_recording_config(source: str | Path | Mapping) -> RecordingConfig:
    """Read and validate a recording config from a YAML file path or an already-parsed mapping."""
    if not isinstance(source, Mapping):  # a file: every error names it
        raw = read_recording_yaml(source)
        try:
            return load_recording_config(raw)
        except RecordingConfigError as error:
            raise RecordingConfigError(f"{source}: {error}") from None
    raw = source
    _check_top_level(raw)
    fps = _fps(raw.get("fps"))
    robot = _robot(raw.get("robot"))
    features_raw = raw.get("features")
    if not isinstance(features_raw, list) or not features_raw:
        raise RecordingConfigError("'features' must be a non-empty list of {key, topic, type, ...} entries")
    features = tuple(_feature(entry, i, fps, robot) for i, entry in enumerate(features_raw))
    seen: set[str] = set()
    for feature in features:
        if feature.key in seen:
            raise RecordingConfigError(
                f"feature {feature.key!r} is declared twice; each dataset key must come from one topic")
        seen.add(feature.key)
    cameras = tuple(f.key for f in features if f.is_image)
    language = load_language_topics(raw.get("language", False), cameras)  # absent: no language columns
    return RecordingConfig(fps=fps, features=features, robot=robot, language=language)


def _robot(value: object) -> RobotBinding | None:
    """``robot: so101_follower`` or ``robot: {type: so101_follower, joint_prefix: left_}``."""
    if value is None:
        return None
    entry = {"type": value} if isinstance(value, str) else value
    if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str) or set(entry) - _ROBOT_KEYS:
        raise RecordingConfigError(f"robot: expected a robot type name or {{type, joint_prefix}}, got {value!r}")
    try:
        robot_type(entry["type"])
    except ValueError as err:
        raise RecordingConfigError(f"robot: {err}") from None
    prefix = entry.get("joint_prefix", "")
    if not isinstance(prefix, str):
        raise RecordingConfigError(f"robot.joint_prefix must be a string, got {prefix!r}")
    return RobotBinding(entry["type"], prefix)


def read_recording_yaml(path: str | Path) -> Mapping:
    """A recording config file, parsed; every way it cannot be read is a RecordingConfigError naming
    the file (and the line and column of a YAML syntax error), so no caller shows a parser traceback."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingConfigError(f"recording config {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RecordingConfigError(
            f"recording config {path} cannot be read ({error}); give a UTF-8 YAML file") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RecordingConfigError(f"{where}: not valid YAML ({problem}); fix the syntax there (an unclosed "
                                   "bracket or quote, a missing ':', a tab used for indentation?)") from None
    if not isinstance(raw, Mapping):
        raise RecordingConfigError(f"{path}: expected a mapping with 'fps' and 'features' at the top")
    return raw


def _check_top_level(raw: Mapping) -> None:
    """Unknown top-level keys are refused: a typo (``languag:``) would otherwise silently record the
    default of the section it meant to set."""
    unknown = [key for key in raw if key not in TOP_LEVEL_KEYS]
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise RecordingConfigError(f"unknown top-level key {key!r} in the recording config; {hint}"
                                   f"the known keys are {list(TOP_LEVEL_KEYS)}")


def _fps(value: object) -> int:
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or _infinite(value) or value <= 0
            or int(value) != value):
        raise RecordingConfigError(
            f"fps must be a positive integer (LeRobot stores timestamps as frame_index / fps), got {value!r}")
    return int(value)


def _infinite(value: int | float) -> bool:
    """NaN, infinity (YAML's .nan, .inf) or an int beyond float: no rate or age."""
    try:
        return not math.isfinite(value)
    except OverflowError:
        return True


def _feature(entry: object, index: int, fps: int, robot: RobotBinding | None) -> FeatureConfig:
    if not isinstance(entry, Mapping):
        raise RecordingConfigError(f"features[{index}] must be a mapping with key, topic and type")
    key = entry.get("key")
    if not isinstance(key, str) or not key:
        raise RecordingConfigError(f"features[{index}] needs a 'key' such as observation.state or action")
    where = f"feature {key!r}"
    if "/" in key:
        raise RecordingConfigError(f"{where}: keys must not contain '/' (LeRobot flattens stats with it)")
    unknown = set(entry) - _FEATURE_KEYS
    if unknown:
        raise RecordingConfigError(f"{where}: unknown fields {sorted(unknown)}; allowed: {sorted(_FEATURE_KEYS)}")
    topic = entry.get("topic")
    if not isinstance(topic, str) or not topic:
        raise RecordingConfigError(f"{where}: needs a 'topic' to record from")
    kind = entry.get("type")
    kind = TYPE_ALIASES.get(kind, kind) if isinstance(kind, str) else kind  # a list or mapping is no type
    if kind not in FEATURE_TYPES:
        raise RecordingConfigError(
            f"{where}: unknown type {entry.get('type')!r}; use one of {list(FEATURE_TYPES) + list(TYPE_ALIASES)}")
    if key.startswith("observation.images.") != (kind in IMAGE_TYPES):
        raise RecordingConfigError(
            f"{where}: image features are keyed observation.images.<camera> and only they take image "
            f"types; rename the key or change type {kind!r}")
    time_source = _time_source(entry.get("time_source", "receive"), f"{where}: time_source")
    max_age_s = _max_age(entry.get("max_age_s", CMD_VEL_TIMEOUT_S if kind in COMMAND_TYPES
                                   else DEFAULT_MAX_AGE_PERIODS / fps), f"{where}: max_age_s")
    common = dict(key=key, topic=topic, type=kind, max_age_s=max_age_s, time_source=time_source)
    if kind in JOINT_TYPES:
        field = _field(entry, kind, where)
        joints = _joints(entry, where, robot)
        return FeatureConfig(**common, joints=joints, field=field, units=_units(entry, where, field, joints, robot),
                             base=_base(entry.get("base"), where, common))
    _refuse(entry, where, kind, ("joints", "field", "units", "base"))
    if kind in IMAGE_TYPES:
        _refuse(entry, where, kind, ("size", "names"))
        height, width = _positive_int(entry, "height", where), _positive_int(entry, "width", where)
        if height % 2 or width % 2:
            raise RecordingConfigError(
                f"{where}: yuv420p video needs an even height and width, got {height}x{width}; crop or resize")
        return FeatureConfig(**common, height=height, width=width)
    _refuse(entry, where, kind, ("height", "width"))
    if kind in BASE_TYPES:
        _refuse(entry, where, kind, ("size", "names"))
        return FeatureConfig(**common)
    size = _positive_int(entry, "size", where)
    names = entry.get("names")
    if names is not None:
        if not isinstance(names, list) or len(names) != size or not all(isinstance(n, str) for n in names):
            raise RecordingConfigError(f"{where}: 'names' must be a list of {size} strings (one per element)")
        names = tuple(names)
    return FeatureConfig(**common, size=size, names=names)


def _time_source(value: object, what: str) -> str:
    if value not in TIME_SOURCES:
        raise RecordingConfigError(f"{what} must be one of {list(TIME_SOURCES)}, got {value!r}")
    return value


def _max_age(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or _infinite(value):
        raise RecordingConfigError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(value)


def _base(value: object, where: str, joint: Mapping) -> FeatureConfig | None:
    """A joint feature's ``base: {topic, type, max_age_s, time_source}``: the base velocity's topic,
    fresh by its own ``max_age_s`` (default: the joint feature's; a cmd_vel's, robot_node's 0.5 s)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - _BASE_KEYS or not isinstance(value.get("topic"), str) \
            or not value["topic"]:
        raise RecordingConfigError(f"{where}: 'base' must be a mapping {{topic, type}} (optional max_age_s, "
                                   f"time_source), e.g. {{topic: odom, type: odometry}}; got {value!r}")
    kind = value.get("type")
    if kind not in BASE_TYPES:
        raise RecordingConfigError(f"{where}: base type must be one of {list(BASE_TYPES)} (odometry for the "
                                   f"observed velocity, twist or twist_stamped for cmd_vel), got {kind!r}")
    time_source = _time_source(value.get("time_source", joint["time_source"]), f"{where}: base time_source")
    max_age_s = _max_age(value.get("max_age_s", CMD_VEL_TIMEOUT_S if kind in COMMAND_TYPES else joint["max_age_s"]),
                         f"{where}: base max_age_s")
    return FeatureConfig(key=joint["key"] + BASE_PART, topic=value["topic"], type=kind, max_age_s=max_age_s,
                         time_source=time_source)


def _joints(entry: Mapping, where: str, robot: RobotBinding | None) -> tuple[str, ...]:
    if "joints" not in entry and robot is not None:
        return robot.joints
    joints = entry.get("joints")
    if not isinstance(joints, list) or not joints or not all(isinstance(j, str) and j for j in joints):
        raise RecordingConfigError(
            f"{where}: joint types need 'joints', the list of joint names in vector order (or a top-level "
            "'robot', whose joints are the default)")
    if len(set(joints)) != len(joints):
        raise RecordingConfigError(f"{where}: 'joints' lists a joint twice: {joints}")
    return tuple(joints)


def _units(entry: Mapping, where: str, field: str, joints: tuple[str, ...], robot: RobotBinding | None) -> str:
    """Positions of a robot's joints default to the units LeRobot 0.6 records that robot in."""
    if robot is None or field != "position":
        units = entry.get("units", RADIANS)
        if units != RADIANS:
            why = ("velocities and efforts are recorded as published" if robot is not None
                   else "a top-level 'robot' is needed: its calibration converts positions")
            raise RecordingConfigError(f"{where}: units {units!r} do not apply here; {why}")
        return RADIANS
    rtype = robot_type(robot.type)
    units = entry.get("units", lerobot_default_units(rtype))
    if units not in UNITS:
        raise RecordingConfigError(f"{where}: units must be one of {list(UNITS)}, got {units!r}")
    strangers = [j for j in joints if robot.motor(j) not in rtype.joint_names]
    if strangers and units != RADIANS:
        raise RecordingConfigError(
            f"{where}: {strangers} are not joints of {robot.type} (joint_prefix {robot.joint_prefix!r}), so they "
            f"cannot be converted to {units}; its joints: {list(robot.joints)}")
    return units


def _field(entry: Mapping, kind: str, where: str) -> str:
    field = entry.get("field", "position")
    if kind == "joint_trajectory" and "field" in entry:
        raise RecordingConfigError(
            f"{where}: 'field' applies to joint_state only; joint_trajectory records the positions")
    if field not in JOINT_FIELDS:
        raise RecordingConfigError(f"{where}: field must be one of {list(JOINT_FIELDS)}, got {field!r}")
    return field


def _positive_int(entry: Mapping, name: str, where: str) -> int:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RecordingConfigError(f"{where}: needs '{name}' as a positive integer (the dataset declares the shape)")
    return value


def _refuse(entry: Mapping, where: str, kind: str, names: tuple[str, ...]) -> None:
    given = [n for n in names if n in entry]
    if given:
        raise RecordingConfigError(f"{where}: {given} do not apply to type {kind!r}; remove them")
