"""A whole simulated servo bus on a pseudo-terminal, driven through the real vendor SDKs.

The bus wires the pty (:mod:`pty_link`), the vendor's wire protocol and the servos together, applies
bus-level faults (unplug, random drops) and, optionally, real wire timing: at a configured baud rate
each reply is held back by the time the instruction and status bytes take on the line (10 bits a
byte) plus the servo's Return_Delay_Time (2 us units), so latency-sensitive code sees 1 Mbps reality.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..motors.model import Vendor
from ..motors.tables import motor_model
from .dynamics import Dynamics
from .dynamixel_protocol import DynamixelProtocol
from .faults import BusFaults
from .feetech_protocol import FeetechProtocol
from .pty_link import PtyLink
from .servo import SimulatedServo, WriteObserver, default_position, make_servo

RETURN_DELAY_UNIT_S = 2e-6


@dataclass(frozen=True)
class ServoSpec:
    """One servo on a simulated bus; ``position`` is its initial shaft angle in ticks."""

    id: int
    model: str
    position: float | None = None


class SimulatedBus:
    """Simulated servos answering the real SDKs on a pty. ``start()`` returns the port path."""

    def __init__(self, servos: Iterable[ServoSpec | tuple], *, dynamics: Dynamics = Dynamics(),
                 timing_baudrate: int | None = None, drop_probability: float = 0.0,
                 seed: int | None = None) -> None:
        specs = [s if isinstance(s, ServoSpec) else ServoSpec(*s) for s in servos]
        if not specs:
            raise ValueError("a simulated bus needs at least one servo")
        models = [motor_model(s.model) for s in specs]
        if len({(m.vendor, m.protocol) for m in models}) != 1:
            raise ValueError("all servos of one bus must share a vendor and protocol: "
                             + ", ".join(f"{m.name} ({m.vendor.value} protocol {m.protocol})" for m in models))
        self._lock = threading.RLock()
        self._servos = [
            make_servo(s.id, m, default_position(m, s.id) if s.position is None else s.position, dynamics, self._lock)
            for s, m in zip(specs, models)
        ]
        first = models[0]
        self.vendor: Vendor = first.vendor
        self.protocol_version = first.protocol
        self._protocol = FeetechProtocol(first.protocol) if first.vendor is Vendor.FEETECH else DynamixelProtocol()
        self.faults = BusFaults(drop_probability, seed)
        self.timing_baudrate = timing_baudrate
        self._silent = False
        self._link = PtyLink(self._on_bytes, self._on_idle)
        self.on_stop: list[Callable[[], None]] = []  # what the bus drives stops with it (a physics world)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Open the pty and start answering; returns the port path to give the SDK."""
        self._silent = False
        return self._link.open()

    def stop(self) -> None:
        self._link.dispose()
        while self.on_stop:
            self.on_stop.pop()()

    def __enter__(self) -> "SimulatedBus":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> str:
        return self._link.port

    @property
    def plugged(self) -> bool:
        return self._link.connected and not self._silent

    def unplug(self, vanish: bool = True) -> None:
        """Pull the cable. ``vanish``: the device disappears (open handles fail, the path goes away);
        otherwise the port stays but nothing answers any more."""
        if vanish:
            self._link.close()
        else:
            self._silent = True
        self._protocol.reset()

    def replug(self) -> None:
        """Plug back in: the same path works again (a fresh device after a vanishing unplug)."""
        self._silent = False
        self._link.open()

    # ------------------------------------------------------------------ servos

    @property
    def servos(self) -> Sequence[SimulatedServo]:
        return tuple(self._servos)

    def servo(self, servo_id: int) -> SimulatedServo:
        for servo in self._servos:
            if servo.id == servo_id:
                return servo
        raise KeyError(f"no simulated servo with id {servo_id} (ids: {sorted(s.id for s in self._servos)})")

    def observe_writes(self, observer: WriteObserver) -> None:
        """Tell ``observer`` of every write a servo of this bus applies (see :data:`WriteObserver`)."""
        for servo in self._servos:
            servo.write_observers.append(observer)

    # ------------------------------------------------------------------ wire

    def _on_idle(self) -> None:
        with self._lock:
            self._protocol.reset()

    def _on_bytes(self, data: bytes) -> None:
        if self._silent:
            return
        with self._lock:
            outgoing = []
            for ins in self._protocol.feed(data):
                extra = ins.wire_length
                for reply in self._protocol.respond(ins, self._servos):
                    if reply.servo.faults.no_reply or self.faults.drop_now():
                        continue
                    packet = self._protocol.status_packet(reply, corrupt=reply.servo.faults.corrupt_checksum)
                    outgoing.append((self._delay(reply.servo, extra + len(packet)), packet))
                    extra = 0
        for delay, packet in outgoing:
            if delay:
                _sleep_precisely(delay)
            self._link.write(packet)

    def _delay(self, servo: SimulatedServo, wire_bytes: int) -> float:
        if not self.timing_baudrate:
            return 0.0
        return wire_bytes * 10 / self.timing_baudrate + servo.memory.raw("Return_Delay_Time") * RETURN_DELAY_UNIT_S


def _sleep_precisely(seconds: float) -> None:
    """Sleep ``seconds`` with sub-100-microsecond accuracy (plain sleep overshoots short waits)."""
    deadline = time.perf_counter() + seconds
    if seconds > 0.002:
        time.sleep(seconds - 0.001)
    while time.perf_counter() < deadline:
        pass
