"""OpenCV capture with LeRobot's configuration and read semantics, without ROS.

Mirrors LeRobot's ``OpenCVCameraConfig``/``OpenCVCamera``: ``width``/``height`` are the size of the
frames you get (after rotation), ``None`` keeps the camera's own setting, and a camera that does
not honour a requested mode is an error at ``connect()`` rather than a surprise later.

``index_or_path`` may also be a video file. A file plays at its own size, paced at ``fps`` (or the
file's frame rate) and **loops when it ends**, so a recorded clip can stand in for a live camera in
tests and demos. A clip that shrinks, changes or disappears while it plays is a lost camera: the
reader's buffer would otherwise replay its last bytes forever.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .frames import BackgroundCapture, CapturedCamera

ROTATIONS = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, -90: cv2.ROTATE_90_COUNTERCLOCKWISE}
COLOR_MODES = ("rgb", "bgr")


def parse_index_or_path(value: str | int | Path) -> int | str:
    """A device index for all-digit strings ("0" -> 0), else the path as given."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        raise ValueError("camera index_or_path is empty: give a device index (0), a device (/dev/video0) "
                         "or a video file")
    return int(text) if text.isdigit() else text


@dataclass(frozen=True)
class OpenCVCameraConfig:
    index_or_path: int | str | Path
    fps: float | None = None  # None: the device's own rate (a file's rate for video files)
    width: int | None = None  # of the delivered frame, after rotation; None: the device's own
    height: int | None = None
    color_mode: str = "rgb"  # "rgb" or "bgr"
    rotation: int = 0  # degrees clockwise: 0, 90, 180 or -90
    warmup_s: float = 1.0  # frames captured during this time after connect are discarded (auto exposure settles)
    fourcc: str | None = None  # e.g. "MJPG": many USB cameras reach 640x480@30 only in MJPG
    backend: int = cv2.CAP_ANY

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"camera rotation={self.rotation}: choose one of 0, 90, 180, -90 (degrees clockwise)")
        if self.color_mode not in COLOR_MODES:
            raise ValueError(f"camera color_mode={self.color_mode!r}: choose 'rgb' or 'bgr'")
        if (self.width is None) != (self.height is None):
            raise ValueError(f"camera width={self.width}, height={self.height}: set both or neither")
        for name in ("width", "height", "fps"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"camera {name}={value}: must be positive (or None for the camera's own)")
        if self.fourcc is not None and len(self.fourcc) != 4:
            raise ValueError(f"camera fourcc={self.fourcc!r}: must be four characters, e.g. 'MJPG' or 'YUYV'")
        if self.warmup_s < 0:
            raise ValueError(f"camera warmup_s={self.warmup_s}: must not be negative")

    @property
    def capture_size(self) -> tuple[int, int] | None:
        """(width, height) to ask the device for: the delivered size, swapped for 90/-90 rotations."""
        if self.width is None or self.height is None:
            return None
        return (self.height, self.width) if self.rotation in (90, -90) else (self.width, self.height)


