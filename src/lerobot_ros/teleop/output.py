"""What a teleop device asks for on one tick, whatever the device: the nodes turn it into messages."""

from __future__ import annotations

from dataclasses import dataclass

from ..robots.omni_base import BodyVelocity
from .jog import JogCommand



@dataclass(frozen=True)
class TeleopOutput:
    jog: JogCommand | None = None  # arm targets to send, if any
    base: BodyVelocity | None = None  # cmd_vel to send, if any
    events: tuple[str, ...] = ()  # recording events, in order
