"""One simulated servo: control-table memory, access rules, a moving shaft and injectable faults.

The base class holds what both vendors share (lazy physics, the test-side accessors, REG_WRITE /
ACTION); the two subclasses hold what differs on real hardware: how the reported position relates to
the shaft and Homing_Offset, which writes are refused and how, and the units of velocity.

The shaft angle ``actual`` is in encoder ticks and unbounded (a wheel may turn many times); the
encoder sees it modulo the resolution. Everything the servo reports is "reading-frame": Present
position = f(encoder, Homing_Offset), and position control works in that frame too.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from ..motors.model import MotorModel, Vendor
from .dynamics import Dynamics, approach
from .faults import ServoFaults
from .memory import MEMORY_SIZE, RegisterMemory

# Dynamixel status-packet error numbers (protocol 2.0), as the SDK names them.
DXL_ERR_DATA_LENGTH = 0x05
DXL_ERR_ACCESS = 0x07
DXL_ALERT = 0x80
DXL_VELOCITY_UNIT_TPS = 0.229 * 4096 / 60  # one Dynamixel velocity unit (0.229 rpm) in ticks/s
FEETECH_PHASE_SIGNED_POSITION = 0x10  # Phase bit 4: positions may go negative instead of wrapping


def default_position(model: MotorModel, servo_id: int) -> float:
    """Initial shaft angle (ticks) of a fresh servo: the middle of the turn plus a few ticks.

    A real arm out of the box is never exactly at the encoder's middle; a small, deterministic offset
    per servo id reproduces that, so that code which forgets to apply a calibration (or applies it
    twice) shows up as a visible error instead of passing by luck.
    """
    offset = (servo_id * 37) % 61 - 30
    return float(model.max_position // 2 + (offset or 17))

# Told of every write the wire applies: (servo id, the registers it changed, time.monotonic() when it
# was applied; registers a write could not change, read-only or locked, are left out). It runs on the
# bus thread with the bus lock held, so it must be quick: benchmarks stamp when commands reach the arm
# with it (benchmarks/lerobot_dispatch.py).
WriteObserver = Callable[[int, tuple[str, ...], float], None]

# An external shaft (a physics engine): given the shaft angle the position loop asks for (ticks, in
# the unbounded ``actual`` frame; None while torque is off or not in a position mode), it returns
# where the shaft is now: (ticks, ticks/s, load as a signed fraction of full torque).
ShaftDrive = Callable[[float | None], tuple[float, float, float]]


class SimulatedServo:
    """State and behaviour common to all simulated servos. Use :func:`make_servo` to build one."""

    def __init__(self, servo_id: int, model: MotorModel, actual: float, dynamics: Dynamics,
                 lock: threading.RLock | None = None) -> None:
        self.model = model
        self.memory = RegisterMemory(model)
        self.faults = ServoFaults()
        self.dynamics = dynamics
        self._lock = lock or threading.RLock()
        self._actual = float(actual)
        self._velocity = 0.0  # reading-frame ticks/s
        self._moving = False
        self._last = time.monotonic()
        self._pending_write: tuple[int, bytes] | None = None
        self._drive: ShaftDrive | None = None
        self._drive_load = 0.0
        self.write_observers: list[WriteObserver] = []
        for name, value in model.defaults.items():
            self.memory.set(name, value)
        self.memory.set("Model_Number", model.model_number)
        self.memory.set("ID", servo_id)
        self._hold_here()
        self._refresh()

    # ------------------------------------------------------------------ test / user side

    @property
    def id(self) -> int:
        return self.memory.raw("ID")

    @property
    def actual_position(self) -> float:
        """The shaft angle in encoder ticks (unbounded float), after advancing physics to now."""
        with self._lock:
            self._advance()
            return self._actual

    def set_actual_position(self, ticks: float) -> None:
        """Put the shaft at ``ticks`` (a hand, a collision). With torque on it drives back to its goal."""
        with self._lock:
            self._advance()
            self._actual = float(ticks)
            self._velocity = 0.0

    def move_by_hand(self, ticks: float) -> None:
        """Turn the shaft by ``ticks``, as a person moving a torque-free arm does."""
        with self._lock:
            self.set_actual_position(self.actual_position + ticks)

    def attach_drive(self, drive: ShaftDrive | None) -> None:
        """Let ``drive`` move the shaft instead of :mod:`dynamics` (None: back to the built-in model).
        The servo keeps its registers, limits and offsets; only the motion comes from outside."""
        with self._lock:
            self._advance()
            self._drive = drive
            self._drive_load = 0.0
            self._last = time.monotonic()

    def read_register(self, name: str) -> int:
        """Current signed value of a register, status registers brought up to date first."""
        with self._lock:
            self._advance()
            self._refresh()
            return self.memory.get(name)

    def write_register(self, name: str, value: int) -> None:
        """Poke a register directly, bypassing the wire's access rules (EEPROM lock, read-only)."""
        with self._lock:
            self._advance()
            torque_before = self._torque_on()
            self.memory.set(name, value)
            self._after_write(torque_before)

    # ------------------------------------------------------------------ protocol side (bus lock held)

    def read_bytes(self, address: int, length: int) -> tuple[int, bytes]:
        """(error number, data) for a READ of ``length`` bytes at ``address``."""
        self._advance()
        self._refresh()
        return 0, bytes(self.memory.data[address:address + length]).ljust(length, b"\0")

    def write_bytes(self, address: int, data: bytes) -> int:
        """Apply a WRITE as the hardware would; returns the status error number (0 = accepted)."""
        self._advance()
        error = self._write_error(address, len(data))
        if error:
            return error
        torque_before = self._torque_on()
        offsets = self._writable_offsets(address, len(data))
        for offset in offsets:
            self.memory.data[address + offset] = data[offset]
        self._after_write(torque_before)
        if self.write_observers:
            self._tell_observers({address + offset for offset in offsets}, address, len(data))
        return 0

    def _tell_observers(self, written: set[int], address: int, length: int) -> None:
        """Report the registers that ``written`` (byte addresses) changed; a refused write reports none."""
        now = time.monotonic()
        names = tuple(name for name, reg in self.memory.registers_touching(address, length)
                      if written.intersection(range(reg.address, reg.address + reg.size)))
        if names:
            for observe in self.write_observers:
                observe(self.id, names, now)

    def reg_write(self, address: int, data: bytes) -> int:
        """REG_WRITE: check now, apply on ACTION."""
        error = self._write_error(address, len(data))
        if not error:
            self._pending_write = (address, bytes(data))
        return error

    def action(self) -> None:
        if self._pending_write is not None:
            address, data = self._pending_write
            self._pending_write = None
            self.write_bytes(address, data)

    def replies_to(self, instruction_kind: str) -> bool:
        """Whether the status-return level lets this servo answer ("ping", "read" or "write")."""
        raise NotImplementedError

    def status_error(self, error_number: int = 0) -> int:
        """The error byte of the status packet for an instruction that ended with ``error_number``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ vendor hooks

    def _write_error(self, address: int, length: int) -> int:
        raise NotImplementedError

    def _writable_offsets(self, address: int, length: int) -> range | list[int]:
        raise NotImplementedError

    def _reading(self) -> float:
        """Present position (reading frame) of the current shaft angle, as a float."""
        raise NotImplementedError

    def _position_error(self) -> float | None:
        """Ticks still to travel to the goal in a position mode; None when not position-controlled."""
        raise NotImplementedError

    def _velocity_command(self) -> float | None:
        """Commanded speed (ticks/s) in velocity mode; None otherwise."""
        raise NotImplementedError

    def _refresh(self) -> None:
        """Write the status registers (present position, velocity, load, moving ...)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shared machinery

    def _torque_on(self) -> bool:
        return self.memory.raw("Torque_Enable") != 0

    def _after_write(self, torque_before: bool) -> None:
        # Enabling torque makes the servo hold where it is, never jump to a stale goal.
        if self._torque_on() and not torque_before:
            self._hold_here()

    def _hold_here(self) -> None:
        self.memory.set("Goal_Position", round(self._reading()))

    def _advance(self) -> None:
        if self._drive is not None:
            error = self._position_error() if self._torque_on() else None
            target = None if error is None else self._actual + error
            self._actual, self._velocity, self._drive_load = self._drive(target)
            self._moving = abs(self._velocity) >= 1.0
            return
        now = time.monotonic()
        dt, self._last = now - self._last, now
        if dt <= 0:
            return
        if not self._torque_on():
            self._velocity, self._moving = 0.0, False
            return
        vmax = self.dynamics.max_speed_tps
        error = self._position_error()
        if error is not None:
            moved, self._velocity = approach(error, dt, self.dynamics.time_constant_s, vmax)
            self._actual += moved
            self._moving = abs(error - moved) >= 0.5
            return
        speed = self._velocity_command()
        self._velocity = max(-vmax, min(vmax, speed or 0.0))
        self._actual += self._velocity * dt
        self._moving = self._velocity != 0.0

    def _load_fraction(self) -> float:
        """The external drive's load, else a plausible one: proportional to speed, half scale at full speed."""
        if self._drive is not None:
            return self._drive_load
        return 0.5 * self._velocity / self.dynamics.max_speed_tps


