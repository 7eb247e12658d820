"""Shaft motion of a simulated servo: a first-order position loop with a speed cap.

Physics is advanced lazily (on every packet and accessor call) by whatever time has passed, which
may be long; so the step is solved in closed form rather than integrated in small increments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Dynamics:
    """Motion parameters shared by the servos of a simulated bus.

    ``time_constant_s`` is the first-order lag of the position loop near the goal; ``max_speed_tps``
    caps the shaft speed (ticks per second, default about 1.5 turns/s of a 4096-tick servo).
    """

    time_constant_s: float = 0.030
    max_speed_tps: float = 1.5 * 4096


def approach(error: float, dt: float, tau: float, vmax: float) -> tuple[float, float]:
    """Move toward a goal ``error`` ticks away for ``dt`` seconds.

    Velocity is ``error / tau`` capped at ``vmax``: the shaft travels at ``vmax`` until the error
    has shrunk to ``vmax * tau`` and decays exponentially from there. Returns (distance moved,
    velocity at the end), both signed like ``error``.
    """
    sign = 1.0 if error >= 0 else -1.0
    remaining = abs(error)
    saturation = vmax * tau
    if remaining > saturation:
        t_sat = (remaining - saturation) / vmax
        if dt <= t_sat:
            return sign * vmax * dt, sign * vmax
        dt -= t_sat
        remaining = saturation
    remaining *= math.exp(-dt / tau)
    if remaining < 1e-3:
        remaining = 0.0
    return sign * (abs(error) - remaining), sign * remaining / tau
