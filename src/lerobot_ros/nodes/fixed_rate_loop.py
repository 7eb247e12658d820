"""A fixed-rate loop on its own thread, with absolute deadlines, that can also act on a command's arrival.

ROS timers drop ticks when one callback runs long and share the executor with every other callback;
a driver loop wants a steady period instead. Deadlines advance by exactly one period (no drift), so
a tick delayed by a short stall (another thread holding the GIL, a slow bus reply) is made up right
after it and the average rate holds. A stall longer than ``max_catch_up`` periods is counted as an
overrun and the schedule restarts from now instead of bursting.

Between ticks the loop can wait for commands instead of sleeping (``arrivals``): a command is then
acted on when it arrives, on this same thread, instead of at the next tick (robot_node writes the
servo goal at once: a tick-only loop added 0-1 period to every command's latency, issue 20). At
most one arrival is acted on between two ticks, so a command stream faster than the loop costs at
most one extra wake-up per period whatever its rate, and the ticks keep their schedule.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol


class Arrivals(Protocol):
    """Commands the loop waits for between ticks."""

    def wait(self, timeout_s: float) -> bool:
        """Block up to ``timeout_s`` until a command is waiting; True if one is (it stays queued)."""

    def handle(self, now_s: float) -> None:
        """Act on the waiting commands (``now_s``: monotonic seconds), on the loop thread."""


class FixedRateLoop:
    """Calls ``body(now_s)`` (monotonic seconds at the call) every ``period_s``, and
    ``arrivals.handle(now_s)`` at most once between two ticks, when a command arrives."""

    def __init__(self, period_s: float, body: Callable[[float], None], name: str = "control-loop",
                 max_catch_up: int = 5, arrivals: Arrivals | None = None):
        if period_s <= 0:
            raise ValueError(f"loop period must be positive, got {period_s}")
        self.period_s = period_s
        self.overruns = 0
        self.arrivals_handled = 0
        self._max_lag_s = max_catch_up * period_s
        self._body = body
        self._arrivals = arrivals
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
                self._wait_until(deadline, now)

    def _wait_until(self, deadline: float, now: float) -> None:
        """Until ``deadline``: act on the first command that arrives, then sleep out the period."""
        if self._arrivals is not None:
            if self._arrivals.wait(deadline - now) and not self._stop.is_set():
                self._arrivals.handle(time.monotonic())
                self.arrivals_handled += 1
            now = time.monotonic()
        if deadline > now:
            self._stop.wait(deadline - now)