class OpenCVCamera(CapturedCamera):
    """A ``cv2.VideoCapture`` read by a background thread; frames are HxWx3 uint8 (RGB by default)."""

    def __init__(self, config: OpenCVCameraConfig):
        self.config = config
        self.source = parse_index_or_path(config.index_or_path)
        self.name = f"/dev/video{self.source}" if isinstance(self.source, int) else str(self.source)
        self.is_file = isinstance(self.source, str) and Path(self.source).is_file()
        self.width: int | None = config.width  # delivered size, known after connect()
        self.height: int | None = config.height
        self.fps: float | None = config.fps
        self._cap: cv2.VideoCapture | None = None
        self._capture: BackgroundCapture | None = None
        self._clip_identity: tuple[int, int] | None = None  # a file's (size, mtime) when it was opened

    # -- lifecycle -------------------------------------------------------------------------------
    def connect(self) -> None:
        if self._cap is not None:
            raise RuntimeError(f"camera {self.name}: already connected")
        if isinstance(self.source, str) and not Path(self.source).exists():
            raise ConnectionError(f"camera {self.name}: no such device or file; list devices with `ls /dev/video*`")
        cap = cv2.VideoCapture(self.source, self.config.backend)
        if not cap.isOpened():
            cap.release()
            raise ConnectionError(f"camera {self.name}: OpenCV cannot open it; check that it is a camera or a "
                                  "readable video file and that no other process holds it")
        try:
            width, height, fps = self._configure(cap)
        except Exception:
            cap.release()
            raise
        self._cap = cap
        if self.is_file:
            self._clip_identity = self._clip_stat()
        self.width, self.height = (height, width) if self.config.rotation in (90, -90) else (width, height)
        self.fps = fps
        # A file would play as fast as it decodes: pace it. A device's read blocks until its next frame.
        self._capture = BackgroundCapture(self.name, self._grab, pace_hz=fps if self.is_file else None)
        self._capture.start()
        self._warm_up()

    def disconnect(self) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    # -- internals -------------------------------------------------------------------------------
    def _configure(self, cap: cv2.VideoCapture) -> tuple[int, int, float]:
        """Apply fourcc/size/fps (devices) and check what we got; returns the capture (w, h, fps)."""
        wanted = self.config.capture_size
        if not self.is_file:
            if self.config.fourcc:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.config.fourcc))
            if wanted is not None:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, wanted[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, wanted[1])
            if self.config.fps is not None:
                cap.set(cv2.CAP_PROP_FPS, self.config.fps)
        got = (int(round(cap.get(cv2.CAP_PROP_FRAME_WIDTH))), int(round(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))))
        if wanted is not None and got != wanted:
            swapped = self.config.rotation in (90, -90)
            rotated = f" (the capture size for rotation {self.config.rotation})" if swapped else ""
            if self.is_file:
                fix = (f"a video file plays at its own size: set width/height to the file's "
                       f"{self._delivered(got)} or leave them unset")
            else:
                fix = (f"pick a mode the camera supports (`v4l2-ctl -d {self.name} --list-formats-ext`), "
                       "set fourcc (e.g. MJPG), or leave width/height unset")
            raise RuntimeError(f"camera {self.name}: asked {wanted[0]}x{wanted[1]}{rotated}, "
                               f"got {got[0]}x{got[1]}; {fix}")
        reported_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if (not self.is_file and self.config.fps is not None and reported_fps > 0
                and not math.isclose(reported_fps, self.config.fps, rel_tol=1e-2)):
            raise RuntimeError(f"camera {self.name}: asked {self.config.fps:g} fps, got {reported_fps:g}; pick a "
                               f"rate the camera supports at {got[0]}x{got[1]} "
                               f"(`v4l2-ctl -d {self.name} --list-formats-ext`) or leave fps unset")
        fps = self.config.fps or reported_fps or 30.0
        return got[0], got[1], fps

    def _delivered(self, capture_size: tuple[int, int]) -> str:
        w, h = capture_size
        return f"{h}x{w}" if self.config.rotation in (90, -90) else f"{w}x{h}"

    def _grab(self) -> tuple[np.ndarray, float]:
        """One frame from the capture thread: grab (stamped), decode, convert colour, rotate."""
        cap = self._cap
        ok = cap.grab()
        if not ok and self.is_file:  # end of the clip: loop, if it is still the clip that was opened
            self._check_clip_unchanged()
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok = cap.grab()
        stamp_s = time.time()
        if not ok:
            raise ConnectionError(f"camera {self.name}: reading a frame failed; check the cable and that it is still "
                                  "listed in /dev")
        ok, bgr = cap.retrieve()
        if not ok or bgr is None:
            raise ConnectionError(f"camera {self.name}: decoding a frame failed; try another fourcc")
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if self.config.color_mode == "rgb" else bgr
        rotate = ROTATIONS[self.config.rotation]
        return (cv2.rotate(image, rotate) if rotate is not None else image), stamp_s

    def _clip_stat(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.source)
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def _check_clip_unchanged(self) -> None:
        """A clip emptied or replaced under the running capture still "plays": FFmpeg rewinds within
        the bytes it buffered and decodes them again and again. Compared at each end of the clip."""
        now = self._clip_stat()
        if now == self._clip_identity:
            return
        if now is None:
            what = "was removed"
        elif now[0] != self._clip_identity[0]:
            what = f"changed size ({self._clip_identity[0]} bytes when opened, {now[0]} now)"
        else:
            what = "was rewritten"
        raise ConnectionError(f"camera {self.name}: reading a frame failed: the clip {what} while it played; "
                              "restart the camera on the new file")

    def _warm_up(self) -> None:
        """Wait out ``warmup_s`` and for a first frame, so reads right after connect() succeed."""
        time.sleep(self.config.warmup_s)
        try:
            self._running().next_after(0, timeout_ms=5000.0)
        except Exception:
            self.disconnect()
            raise
