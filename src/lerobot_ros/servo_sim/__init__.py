"""Protocol-level servo simulators: simulated servo buses on pseudo-terminals.

The simulator speaks the vendors' wire protocols byte for byte, so the real SDKs (and every layer
above them) run unchanged against it. Start with :class:`SimulatedBus`; a robot type's servos on one
are :func:`lerobot_ros.robots.ports.simulated_bus`.
"""

from .bus import ServoSpec, SimulatedBus
from .dynamics import Dynamics
from .faults import BusFaults, ServoFaults
from .servo import SimulatedServo

__all__ = ["BusFaults", "Dynamics", "ServoFaults", "ServoSpec", "SimulatedBus", "SimulatedServo"]
