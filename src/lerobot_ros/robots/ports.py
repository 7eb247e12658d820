"""What a robot_node ``port`` value opens: a serial bus of the robot's vendor, or a simulated bus.

``sim`` simulates the robot type configured beside it; ``sim://<robot_type>`` names the type (and
must agree with a configured one). Query options: ``timing=1mbps`` (or ``500kbps``, ``1000000``,
``off``) for real wire timing, ``seed=<int>`` and ``drop=<probability>`` for random reply drops;
``world=<task>`` (e.g. ``pick_place``) moves the servos' shafts with a MuJoCo physics world instead
of the built-in first-order model (:mod:`lerobot_ros.sim.physics`, needs ``mujoco``).
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import parse_qs, urlsplit

from ..motors.bus import BusMotor, MotorsBus
from ..motors.vendor_bus import make_bus
from ..servo_sim.bus import ServoSpec, SimulatedBus
from .tables import RobotType
from .tables import robot_type as lookup_robot_type

__all__ = ["is_sim_port", "motors_of", "open_sim_port", "robot_bus", "simulated_bus"]

_OPTIONS = ("timing", "seed", "drop", "world")

# Attaches a named world to a simulated bus: (bus, robot type, world name). The simulated world sits a
# layer above robots/ (lerobot_ros.sim.worlds.attach_physics_world), so callers that run one hand it in.
WorldAttacher = Callable[[SimulatedBus, str, str], object]


def motors_of(robot: RobotType) -> dict[str, BusMotor]:
    """The bus motor table of a robot type."""
    return {spec.name: BusMotor(spec.id, spec.model) for spec in robot.motors}


def robot_bus(port: str, robot: RobotType | str, **kwargs) -> MotorsBus:
    """A bus of the right vendor for a robot type (or its name); ``kwargs`` go to the bus constructor
    (baudrate, timeout_ms, retries)."""
    return make_bus(port, motors_of(lookup_robot_type(robot) if isinstance(robot, str) else robot), **kwargs)


def simulated_bus(robot_type_name: str, **kwargs) -> SimulatedBus:
    """The factory-fresh servos of a robot type on a simulated bus (not started); ``kwargs`` go to
    :class:`SimulatedBus` (timing_baudrate, seed, drop_probability, dynamics)."""
    return SimulatedBus([ServoSpec(m.id, m.model) for m in lookup_robot_type(robot_type_name).motors], **kwargs)


def is_sim_port(port: str) -> bool:
    return port == "sim" or port.startswith(("sim://", "sim?"))


def open_sim_port(port: str, robot_type: str | None = None, attach_world: WorldAttacher | None = None) -> SimulatedBus:
    """A started :class:`SimulatedBus` for a ``sim`` port value; a ``world=`` option goes to ``attach_world``."""
    if not is_sim_port(port):
        raise ValueError(f"{port!r} is not a simulated port (use 'sim' or 'sim://<robot_type>')")
    parts = urlsplit(port if "://" in port else port.replace("sim", "sim://", 1))
    named = parts.netloc or None
    if named and robot_type and named != robot_type:
        raise ValueError(f"port {port!r} simulates {named!r} but robot_type is {robot_type!r}")
    name = named or robot_type
    if name is None:
        raise ValueError(f"port {port!r} does not say which robot to simulate: use 'sim://<robot_type>' "
                         "or give a robot_type")
    lookup_robot_type(name)  # ValueError listing the known types
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"unknown sim port option(s) {', '.join(unknown)} in {port!r}; known: {', '.join(_OPTIONS)}")
    value = {k: v[-1] for k, v in options.items()}
    try:
        bus = simulated_bus(
            name,
            timing_baudrate=_parse_baudrate(value["timing"]) if "timing" in value else None,
            seed=int(value["seed"]) if "seed" in value else None,
            drop_probability=float(value.get("drop", 0.0)),
        )
    except ValueError as exc:
        raise ValueError(f"bad option in sim port {port!r}: {exc}") from None
    if value.get("world"):
        if attach_world is None:
            raise ValueError(f"port {port!r} asks for a physics world, which this program does not run "
                             "(robot_node does)")
        try:
            attach_world(bus, name, value["world"])
        except ValueError as exc:
            raise ValueError(f"bad world in sim port {port!r}: {exc}") from None
    bus.start()
    return bus


def _parse_baudrate(text: str) -> int | None:
    text = text.strip().lower()
    if text in ("", "0", "off", "none", "false"):
        return None
    for suffix, scale in (("mbps", 1_000_000), ("kbps", 1_000), ("bps", 1)):
        if text.endswith(suffix):
            return int(float(text[:-len(suffix)]) * scale)
    return int(text)
