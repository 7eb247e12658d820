"""A fixed-rate loop on its own thread, with absolute deadlines.

ROS timers drop ticks when one callback runs long and share the executor with every other callback;
a driver loop wants a steady period instead. Deadlines advance by exactly one period (no drift), so
a tick delayed by a short stall (another thread holding the GIL, a slow bus reply) is made up right
after it and the average rate holds. A stall longer than ``max_catch_up`` periods is counted as an
overrun and the schedule restarts from now instead of bursting.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class FixedRateLoop:
    """Calls ``body(now_s)`` (monotonic seconds at the call) every ``period_s``."""

    def __init__(self, period_s: float, body: Callable[[float], None], name: str = "control-loop",
                 max_catch_up: int = 5):
        if period_s <= 0:
            raise ValueError(f"loop period must be positive, got {period_s}")
        self.period_s = period_s
        self.overruns = 0
        self._max_lag_s = max_catch_up * period_s
        self._body = body
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        deadline = time.monotonic()
        while not self._stop.is_set():
            self._body(time.monotonic())
            deadline += self.period_s
            now = time.monotonic()
            if now - deadline > self._max_lag_s:
                self.overruns += 1
                deadline = now
            elif deadline > now:
                self._stop.wait(deadline - now)
