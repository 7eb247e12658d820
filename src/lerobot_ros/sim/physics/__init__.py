"""The physics twin: a MuJoCo world (arm, table, objects, cameras) behind the protocol-level servo simulator.

A ``sim://<robot_type>?world=<task>`` port couples a :class:`PhysicsWorld` to the simulated bus
(:mod:`coupling`): the servos report the physics' joint positions and loads and hand it their goals,
so robot_node, the vendor SDK and the calibration path are the real ones. Needs ``mujoco``; only the
``world=`` port option, camera_node's mujoco source and the physics scenarios import this package, so
``port:=sim`` works without it.
"""

import os as _os

# MuJoCo picks its OpenGL backend when it is imported: render headless through EGL (Mesa on a machine
# without a GPU) unless the user chose one. Every module of this package imports mujoco after this
# runs; code elsewhere takes it from here (``from lerobot_ros.sim.physics import mujoco``).
_os.environ.setdefault("MUJOCO_GL", "egl")
if _os.environ["MUJOCO_GL"] == "egl":
    _os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import mujoco  # noqa: E402 - after the backend is chosen; import it from here outside this package

__all__ = ["mujoco"]
