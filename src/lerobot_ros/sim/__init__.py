"""Simulated hardware: protocol-level servo buses on pseudo-terminals (and cameras, in ``camera``).

The servo simulator speaks the vendors' wire protocols byte for byte, so the real SDKs (and every
layer above them) run unchanged against it. Start with :class:`SimulatedBus`.
"""

from .bus import ServoSpec, SimulatedBus
from .dynamics import Dynamics
from .faults import BusFaults, ServoFaults
from .servo import SimulatedServo

__all__ = ["BusFaults", "Dynamics", "ServoFaults", "ServoSpec", "SimulatedBus", "SimulatedServo"]
