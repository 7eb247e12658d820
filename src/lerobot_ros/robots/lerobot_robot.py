"""Any installed LeRobot ``Robot`` behind robot_node (``robot_type:=lerobot:<type>``; docs/robots.md).

LeRobot is the well-kept driver for its hardware list (SO-100/101, Koch, OMX, LeKiwi, HopeJR,
Reachy2, Unitree G1, EarthRover, OpenARM, and third-party ``lerobot_robot_*`` plugins). This module
wraps one as the robot the :class:`~lerobot_ros.robots.driver.Driver` drives, so robot_node keeps its
whole interface (joint_states, trajectories, the FollowJointTrajectory action, the fixed-rate loop,
faults, torque off on shutdown) while LeRobot talks to the hardware:

* ``read()`` is ``get_observation()``: the ``<motor>.pos`` values, in radians where the units allow
  (a LeRobot robot type that lerobot_ros also knows: converted with the robot's own calibration by
  :class:`~lerobot_ros.robots.units.JointUnits`, exactly as robot_node would publish the same ticks);
  otherwise LeRobot's values as they are, which the log says at start;
* ``send_goal()`` is ``send_action()`` in LeRobot's units; what LeRobot actually sent (after its own
  ``max_relative_target``) comes back in radians.

The robot's config comes from robot_node's parameters (``port``, ``calibration_id`` as LeRobot's
``id``, ``calibration_dir``) plus ``lerobot_config`` (YAML: any other field of the LeRobot config
class). ``lerobot`` is an optional dependency (the ``lerobot`` extra).
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from ..motors.normalization import MotorCalibration
from .robot import JointReading, UnsafeCommandError, joint_limits_rad
from .tables import ROBOT_TYPES, RobotType
from .units import DEGREES, RANGE, JointUnits

log = logging.getLogger(__name__)

PREFIX = "lerobot:"
INSTALL_HINT = "pip install 'lerobot_ros[lerobot]' (LeRobot 0.6.1, Python >= 3.12)"


def is_lerobot_type(name: str) -> bool:
    return name.startswith(PREFIX)


def make_lerobot_robot(type_name: str, values: Mapping[str, Any]):
    """LeRobot's robot of ``type_name`` (plugins included), its config built from ``values``, as
    ``lerobot-record --robot.type`` makes it; errors name the type or field that is wrong."""
    try:
        from lerobot.robots import RobotConfig
        from lerobot.robots.utils import make_robot_from_config
        from lerobot.utils.import_utils import register_third_party_plugins
    except ImportError as err:
        raise ImportError(f"robot_type {PREFIX}{type_name} needs the lerobot package ({err}): {INSTALL_HINT}") from None
    register_third_party_plugins()
    if type_name not in RobotConfig.get_known_choices():
        import_robot_packages()
    try:
        config_class = RobotConfig.get_choice_class(type_name)
    except KeyError:
        known = ", ".join(sorted(RobotConfig.get_known_choices()))
        raise ValueError(f"LeRobot has no robot type {type_name!r} (installed: {known})") from None
    names = {f.name for f in fields(config_class)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"LeRobot's {type_name} config has no field {', '.join(unknown)} (it has "
                         f"{', '.join(sorted(names))})")
    return make_robot_from_config(config_class(**values))


def import_robot_packages() -> None:
    """Import LeRobot's robot packages (each registers its config types, as lerobot-record's imports
    do); one whose own dependencies are missing (reachy2_sdk, ...) is skipped."""
    import lerobot.robots

    for module in pkgutil.iter_modules(lerobot.robots.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"lerobot.robots.{module.name}")
            except ImportError as err:
                log.debug("LeRobot robot package %s not importable: %s", module.name, err)


def config_values(port: str, calibration_id: str, calibration_dir: str, extra_yaml: str,
                  calibration_file: str = "") -> dict[str, Any]:
    """The LeRobot config fields from robot_node's parameters (``calibration_file`` <dir>/<id>.json is
    LeRobot's calibration_dir and id); ``extra_yaml`` (a YAML mapping, or a file holding one) adds or
    overrides any field."""
    if calibration_file:
        path = Path(calibration_file).expanduser()
        calibration_dir, calibration_id = str(path.parent), path.stem
    values: dict[str, Any] = {"port": port, "id": calibration_id or None}
    if calibration_dir:
        values["calibration_dir"] = Path(calibration_dir).expanduser()
    if extra_yaml.strip():
        text = Path(extra_yaml).expanduser().read_text() if Path(extra_yaml).expanduser().is_file() else extra_yaml
        extra = yaml.safe_load(text)
        if not isinstance(extra, dict):
            raise ValueError(f"lerobot_config must be a YAML mapping of LeRobot config fields, got {extra!r}")
        values.update(extra)
    return values


class NoBusDiagnostics:
    """The bus diagnostics of a LeRobot robot or teleoperator (robot_node, teleop_node): LeRobot keeps
    no per-motor counters."""

    hardware_error_bits: Mapping[int, str] = {}

    def __init__(self, robot):
        self._robot = robot

    @property
    def is_connected(self) -> bool:
        return bool(self._robot.is_connected)

    def diagnostics(self) -> dict:
        return {}


class LeRobotRobot:
    """A LeRobot ``Robot`` with the interface the Driver needs from :class:`~lerobot_ros.robots.robot.Robot`."""

    def __init__(self, robot, max_relative_target_rad: float | None = None):
        self.lerobot = robot
        self.motors = [key.removesuffix(".pos") for key, kind in robot.action_features.items()
                       if key.endswith(".pos") and kind is float]
        if not self.motors:
            raise ValueError(f"LeRobot's {robot.name} has no <motor>.pos actions: robot_node drives joint positions")
        self.joint_names = self.motors
        # Our table of the same robot type, when there is one (joint limits, radians); its mobile base
        # (LeKiwi) stays LeRobot's: velocities are not among the joint positions robot_node commands.
        type_name = robot.config.type  # LeRobot 0.6's so101_follower is named so_follower
        known = ROBOT_TYPES.get(type_name)
        self.known_type = known is not None
        self.rtype = replace(known, base=None) if known else RobotType(type_name, type_name, "robot", ())
        self.torque_enabled = True
        self.bus = NoBusDiagnostics(robot)
        self.max_step_rad = np.full(len(self.motors), max_relative_target_rad or math.inf)
        self.limits_rad = np.tile([-math.inf, math.inf], (len(self.motors), 1))
        self.units: JointUnits | None = None  # set at connect (it needs the calibration LeRobot loaded)
        self._last: JointReading | None = None

    @property
    def name(self) -> str:
        return self.lerobot.name

    # -- lifecycle --------------------------------------------------------------------------------

    def connect(self) -> JointReading:
        """LeRobot's ``connect(calibrate=False)`` (a node cannot answer its calibration prompts: make the
        file with ``lerobot-calibrate`` first), then the first reading."""
        self.lerobot.connect(calibrate=False)
        if hasattr(self.lerobot, "is_calibrated") and not self.lerobot.is_calibrated:
            log.warning("%s: the motors' calibration differs from the file (or there is none): run "
                        "lerobot-calibrate for this id", self.name)
        self.units = self._joint_units()
        return self.read()

    def _joint_units(self) -> JointUnits | None:
        """Radians <-> LeRobot's units, for a robot type lerobot_ros knows with its motors' norm modes."""
        bus = getattr(self.lerobot, "bus", None)
        calibration = getattr(bus, "calibration", None)
        if not self.known_type or not calibration or set(self.motors) - set(self.rtype.joint_names):
            log.warning("%s: joint_states carry LeRobot's own values (no radians conversion known for this type)",
                        self.name)
            return None
        modes = {str(bus.motors[m].norm_mode.value) for m in self.motors}
        units = DEGREES if "degrees" in modes else RANGE
        ours = {name: MotorCalibration(id=c.id, drive_mode=c.drive_mode, homing_offset=c.homing_offset,
                                       range_min=c.range_min, range_max=c.range_max)
                for name, c in calibration.items()}
        self.limits_rad = joint_limits_rad(self.rtype, ours)[[self.rtype.joint_names.index(m) for m in self.motors]]
        return JointUnits(self.rtype, self.motors, units, ours)

    def reconnect(self) -> JointReading:
        if self.lerobot.is_connected:
            self.lerobot.disconnect()
        return self.connect()

    def disconnect(self, torque_off: bool = True) -> None:
        """LeRobot's disconnect (torque off when its config's ``disable_torque_on_disconnect`` says so,
        True by default)."""
        if self.lerobot.is_connected:
            self.lerobot.disconnect()

    # -- state ------------------------------------------------------------------------------------

    def _to_radians(self, values: np.ndarray) -> np.ndarray:
        return self.units.to_radians(values) if self.units is not None else values.astype(float)

    def _from_radians(self, radians: np.ndarray) -> np.ndarray:
        return self.units.from_radians(radians) if self.units is not None else radians

    def read(self) -> JointReading:
        observation = self.lerobot.get_observation()
        values = np.array([float(observation[f"{m}.pos"]) for m in self.motors])
        self._last = JointReading(self._to_radians(values), {m: v for m, v in zip(self.motors, values)})
        return self._last

    def read_health(self) -> dict:
        return {}  # LeRobot's Robot API has no temperatures or voltages

    @property
    def last_reading(self) -> JointReading | None:
        return self._last

    # -- commands ---------------------------------------------------------------------------------

    def send_goal(self, goal_rad: np.ndarray) -> np.ndarray:
        """``send_action`` of a safe ``goal_rad`` (limits, max step, finite); returns what LeRobot sent (rad)."""
        if self._last is None:
            raise UnsafeCommandError(f"{self.name}: no successful read of the present position yet; refusing to command")
        goal = np.asarray(goal_rad, dtype=float)
        if goal.shape != (len(self.motors),) or not np.all(np.isfinite(goal)):
            raise UnsafeCommandError(f"goal {goal.tolist()} is not {len(self.motors)} finite values for {self.name}")
        present = self._last.positions_rad
        goal = np.clip(np.clip(goal, present - self.max_step_rad, present + self.max_step_rad),
                       self.limits_rad[:, 0], self.limits_rad[:, 1])
        action = {f"{m}.pos": float(v) for m, v in zip(self.motors, self._from_radians(goal))}
        sent = self.lerobot.send_action(action)
        return self._to_radians(np.array([float(sent[f"{m}.pos"]) for m in self.motors]))
