"""The operator heartbeat: actions are dispatched only while an operator keeps it fresh.

A dead-man's switch for a learned policy (sacovo/lerobot_ros has the same idea): whoever watches the
robot publishes on a topic; silence longer than the timeout stops the arm. Clocked by the caller,
so it is testable without sleeping.
"""

from __future__ import annotations

import math


class Heartbeat:
    """Fresh for ``timeout_s`` after each beat; ``timeout_s`` 0 disables it (always fresh)."""

    def __init__(self, timeout_s: float):
        if not timeout_s >= 0.0:
            raise ValueError(f"heartbeat timeout must be >= 0 s (0 disables it), got {timeout_s}")
        self.timeout_s = timeout_s
        self._last_s = -math.inf

    @property
    def enabled(self) -> bool:
        return self.timeout_s > 0.0

    def beat(self, now_s: float) -> None:
        self._last_s = now_s

    def fresh(self, now_s: float) -> bool:
        return not self.enabled or now_s - self._last_s <= self.timeout_s

    def age_s(self, now_s: float) -> float:
        """Seconds since the last beat (inf before the first)."""
        return now_s - self._last_s
