"""Worlds a simulated bus can run in, for robots/ports.py's ``world=`` port option.

robots/ sits below the simulated world, so it does not import this; the programs that run worlds
(robot_node, the tests) hand :func:`attach_physics_world` to ``RobotSetup.from_parameters``.
"""

from __future__ import annotations

from ..servo_sim.bus import SimulatedBus


def attach_physics_world(bus: SimulatedBus, robot_type: str, world: str) -> None:
    """Couple the MuJoCo world ``world`` to ``bus``'s servos (see :func:`.physics.coupling.couple`)."""
    from .physics.coupling import couple  # imported here: mujoco is optional, plain sim ports run without it

    couple(bus, robot_type, world)
