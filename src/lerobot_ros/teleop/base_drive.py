"""Base driving: normalized inputs (forward, left, turn left; -1..1) and a deadman -> a body velocity.

Speeds are the inputs scaled by fixed maxima, so no input can ask for more than ``max_linear_speed_m_s``
or ``max_angular_speed_rad_s``. While the deadman is held a velocity goes out every tick (zero with
the sticks centred), which keeps robot_node's cmd_vel watchdog fed; releasing it sends one zero and
then nothing, so other cmd_vel publishers (navigation) are not overridden by an idle teleop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..robots.omni_base import BodyVelocity
from .jog import clean_input

STOP = BodyVelocity(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class BaseDriveConfig:
    max_linear_speed_m_s: float = 0.2
    max_angular_speed_rad_s: float = 1.0

    def __post_init__(self):
        if not (self.max_linear_speed_m_s > 0 and self.max_angular_speed_rad_s > 0):
            raise ValueError(f"base speeds must be positive, got {self.max_linear_speed_m_s} m/s and "
                             f"{self.max_angular_speed_rad_s} rad/s")


class BaseDrive:
    def __init__(self, config: BaseDriveConfig = BaseDriveConfig()):
        self.config = config
        self._moving = False

    def update(self, inputs: Sequence[float], deadman: bool) -> BodyVelocity | None:
        """``inputs`` = (forward, left, turn left): the velocity to send now, or None to send nothing."""
        if len(inputs) != 3:
            raise ValueError(f"base drive takes 3 inputs (forward, left, turn left), got {len(inputs)}")
        if not deadman:
            if not self._moving:
                return None
            self._moving = False
            return STOP
        self._moving = True
        x, y, theta = (clean_input(v) for v in inputs)
        linear, angular = self.config.max_linear_speed_m_s, self.config.max_angular_speed_rad_s
        return BodyVelocity(x * linear, y * linear, theta * angular)
