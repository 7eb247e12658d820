"""A camera of the physics world, rendered by MuJoCo (EGL through Mesa on a machine with no GPU).

Behind the same reading interface as the OpenCV and drawn cameras, so camera_node publishes it
unchanged. The renderer lives on the capture thread (an OpenGL context belongs to the thread that
made it current; it is let go after each frame, so :meth:`disconnect` can free it from another
thread) and draws a snapshot of the world's state taken under the world's lock, so the
physics never waits for a frame.
"""

from __future__ import annotations

import os
import time

import mujoco
import numpy as np

from ...cameras.frames import BackgroundCapture, CapturedCamera
from .world import PhysicsWorld


class MujocoCamera(CapturedCamera):
    """World camera ``camera`` of ``world`` at ``width`` x ``height``, ``fps`` frames a second."""

    def __init__(self, world: PhysicsWorld, camera: str, width: int = 640, height: int = 480, fps: float = 30.0):
        if camera not in [world.model.camera(i).name for i in range(world.model.ncam)]:
            names = ", ".join(world.model.camera(i).name for i in range(world.model.ncam))
            raise ValueError(f"physics world {world.name!r} has no camera {camera!r}; its cameras: {names}")
        self.world, self.camera_name = world, camera
        self.name = camera
        self.width, self.height, self.fps = width, height, fps
        self._capture: BackgroundCapture | None = None
        self._renderer = None
        self._data = None

    def connect(self) -> None:
        if self._capture is not None:
            raise RuntimeError(f"mujoco camera {self.name}: already connected")
        self._capture = BackgroundCapture(self.name, self._grab, pace_hz=self.fps)
        self._capture.start()

    def disconnect(self) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def render(self) -> np.ndarray:
        """One frame of the world as it is now (on the calling thread)."""
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.world.model, self.height, self.width)
            self._data = mujoco.MjData(self.world.model)
        qpos, mocap = self.world.snapshot()
        self._data.qpos[:] = qpos
        self._data.mocap_pos[:] = mocap
        mujoco.mj_kinematics(self.world.model, self._data)
        mujoco.mj_camlight(self.world.model, self._data)
        self._renderer.update_scene(self._data, camera=self.camera_name)
        try:
            return self._renderer.render()
        finally:
            _release_gl_context()

    def _grab(self) -> tuple[np.ndarray, float]:
        stamp_s = time.time()
        return self.render(), stamp_s


def _release_gl_context() -> None:
    """Leave no OpenGL context current on this thread (EGL): the renderer makes its own current before
    each frame, and a context still current on a finished thread could not be freed elsewhere."""
    if os.environ.get("MUJOCO_GL") == "egl":
        from OpenGL import EGL
        EGL.eglReleaseThread()
