"""From a robot_node's parameters to a ready :class:`Robot`: port (real or simulated), bus, calibration.

Calibration is looked up the way LeRobot looks it up, so a file made by ``lerobot-calibrate`` works
as is: an explicit file, else ``<calibration dir>/{robots|teleoperators}/<name>/<id>.json``. With no
file, factory-calibrated types (OMX follower) use their fixed calibration and a simulated bus uses
the simulator's own; a real arm with no calibration is an error that says how to make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..motors.calibration import (Calibration, calibration_path, check_calibration_covers, factory_calibration,
                                  load_calibration)
from ..servo_sim.bus import SimulatedBus
from .ports import WorldAttacher, is_sim_port, open_sim_port, robot_bus
from .sim_calibration import default_sim_calibration
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


@dataclass
class RobotSetup:
    robot: Robot
    sim: SimulatedBus | None
    port_description: str
    calibration_source: str

    @classmethod
    def from_parameters(cls, p: Mapping[str, Any], attach_world: WorldAttacher | None = None) -> RobotSetup:
        """``attach_world`` runs a ``sim://...?world=`` port's world (robot_node passes
        :func:`lerobot_ros.sim.worlds.attach_physics_world`)."""
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

    def close(self) -> None:
        if self.sim is not None:
            self.sim.stop()
