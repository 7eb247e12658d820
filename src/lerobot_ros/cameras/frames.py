"""The newest frame of a camera, kept by a background thread so readers never wait on the device.

Every camera source (an OpenCV device or file, the simulated arm view) supplies one blocking
``grab()`` that returns an image and its capture time; :class:`BackgroundCapture` runs it in a
thread and hands the latest result to readers:

* :meth:`BackgroundCapture.latest` is LeRobot's ``read_latest``: a non-blocking peek that refuses a
  stale frame, so a policy never acts on an old image without knowing.
* :meth:`BackgroundCapture.next_after` blocks until a frame newer than one the caller already has,
  so a publisher sends every frame once and never the same frame twice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

Grab = Callable[[], tuple[np.ndarray, float]]  # -> (HxWx3 uint8 image, capture time as time.time())


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # HxWx3 uint8, RGB unless the camera was configured for BGR
    stamp_s: float  # wall-clock capture time (time.time() when the device delivered it)
    index: int  # 1 for the first frame since start(), then +1 per frame


class BackgroundCapture:
    """Calls ``grab`` in a daemon thread and keeps the newest :class:`Frame`.

    ``pace_hz`` paces sources that would otherwise run flat out (video files, the renderer): the
    thread waits for the next tick of a fixed grid before each grab, so the rate does not drift.
    Devices pace themselves (``read()`` blocks until the sensor has a frame): leave it ``None``.

    If ``grab`` raises, the thread stops and every later read raises the same error, chained, so
    a disconnected camera surfaces once at the reader instead of as silently frozen frames.
    """

    def __init__(self, name: str, grab: Grab, pace_hz: float | None = None):
        self.name = name
        self._grab = grab
        self._period_s = 1.0 / pace_hz if pace_hz else None
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"camera {self.name}: capture already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"capture-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        next_tick = time.monotonic()
        index = 0
        while not self._stop.is_set():
            if self._period_s is not None:
                delay = next_tick - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                # Skip ticks we are late for instead of bursting to catch up.
                next_tick = max(next_tick + self._period_s, time.monotonic())
            try:
                image, stamp_s = self._grab()
            except Exception as exc:  # handed to the readers, who raise it
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                return
            index += 1
            with self._cond:
                self._frame = Frame(image, stamp_s, index)
                self._cond.notify_all()

    def _check(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"camera {self.name}: capture stopped: {self._error}") from self._error
        if self._thread is None:
            raise RuntimeError(f"camera {self.name}: not connected; call connect() first")

    def latest(self, max_age_ms: float = 500.0) -> Frame:
        """The newest frame; TimeoutError if there is none or it is older than ``max_age_ms``."""
        with self._cond:
            self._check()
            frame = self._frame
        if frame is None:
            raise TimeoutError(f"camera {self.name}: no frame captured yet")
        age_ms = (time.time() - frame.stamp_s) * 1e3
        if age_ms > max_age_ms:
            raise TimeoutError(f"camera {self.name}: latest frame is {age_ms:.0f} ms old (max_age_ms={max_age_ms:g}); "
                               "the camera stalled or delivers slower than expected")
        return frame

    def next_after(self, index: int, timeout_ms: float = 1000.0) -> Frame:
        """The newest frame whose index is above ``index``, waiting up to ``timeout_ms`` for it."""
        deadline = time.monotonic() + timeout_ms / 1e3
        with self._cond:
            while True:
                self._check()
                if self._frame is not None and self._frame.index > index:
                    return self._frame
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    raise TimeoutError(f"camera {self.name}: no new frame within {timeout_ms:g} ms")
                self._cond.wait(remaining)


class CapturedCamera:
    """The reading interface every camera shares, over the :class:`BackgroundCapture` it started.

    A camera sets ``name`` and, while connected, ``_capture``; it implements ``connect`` and
    ``disconnect``.
    """

    name: str
    _capture: BackgroundCapture | None = None

    def connect(self) -> None:
        raise NotImplementedError

    def disconnect(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.disconnect()

    def read_latest(self, max_age_ms: float = 500.0) -> np.ndarray:
        """LeRobot's non-blocking peek: the newest image, TimeoutError if older than ``max_age_ms``."""
        return self.latest_frame(max_age_ms).image

    def latest_frame(self, max_age_ms: float = 500.0) -> Frame:
        """The newest frame with its capture time; TimeoutError if older than ``max_age_ms``."""
        return self._running().latest(max_age_ms)

    def next_frame(self, after_index: int, timeout_ms: float = 1000.0) -> Frame:
        """Block until a frame newer than ``after_index`` (0 for any), so none is handled twice."""
        return self._running().next_after(after_index, timeout_ms)

    def _running(self) -> BackgroundCapture:
        if self._capture is None:
            raise RuntimeError(f"camera {self.name}: not connected; call connect() first")
        return self._capture
