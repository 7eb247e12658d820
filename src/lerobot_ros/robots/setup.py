"""From a robot_node's parameters to a ready :class:`Robot`: port (real or simulated), bus, calibration.

Calibration is looked up the way LeRobot looks it up, so a file made by ``lerobot-calibrate`` works
as is: an explicit file, else ``<calibration dir>/{robots|teleoperators}/<name>/<id>.json``. With no
file, factory-calibrated types (OMX follower) use their fixed calibration and a simulated bus uses
the simulator's own; a real arm with no calibration is an error that says how to make one.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..motors.calibration import (Calibration, calibration_path, check_calibration_covers, factory_calibration,
                                  load_calibration, save_calibration, write_calibration)
from ..servo_sim.bus import SimulatedBus
from .ports import WorldAttacher, is_sim_port, open_sim_port, robot_bus
from .sim_calibration import default_sim_calibration
from .lerobot_robot import PREFIX, LeRobotRobot, config_values, is_lerobot_type, make_lerobot_robot
from .robot import Robot
from .tables import RobotType, robot_type


class RobotSetupError(ValueError):
    """The parameters do not describe a robot that can be brought up; the message says what to change."""


def resolve_calibration(rtype: RobotType, calibration_file: str, calibration_id: str, calibration_dir: str,
                        simulated: bool) -> tuple[Calibration, str]:
    """The calibration to use and where it came from."""
    if calibration_file or calibration_id:
        path = Path(calibration_file).expanduser() if calibration_file else calibration_path(
            rtype, calibration_id, Path(calibration_dir).expanduser() if calibration_dir else None)
        try:
            calibration = load_calibration(path)
            check_calibration_covers(calibration, rtype, path)
        except (OSError, ValueError) as err:
            raise RobotSetupError(str(err)) from None
        return calibration, str(path)
    if rtype.factory_calibration:
        return factory_calibration(rtype), "factory calibration"
    if simulated:
        return default_sim_calibration(rtype.name), "the simulator's calibration"
    raise RobotSetupError(f"{rtype.name} needs a calibration: set calibration_id (a LeRobot calibration id) or "
                          f"calibration_file, or make one with `lerobot-ros calibrate --robot-type {rtype.name} "
                          f"--port <port> --id <id>`")


def open_sim_for_lerobot(port: str, type_name: str,
                         attach_world: WorldAttacher | None = None) -> tuple[SimulatedBus, Path]:
    """Our simulated bus of ``type_name`` (a type with a simulator of ours) for LeRobot's own driver of
    the same type, calibrated as the simulator is: the calibration is written into the servos (LeRobot
    then finds them calibrated) and saved as ``<folder>/sim.json`` for LeRobot to load as id ``sim``.
    The caller removes the folder once LeRobot has read it, and stops the simulator."""
    rtype = robot_type(type_name)
    sim = open_sim_port(port, rtype.name, attach_world)
    calibration = default_sim_calibration(rtype.name)
    try:
        bus = robot_bus(sim.port, rtype)
        bus.connect()
        with bus.torque_disabled():
            write_calibration(bus, calibration)
        bus.disconnect(disable_torque=True)
    except BaseException:
        sim.stop()
        raise
    folder = Path(tempfile.mkdtemp(prefix="lerobot_ros_sim_calibration_"))
    save_calibration(folder / "sim.json", calibration)
    return sim, folder


@dataclass
class RobotSetup:
    robot: Robot | LeRobotRobot
    sim: SimulatedBus | None
    port_description: str
    calibration_source: str

    @classmethod
    def from_parameters(cls, p: Mapping[str, Any], attach_world: WorldAttacher | None = None) -> RobotSetup:
        """``attach_world`` runs a ``sim://...?world=`` port's world (robot_node passes
        :func:`lerobot_ros.sim.worlds.attach_physics_world`)."""
        if is_lerobot_type(p["robot_type"]):
            try:
                return cls.lerobot(p, attach_world)
            except (ValueError, ImportError) as err:  # a bad LeRobot type or field, or no lerobot installed
                raise RobotSetupError(str(err)) from None
        try:
            rtype = robot_type(p["robot_type"])
        except ValueError as err:
            raise RobotSetupError(str(err)) from None
        simulated = is_sim_port(p["port"])
        calibration, source = resolve_calibration(rtype, p["calibration_file"], p["calibration_id"],
                                                  p["calibration_dir"], simulated)
        sim = None
        if simulated:
            try:
                sim = open_sim_port(p["port"], rtype.name, attach_world)
            except ValueError as err:
                raise RobotSetupError(str(err)) from None
        port = sim.port if sim is not None else p["port"]
        torque = {"on": True, "off": False}.get(p["torque"], rtype.role == "robot")
        cap = p["max_relative_target"] or None
        bus = robot_bus(port, rtype, baudrate=p["baudrate"])
        robot = Robot(rtype, bus, calibration, max_relative_target_rad=cap, torque_enabled=torque)
        description = f"simulated bus {port} ({p['port']})" if sim is not None else port
        return cls(robot, sim, description, source)

    @classmethod
    def lerobot(cls, p: Mapping[str, Any], attach_world: WorldAttacher | None = None) -> RobotSetup:
        """``lerobot:<type>``: LeRobot's own driver (:mod:`.lerobot_robot`). On ``port:=sim`` it talks to
        our simulated bus of the same type, calibrated as the simulator is (LeRobot reads that
        calibration from a file made for it here and removed once the robot is built)."""
        type_name = p["robot_type"].removeprefix(PREFIX)
        port, calibration_id, calibration_dir, source = p["port"], p["calibration_id"], p["calibration_dir"], ""
        sim = folder = None
        if is_sim_port(port):
            sim, folder = open_sim_for_lerobot(port, type_name, attach_world)
            port, calibration_id, calibration_dir = sim.port, "sim", str(folder)
            source = "the simulator's calibration"
        try:
            values = config_values(port, calibration_id, calibration_dir, p["lerobot_config"],
                                   p["calibration_file"] if sim is None else "")
            robot = LeRobotRobot(make_lerobot_robot(type_name, values), p["max_relative_target"] or None)
        except BaseException:
            if sim is not None:
                sim.stop()
            raise
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        description = f"LeRobot's {type_name} on " + (f"simulated bus {port} ({p['port']})" if sim else port)
        return cls(robot, sim, description,
                   source or p["calibration_file"] or f"LeRobot's calibration id {calibration_id or '(none)'}")

    def close(self) -> None:
        if self.sim is not None:
            self.sim.stop()
