"""Any installed LeRobot ``Teleoperator`` as teleop_node's leader (``leader_type:=lerobot:<type>``; docs/teleop.md).

LeRobot is the well-kept driver for its teleoperators (SO-100/101, Koch and OMX leader arms, the
homunculus, third-party ``lerobot_teleoperator_*`` plugins). This module wraps one as the leader that
teleop_node's :class:`~lerobot_ros.robots.driver.Driver` reads, so teleop_node keeps its whole interface
(``leader/joint_states``, the single-point trajectories to the follower, the ramp, the step cap, the
leader/follower timeouts, fault handling and reconnection, diagnostics) while LeRobot reads the device:

* ``read()`` is ``get_action()``: the ``<motor>.pos`` values in LeRobot's units;
* :class:`LeRobotFollowerMap` turns them into the follower's joint radians exactly as LeRobot's
  ``follower.send_action(leader.get_action())`` would place the follower: the number is un-normalized
  with the FOLLOWER's calibration (:class:`~lerobot_ros.robots.units.JointUnits`), in the units the
  leader's motors are normalized in (degrees or -100..100, grippers 0..100: read from LeRobot's bus).

Teleoperators whose actions are not joint positions (gamepad, keyboard, phone: end-effector deltas that
need LeRobot's inverse-kinematics processors) are refused with the keys they give. ``lerobot`` is an
optional dependency (the ``lerobot`` extra).
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
import shutil
import termios
from dataclasses import MISSING, dataclass, fields
from typing import Any, Mapping

import numpy as np

from ..motors.errors import BusError
from ..motors.normalization import MotorCalibration, NormMode
from ..robots.lerobot_robot import INSTALL_HINT, PREFIX, NoBusDiagnostics, config_values, is_lerobot_type
from ..robots.ports import is_sim_port
from ..robots.robot import JointReading, joint_limits_rad
from ..robots.setup import open_sim_for_lerobot
from ..robots.tables import ROBOT_TYPES, RobotType
from ..robots.units import DEGREES, RANGE, JointUnits, norm_mode
from ..servo_sim.bus import SimulatedBus
from .leader import TeleopPairError

log = logging.getLogger(__name__)

__all__ = ["LeRobotLeader", "LeRobotFollowerMap", "LeRobotLeaderSetup", "is_lerobot_type", "make_lerobot_teleoperator"]

# LeRobot's errors from a device that stopped answering or cannot be opened (a sync_read that failed,
# a port that vanished: pyserial's termios.error): what the Driver's fault handling counts as a bus failure.
_DEVICE_ERRORS = (ConnectionError, OSError, termios.error)
# LeKiwi carries an SO arm whose motors LeRobot names arm_<motor> (as teleop.leader pairs them).
_FOLLOWER_ARM_PREFIXES = ("", "arm_")


def make_lerobot_teleoperator(type_name: str, values: Mapping[str, Any]):
    """LeRobot's teleoperator of ``type_name`` (plugins included), its config built from ``values``, as
    ``lerobot-teleoperate --teleop.type`` makes it; errors name the type or field that is wrong."""
    try:
        from lerobot.teleoperators import TeleoperatorConfig
        from lerobot.teleoperators.utils import make_teleoperator_from_config
        from lerobot.utils.import_utils import register_third_party_plugins
    except ImportError as err:
        raise ImportError(f"leader_type {PREFIX}{type_name} needs the lerobot package ({err}): "
                          f"{INSTALL_HINT}") from None
    register_third_party_plugins()
    if type_name not in TeleoperatorConfig.get_known_choices():
        _import_teleoperator_packages()
    try:
        config_class = TeleoperatorConfig.get_choice_class(type_name)
    except KeyError:
        known = ", ".join(sorted(TeleoperatorConfig.get_known_choices()))
        raise ValueError(f"LeRobot has no teleoperator type {type_name!r} (installed: {known})") from None
    names = {f.name for f in fields(config_class)}
    if "port" not in names or not values.get("port"):  # a device with no port (gamepad, phone), or none given
        values = {k: v for k, v in values.items() if k != "port"}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"LeRobot's {type_name} config has no field {', '.join(unknown)} (it has "
                         f"{', '.join(sorted(names))})")
    missing = sorted(f.name for f in fields(config_class) if f.name not in values and _required(f))
    if missing:
        raise ValueError(f"LeRobot's {type_name} config needs {', '.join(missing)}: set leader_port for its port, "
                         "other fields in lerobot_config")
    try:
        return make_teleoperator_from_config(config_class(**values))
    except ImportError as err:  # the device's own dependency (pynput, hebi-py, ...)
        raise ImportError(f"LeRobot's {type_name} cannot be built: {err}") from None
    except _DEVICE_ERRORS as err:  # a device that opens its port when built (homunculus)
        raise ValueError(f"LeRobot's {type_name} cannot be built: {err}") from None


def _required(field) -> bool:
    return field.default is MISSING and field.default_factory is MISSING


def _import_teleoperator_packages() -> None:
    """Import LeRobot's teleoperator packages (each registers its config types, as lerobot-teleoperate's
    imports do); one whose own dependencies are missing is skipped."""
    import lerobot.teleoperators

    for module in pkgutil.iter_modules(lerobot.teleoperators.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"lerobot.teleoperators.{module.name}")
            except ImportError as err:
                log.debug("LeRobot teleoperator package %s not importable: %s", module.name, err)


def _device_error(device, err: Exception) -> BusError:
    port = getattr(getattr(device, "config", None), "port", None) or device.name
    return BusError(str(port), f"LeRobot's {device.name}: {err}")


class LeRobotLeader:
    """A LeRobot ``Teleoperator`` with the interface the Driver reads from a leader
    :class:`~lerobot_ros.robots.robot.Robot`: torque off (the Driver never commands it), readings
    whose ``raw`` are LeRobot's action values by motor and whose radians are the leader's own (the
    ``leader/joint_states`` it publishes), where the type is one lerobot_ros knows."""

    def __init__(self, teleoperator, type_name: str):
        """``type_name``: the type it was made as (LeRobot's config may name an alias: so100_leader for
        so101_leader)."""
        self.lerobot = teleoperator
        features = teleoperator.action_features
        self.motors = [key.removesuffix(".pos") for key, kind in features.items()
                       if isinstance(key, str) and key.endswith(".pos") and kind is float]
        if not self.motors:
            raise ValueError(f"LeRobot's {teleoperator.name} gives actions {', '.join(map(str, features))}, not "
                             "<motor>.pos joint positions: teleop_node streams the follower's joint positions "
                             "(end-effector teleoperators need LeRobot's inverse-kinematics processors)")
        self.joint_names = self.motors
        known = ROBOT_TYPES.get(type_name)
        self.known_type = (known is not None and known.role == "teleoperator"
                           and set(self.motors) <= set(known.joint_names))
        self.rtype = known if self.known_type else RobotType(type_name, type_name, "teleoperator", ())
        self.torque_enabled = False
        self.bus = NoBusDiagnostics(teleoperator)
        self.limits_rad = np.tile([-math.inf, math.inf], (len(self.motors), 1))
        self.modes = self._norm_modes()
        self._units: JointUnits | None = None
        self._last: JointReading | None = None

    @property
    def name(self) -> str:
        return self.lerobot.name

    def _norm_modes(self) -> dict[str, NormMode] | None:
        """How LeRobot normalizes each motor (its bus's norm modes), or None where it keeps no bus."""
        bus = getattr(self.lerobot, "bus", None)
        motors = getattr(bus, "motors", None)
        if not isinstance(motors, Mapping) or set(self.motors) - set(motors):
            return None
        return {m: NormMode(str(motors[m].norm_mode.value)) for m in self.motors}

    # -- lifecycle --------------------------------------------------------------------------------

    def connect(self) -> JointReading:
        """LeRobot's ``connect(calibrate=False)`` (a node cannot answer its calibration prompts: make the
        file with ``lerobot-calibrate`` first), then the first reading."""
        try:
            self.lerobot.connect(calibrate=False)
            calibrated = self.lerobot.is_calibrated
        except (*_DEVICE_ERRORS, RuntimeError) as err:  # RuntimeError: LeRobot's handshake found no motors
            self.disconnect()  # LeRobot leaves the port open: the next try would be "already connected"
            raise _device_error(self.lerobot, err) from None
        if not calibrated:
            log.warning("%s: the motors' calibration differs from the file (or there is none): run "
                        "lerobot-calibrate for this id", self.name)
        self._units = self._leader_units()
        return self.read()

    def _leader_units(self) -> JointUnits | None:
        """LeRobot's units -> the leader's radians, for a type lerobot_ros knows, with LeRobot's calibration."""
        calibration = getattr(self.lerobot, "calibration", None)
        if not self.known_type or not calibration or self.modes is None:
            log.warning("%s: leader/joint_states carry LeRobot's own values (no radians conversion known for "
                        "this type)", self.name)
            return None
        ours = {name: MotorCalibration(id=c.id, drive_mode=c.drive_mode, homing_offset=c.homing_offset,
                                       range_min=c.range_min, range_max=c.range_max)
                for name, c in calibration.items()}
        return JointUnits(self.rtype, self.motors, units_of(self.modes), ours)

    def reconnect(self) -> JointReading:
        self.disconnect()
        return self.connect()

    def disconnect(self, torque_off: bool = True) -> None:
        """LeRobot's disconnect (a leader's torque is already off); a device that is gone is let go."""
        if self.lerobot.is_connected:
            try:
                self.lerobot.disconnect()
            except _DEVICE_ERRORS as err:
                log.warning("%s: disconnect failed (%s); the port is closed regardless", self.name, err)
                self._close_port()

    def _close_port(self) -> None:
        """Close LeRobot's serial port without talking to the device (which may be gone), and clear the
        SDK's in-use flag that a transaction cut off by an error leaves set (every later one would fail
        with "Port is in use")."""
        port_handler = getattr(getattr(self.lerobot, "bus", None), "port_handler", None)
        if port_handler is None:
            return
        if port_handler.is_open:
            port_handler.closePort()
        port_handler.is_using = False

    # -- state ------------------------------------------------------------------------------------

    def read(self) -> JointReading:
        try:
            action = self.lerobot.get_action()
        except _DEVICE_ERRORS as err:
            raise _device_error(self.lerobot, err) from None
        values = np.array([float(action[f"{m}.pos"]) for m in self.motors])
        radians = self._units.to_radians(values) if self._units is not None else values
        self._last = JointReading(radians, {m: v for m, v in zip(self.motors, values)})
        return self._last

    def read_health(self) -> dict:
        return {}  # LeRobot's Teleoperator API has no temperatures or voltages

    @property
    def last_reading(self) -> JointReading | None:
        return self._last


def units_of(modes: Mapping[str, NormMode]) -> str:
    """The :mod:`~lerobot_ros.robots.units` name of a device's body normalization (grippers are 0..100 in both)."""
    return DEGREES if NormMode.DEGREES in modes.values() else RANGE


class LeRobotFollowerMap:
    """A LeRobot teleoperator's action -> the follower's joint radians, as LeRobot's ``send_action``
    would place the follower: the same number, un-normalized with the follower's calibration.

    The same interface as :class:`~lerobot_ros.teleop.leader.LeaderFollowerMap` (leader_names,
    follower_names, follower_limits_rad, follower_positions_rad of a reading's ``raw``)."""

    def __init__(self, leader: LeRobotLeader, follower: RobotType,
                 follower_calibration: Mapping[str, MotorCalibration], follower_joint_prefix: str = ""):
        if leader.modes is None:
            raise TeleopPairError(f"LeRobot's {leader.name} keeps no motor bus, so the units of its actions are "
                                  "unknown: teleop_node converts <motor>.pos values through the follower's "
                                  "calibration only for devices on a LeRobot motor bus")
        follower_specs = {s.name: s for s in follower.joints}
        units = units_of(leader.modes)
        names = []
        for motor in leader.motors:
            name = next((p + motor for p in _FOLLOWER_ARM_PREFIXES if p + motor in follower_specs), None)
            if name is None:
                raise TeleopPairError(f"{follower.name} has no joint for LeRobot's {leader.name} motor {motor} "
                                      f"(joints: {', '.join(follower_specs)}); pick a follower of the same arm")
            expected = norm_mode(units, follower_specs[name].norm)
            if leader.modes[motor] is not expected:
                raise TeleopPairError(
                    f"LeRobot's {leader.name} normalizes {motor} {leader.modes[motor].value} but {follower.name}'s "
                    f"{name} takes {expected.value}: LeRobot passes the number through unchanged, so the poses "
                    "would not match; pair arms of one family (and the same use_degrees)")
            names.append(name)
        unmatched = set(follower_specs) - set(names)
        if unmatched:
            raise TeleopPairError(f"LeRobot's {leader.name} has no motor for {follower.name}'s "
                                  f"{', '.join(sorted(unmatched))}")
        try:
            self._units = JointUnits(follower, names, units, follower_calibration)
        except ValueError as err:
            raise TeleopPairError(str(err)) from None
        self.leader_names = list(leader.motors)
        self.follower_names = [follower_joint_prefix + n for n in names]
        order = [s.name for s in follower.joints]
        self.follower_limits_rad = joint_limits_rad(follower, follower_calibration)[[order.index(n) for n in names]]

    def follower_positions_rad(self, action: Mapping[str, float]) -> np.ndarray:
        """The follower pose (rad, ``follower_names`` order) for LeRobot's action values by motor; not clamped."""
        return self._units.to_radians(np.array([float(action[m]) for m in self.leader_names]))


@dataclass
class LeRobotLeaderSetup:
    """LeRobot's teleoperator built from teleop_node's parameters, on the port they name."""

    robot: LeRobotLeader
    sim: SimulatedBus | None
    port_description: str
    calibration_source: str

    @classmethod
    def from_parameters(cls, p: Mapping[str, Any]) -> LeRobotLeaderSetup:
        """``leader_port`` (``sim``: our simulated bus of the same type, calibrated as the simulator is),
        ``leader_calibration_id`` as LeRobot's ``id``, ``leader_calibration_file``, ``calibration_dir``
        and ``lerobot_config`` (YAML: any other field of LeRobot's teleoperator config)."""
        type_name = p["leader_type"].removeprefix(PREFIX)
        port, calibration_id, calibration_dir = p["leader_port"], p["leader_calibration_id"], p["calibration_dir"]
        calibration_file, source = p["leader_calibration_file"], ""
        sim = folder = None
        if is_sim_port(port):
            if type_name not in ROBOT_TYPES:
                raise ValueError(f"lerobot_ros has no simulator of LeRobot's {type_name}: leader_port:=sim needs a "
                                 f"leader arm type of ours ({', '.join(sorted(ROBOT_TYPES))}); give the device's port")
            sim, folder = open_sim_for_lerobot(port, type_name)
            port, calibration_id, calibration_dir, calibration_file = sim.port, "sim", str(folder), ""
            source = "the simulator's calibration"
        try:
            values = config_values(port, calibration_id, calibration_dir, p["lerobot_config"], calibration_file)
            robot = LeRobotLeader(make_lerobot_teleoperator(type_name, values), type_name)
        except BaseException:
            if sim is not None:
                sim.stop()
            raise
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        description = f"LeRobot's {type_name} on " + (f"simulated bus {port} ({p['leader_port']})" if sim else port)
        return cls(robot, sim, description,
                   source or calibration_file or f"LeRobot's calibration id {calibration_id or '(none)'}")

    def close(self) -> None:
        if self.sim is not None:
            self.sim.stop()
