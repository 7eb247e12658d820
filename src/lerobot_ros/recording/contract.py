"""The feature contract bound to an arm: the recording config plus the calibration its units need.

The recorder and the bag converter turn every message into its dataset value here (``value``), so
both convert the same way; the contract they recorded with is saved as ``meta/lerobot_ros.json`` in
the dataset (LeRobot ignores the file), so a dataset says which topic, joints and units each feature
came from, and a checkpoint trained on it can carry the same file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..dataset.atomic import write_json_atomically
from ..motors.normalization import MotorCalibration
from ..robots.setup import resolve_calibration
from ..robots.tables import robot_type
from ..robots.units import RADIANS, JointUnits
from .config import IMAGE_TYPES, JOINT_TYPES, FeatureConfig, RecordingConfig, RecordingConfigError, load_recording_config
from .message_values import feature_value

CONTRACT_FILE = "lerobot_ros.json"  # in a dataset's meta/ and in a checkpoint folder
CONTRACT_FORMAT = 1


def needs_calibration(config: RecordingConfig) -> bool:
    return any(f.type in JOINT_TYPES and f.units != RADIANS for f in config.features)


class FeatureContract:
    """``config`` with the calibration that converts its joint positions (None when all are radians)."""

    def __init__(self, config: RecordingConfig, calibration: Mapping[str, MotorCalibration] | None = None):
        self.config = config
        self.calibration = dict(calibration) if calibration is not None and needs_calibration(config) else None
        self._units: dict[str, JointUnits] = {}
        for feature in config.features:
            if feature.type in JOINT_TYPES and feature.units != RADIANS:
                robot = config.robot
                motors = [robot.motor(joint) for joint in feature.joints]
                self._units[feature.key] = JointUnits(robot_type(robot.type), motors, feature.units, self.calibration)

    @classmethod
    def for_arm(cls, config: RecordingConfig, calibration_file: str = "", calibration_id: str = "",
                calibration_dir: str = "", simulated: bool = False) -> FeatureContract:
        """Look the calibration up as robot_node does (file, else LeRobot's path for the id, else the
        factory's or the simulator's); only when the config's units need one."""
        if not needs_calibration(config):
            return cls(config)
        calibration, _ = resolve_calibration(robot_type(config.robot.type), calibration_file, calibration_id,
                                             calibration_dir, simulated)
        return cls(config, calibration)

    @classmethod
    def load(cls, path: str | Path, calibration: Mapping[str, MotorCalibration] | None = None) -> FeatureContract:
        """A saved contract (``meta/lerobot_ros.json`` or a checkpoint's copy), validated as a recording
        YAML is; ``calibration`` (the arm the contract is used on) replaces the saved one (the arm it
        was recorded on)."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise RecordingConfigError(f"feature contract {path} cannot be read: {err}") from None
        if not isinstance(raw, Mapping) or raw.get("format") != CONTRACT_FORMAT:
            raise RecordingConfigError(f"feature contract {path}: expected format {CONTRACT_FORMAT}, got "
                                       f"{raw.get('format') if isinstance(raw, Mapping) else raw!r}")
        from .live_language import LanguageTopic

        try:
            config = load_recording_config({"fps": raw.get("fps"), "robot": raw.get("robot"), "language": False,
                                            "features": [_yaml_entry(f) for f in raw.get("features") or []]})
        except RecordingConfigError as err:
            raise RecordingConfigError(f"feature contract {path}: {err}") from None
        language = raw.get("language")
        if language is not None:
            config = dataclasses.replace(config, language=tuple(LanguageTopic(**t) for t in language))
        if calibration is None and raw.get("calibration"):
            calibration = {name: MotorCalibration(**cal) for name, cal in raw["calibration"].items()}
        return cls(config, calibration)

    def value(self, feature: FeatureConfig, msg: object) -> np.ndarray:
        """The dataset value of ``msg`` for ``feature``: joints in the feature's units, images as RGB."""
        value = feature_value(feature, msg)
        units = self._units.get(feature.key)
        return units.from_radians(value) if units is not None else value

    def joint_units(self, feature: FeatureConfig) -> JointUnits | None:
        """The conversion of ``feature``'s joint positions from radians (None: they are radians)."""
        return self._units.get(feature.key)

    def to_dict(self) -> dict:
        calibration = {name: asdict(cal) for name, cal in self.calibration.items()} if self.calibration else None
        return {"format": CONTRACT_FORMAT, **self.config.to_dict(), "calibration": calibration}

    def save(self, folder: Path) -> Path:
        path = Path(folder) / CONTRACT_FILE
        write_json_atomically(path, self.to_dict())
        return path

    def check_matches(self, folder: Path) -> None:
        """Refuse to add to a dataset whose saved contract records a feature in other units or from
        other joints (the names alone do not tell degrees from -100..100)."""
        path = Path(folder) / CONTRACT_FILE
        if not path.is_file():
            return  # recorded before contracts were saved: the feature check is all there is
        saved = {f["key"]: f for f in json.loads(path.read_text())["features"]}
        for feature in self.config.features:
            old = saved.get(feature.key)
            if old is not None and (old.get("units", RADIANS), tuple(old.get("joints", ()))) != (
                    feature.units, feature.joints):
                raise RecordingConfigError(
                    f"{path}: {feature.key} was recorded in {old.get('units', RADIANS)} from joints "
                    f"{old.get('joints')}, the config asks for {feature.units} from {list(feature.joints)}; "
                    "record into a new folder or use the matching config")
            old_base = (old or {}).get("base") or {}
            if old is not None and old_base.get("type") != (feature.base.type if feature.base else None):
                raise RecordingConfigError(  # x.vel from odometry (measured) is not x.vel from cmd_vel (commanded)
                    f"{path}: {feature.key}'s base velocity was recorded from {old_base.get('type') or 'no topic'}, "
                    f"the config reads it from {feature.base.type if feature.base else 'no topic'}; record into a "
                    "new folder or use the matching config")


def _yaml_entry(saved: Mapping) -> dict:
    """A saved feature as its recording-YAML entry: ``to_dict`` writes every field, the YAML takes only
    those that apply to the feature's type."""
    kind = saved.get("type")
    drop = {"joints", "field", "units"} if kind not in JOINT_TYPES else set()
    if kind == "joint_trajectory":
        drop.add("field")
    if kind in IMAGE_TYPES or kind in JOINT_TYPES:
        drop |= {"size", "names"}
    return {k: v for k, v in saved.items() if k not in drop}
