"""The physics world behind a simulated servo bus: each servo's shaft is its joint in MuJoCo.

The servo keeps everything a real one decides (registers, EEPROM lock, Min/Max_Position_Limit,
Homing_Offset, torque enable); only the motion of its shaft comes from the physics. Shaft ticks and
joint radians are related as robot_node relates them, through the simulator's calibration
(:func:`lerobot_ros.robots.sim_calibration.default_sim_calibration`): one tick is 2 pi / resolution radians,
inverted where the calibration's drive mode inverts. The actuator's gains follow the servo's
P_Coefficient, D_Coefficient and Max_Torque_Limit registers as they are written over the bus.
"""

from __future__ import annotations

import math
import threading

from ...motors.normalization import raw_to_radians
from ...motors.model import Vendor
from ...motors.tables import motor_model
from ...robots.tables import robot_type as lookup_robot_type
from ...servo_sim.bus import SimulatedBus
from ...robots.sim_calibration import default_sim_calibration
from ...servo_sim.servo import SimulatedServo
from .mjcf import servo_gains
from .world import PhysicsWorld

GAIN_REGISTERS = ("P_Coefficient", "D_Coefficient", "Max_Torque_Limit")

_running: dict[str, PhysicsWorld] = {}
_running_lock = threading.Lock()


class _JointDrive:
    """One servo's :data:`~lerobot_ros.servo_sim.servo.ShaftDrive`: joint ``index`` of ``world``."""

    def __init__(self, world: PhysicsWorld, index: int, servo: SimulatedServo, q_ref: float, sign: float):
        self.world, self.index, self.servo = world, index, servo
        self.ticks_per_rad = servo.model.resolution / (2.0 * math.pi)
        self.s_ref, self.q_ref, self.sign = servo.actual_position, q_ref, sign
        self._registers: dict[str, int] = {}

    def __call__(self, target_ticks: float | None) -> tuple[float, float, float]:
        self._follow_gains()
        goal = (None if target_ticks is None
                else self.q_ref + self.sign * (target_ticks - self.s_ref) / self.ticks_per_rad)
        self.world.set_target(self.index, goal)
        q, v, load = self.world.joint_state()
        ticks = self.s_ref + self.sign * (q[self.index] - self.q_ref) * self.ticks_per_rad
        return ticks, self.sign * v[self.index] * self.ticks_per_rad, self.sign * float(load[self.index])

    def _follow_gains(self) -> None:
        memory = self.servo.memory  # the bus lock is held: read the memory, not read_register
        registers = {n: memory.get(n) for n in GAIN_REGISTERS if n in memory.model.registers}
        if registers != self._registers:
            self._registers = registers
            self.world.set_gains(self.index, servo_gains(self.servo.model.name, registers))


def couple(bus: SimulatedBus, robot_type: str, world_name: str) -> PhysicsWorld:
    """Start the physics world ``world_name`` with ``robot_type``'s arm and hand it ``bus``'s servos.

    The arm starts where the servos are. The world is this process's ``world_name`` (see
    :func:`running_world`) until the bus stops; a second coupling under the same name replaces it.
    """
    world = PhysicsWorld(robot_type, world_name)
    rtype = lookup_robot_type(robot_type)
    calibration = default_sim_calibration(robot_type)
    apply_drive_mode = motor_model(rtype.motors[0].model).vendor is Vendor.FEETECH
    start = []
    drives = []
    for index, name in enumerate(world.joint_names):
        spec = rtype.motor(name)
        servo = bus.servo(spec.id)
        cal = calibration[name]
        # Where the horn sits on the shaft is the hardware's, not the registers': the shaft angle reads
        # as the simulator's calibration says once its Homing_Offset is written (robot_node does).
        reading = servo.actual_position
        if "Homing_Offset" in servo.model.registers:
            reading += servo.model.homing_offset_sign * cal.homing_offset
        q_ref = raw_to_radians(reading, cal, servo.model.max_position, apply_drive_mode)
        sign = -1.0 if (apply_drive_mode and cal.drive_mode) else 1.0
        start.append(q_ref)
        drives.append((servo, _JointDrive(world, index, servo, q_ref, sign)))
    world.place_arm(start)
    for servo, drive in drives:
        servo.attach_drive(drive)
    world.start()

    def stop() -> None:
        for servo, _ in drives:
            servo.attach_drive(None)
        world.stop()
        with _running_lock:
            if _running.get(world_name) is world:
                del _running[world_name]

    bus.on_stop.append(stop)
    with _running_lock:
        previous = _running.get(world_name)
        _running[world_name] = world
    if previous is not None:
        previous.stop()
    return world


def running_world(name: str) -> PhysicsWorld:
    """The physics world ``name`` coupled to a simulated bus in this process (camera_node's source)."""
    with _running_lock:
        world = _running.get(name)
    if world is None:
        raise RuntimeError(f"no physics world {name!r} runs in this process: start robot_node with "
                           f"port:=sim://<robot_type>?world={name} in the same process (running: "
                           f"{', '.join(sorted(_running)) or 'none'})")
    return world
