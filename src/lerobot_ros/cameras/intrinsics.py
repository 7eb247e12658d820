"""Pinhole intrinsics for an uncalibrated camera, so `camera_info` consumers get plausible numbers.

Real cameras should be calibrated; until then we assume square pixels, the principal point at the
image centre, no distortion and a 60 degree horizontal field of view (typical of the USB webcams
used with SO-100/SO-101 arms). The simulated camera renders with exactly these intrinsics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_HFOV_DEG = 60.0


@dataclass(frozen=True)
class Pinhole:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_hfov(cls, width: int, height: int, hfov_deg: float = DEFAULT_HFOV_DEG) -> "Pinhole":
        if not 0.0 < hfov_deg < 180.0:
            raise ValueError(f"horizontal field of view {hfov_deg} deg: must lie strictly between 0 and 180")
        f = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width, height, f, f, width / 2.0, height / 2.0)

    @property
    def k(self) -> list[float]:
        """Row-major 3x3 camera matrix, as in sensor_msgs/CameraInfo.k."""
        return [self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0]

    @property
    def p(self) -> list[float]:
        """Row-major 3x4 projection matrix of a monocular camera, as in sensor_msgs/CameraInfo.p."""
        return [self.fx, 0.0, self.cx, 0.0, 0.0, self.fy, self.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
