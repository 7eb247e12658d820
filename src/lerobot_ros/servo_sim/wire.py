"""What the protocol layers exchange with the bus: decoded instructions and pending replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .servo import SimulatedServo

BROADCAST_ID = 0xFE


@dataclass(frozen=True)
class Instruction:
    """An instruction packet as received: target id, instruction code, parameters, bytes on the wire."""

    id: int
    code: int
    params: bytes
    wire_length: int


@dataclass(frozen=True)
class Reply:
    """A status packet a servo is about to send."""

    servo: SimulatedServo
    id: int  # the id the packet carries (the addressed id, even if the WRITE just changed it)
    error: int  # status-packet error byte
    params: bytes = b""


def servos_with_id(servos: Iterable[SimulatedServo], servo_id: int) -> list[SimulatedServo]:
    """Servos answering to ``servo_id`` (all of them for the broadcast id), in id order."""
    if servo_id == BROADCAST_ID:
        return sorted(servos, key=lambda s: s.id)
    return [s for s in servos if s.id == servo_id]