class FeetechServo(SimulatedServo):
    """STS/SMS (protocol 0) and SCS (protocol 1) behaviour.

    ``Present = Encoder - Homing_Offset``; with Phase bit 4 set (factory) that may go negative and is
    sent sign-magnitude, with it cleared it wraps into 0..resolution-1. EPROM bytes are written only
    while Lock is 0; read-only and locked bytes of a WRITE are silently dropped, as on hardware.
    """

    def replies_to(self, instruction_kind: str) -> bool:
        return instruction_kind != "write" or self.memory.raw("Response_Status_Level") != 0

    def status_error(self, error_number: int = 0) -> int:
        return self.faults.error_bits & 0x7F

    def _write_error(self, address: int, length: int) -> int:
        return 0

    def _writable_offsets(self, address: int, length: int) -> list[int]:
        locked = self.memory.raw("Lock") != 0
        blocked: set[int] = set()
        for _, reg in self.memory.registers_touching(address, length):
            if not reg.writable or (reg.eeprom and locked):
                blocked.update(range(reg.address, reg.address + reg.size))
        return [i for i in range(length) if address + i not in blocked and address + i < MEMORY_SIZE]

    def _signed_positions(self) -> bool:
        return bool(self.memory.get_or("Phase", 0) & FEETECH_PHASE_SIGNED_POSITION)

    def _encoder(self) -> float:
        return self._actual % self.model.resolution

    def _reading(self) -> float:
        value = self._encoder() - self.memory.get_or("Homing_Offset", 0)
        return value if self._signed_positions() else value % self.model.resolution

    def _mode(self) -> int:
        return self.memory.get_or("Operating_Mode", 0)

    def _position_error(self) -> float | None:
        if self._mode() != 0:
            return None
        goal = self.memory.get("Goal_Position")
        lo, hi = self.memory.get("Min_Position_Limit"), self.memory.get("Max_Position_Limit")
        if lo < hi:
            goal = min(max(goal, lo), hi)
        res = self.model.resolution
        target = goal + self.memory.get_or("Homing_Offset", 0)
        target = min(max(target, 0), res - 1) if self._signed_positions() else target % res
        return target - self._encoder()

    def _velocity_command(self) -> float | None:
        return float(self.memory.get("Goal_Velocity")) if self._mode() == 1 else None

    def _refresh(self) -> None:
        mem = self.memory
        mem.set("Present_Position", round(self._reading()))
        _set_signed_or_magnitude(mem, "Present_Velocity", max(-32767, min(32767, round(self._velocity))))
        load = max(-1000, min(1000, round(1000 * self._load_fraction())))
        _set_signed_or_magnitude(mem, "Present_Load", load)
        mem.set("Moving", int(self._moving))
        mem.set("Status", self.faults.error_bits & 0xFF)
        if "Present_Current" in mem.model.registers:
            mem.set("Present_Current", abs(load) // 4)


class DynamixelServo(SimulatedServo):
    """X-series (protocol 2.0) behaviour.

    ``Present = Actual + Homing_Offset`` (two's complement). Position mode 3 reports the single-turn
    encoder plus offset and clamps goals to Min/Max_Position_Limit; extended-position (4) and
    current-position (5) modes are multi-turn and ignore the limits. A WRITE touching EEPROM while
    torque is on, or touching a read-only register, is refused whole with an access error.
    """

    def replies_to(self, instruction_kind: str) -> bool:
        level = self.memory.raw("Status_Return_Level")
        return instruction_kind == "ping" or level >= 2 or (instruction_kind == "read" and level >= 1)

    def status_error(self, error_number: int = 0) -> int:
        return (DXL_ALERT if self.faults.error_bits else 0) | error_number

    def read_bytes(self, address: int, length: int) -> tuple[int, bytes]:
        if address + length > MEMORY_SIZE:
            return DXL_ERR_DATA_LENGTH, b""
        return super().read_bytes(address, length)

    def _write_error(self, address: int, length: int) -> int:
        if address + length > MEMORY_SIZE:
            return DXL_ERR_DATA_LENGTH
        torque = self._torque_on()
        for _, reg in self.memory.registers_touching(address, length):
            if not reg.writable or (reg.eeprom and torque):
                return DXL_ERR_ACCESS
        return 0

    def _writable_offsets(self, address: int, length: int) -> range:
        return range(length)

    def _mode(self) -> int:
        return self.memory.raw("Operating_Mode")

    def _reading(self) -> float:
        offset = self.memory.get("Homing_Offset")
        if self._mode() == 3:
            return self._actual % self.model.resolution + offset
        return self._actual + offset

    def _position_error(self) -> float | None:
        mode = self._mode()
        goal = self.memory.get("Goal_Position")
        if mode == 3:
            lo, hi = self.memory.get("Min_Position_Limit"), self.memory.get("Max_Position_Limit")
            goal = min(max(goal, lo), hi)
            target = min(max(goal - self.memory.get("Homing_Offset"), 0), self.model.resolution - 1)
            return target - self._actual % self.model.resolution
        if mode in (4, 5):
            return goal - self._reading()
        return None

    def _velocity_command(self) -> float | None:
        if self._mode() != 1:
            return None
        limit = self.memory.get("Velocity_Limit")
        units = max(-limit, min(limit, self.memory.get("Goal_Velocity")))
        return units * DXL_VELOCITY_UNIT_TPS

    def _refresh(self) -> None:
        mem = self.memory
        mem.set("Present_Position", round(self._reading()))
        velocity_units = round(self._velocity / DXL_VELOCITY_UNIT_TPS)
        mem.set("Present_Velocity", velocity_units)
        mem.set("Present_Current", round(300 * self._load_fraction()))
        mem.set("Present_PWM", round(mem.get("PWM_Limit") * self._load_fraction()))
        mem.set("Moving", int(self._moving and abs(velocity_units) > mem.get("Moving_Threshold")))
        mem.set("Realtime_Tick", int(time.monotonic() * 1000) % 32768)
        mem.set("Hardware_Error_Status", self.faults.error_bits & 0xFF)
        mem.set("Registered_Instruction", int(self._pending_write is not None))


def _set_signed_or_magnitude(memory: RegisterMemory, name: str, value: int) -> None:
    """Store ``value``; registers without a sign encoding (SCS tables) get its magnitude."""
    reg = memory.model.register(name)
    memory.set(name, value if reg.sign_bit is not None or reg.signed else abs(value))


def make_servo(servo_id: int, model: MotorModel, actual: float, dynamics: Dynamics,
               lock: threading.RLock | None = None) -> SimulatedServo:
    """A servo of the right vendor class for ``model``."""
    cls = FeetechServo if model.vendor is Vendor.FEETECH else DynamixelServo
    return cls(servo_id, model, actual, dynamics, lock)
